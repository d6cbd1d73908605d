import { request } from 'undici';
import type { HttpProbeSpec } from '../../stacks/model.js';
import { hostUrl, toObservedContainer } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once `GET path` on the container's published port answers 2xx with a body that does
 * not say otherwise: a JSON answer with `ok: false`, or with a `database` state other than
 * "up" (the user service listens before its database connection is ready and reports that
 * state in its health answer), is not ready yet. A typed expectation in HttpProbeSpec would
 * say this in the stack; until then this is the convention.
 */
export function waitHttp(probe: Required<HttpProbeSpec>): WaitStrategyDescription {
  return {
    what: `answering GET ${probe.path}`,
    timeoutMs: probe.timeoutMs,
    intervalMs: 100,
    check: async (info) => {
      const port = toObservedContainer(info).ports.find(
        (p) => p.containerPort === probe.containerPort,
      );
      if (!port) return { done: false, reason: `port ${probe.containerPort} is not published` };
      const url = hostUrl(port, probe.path);
      try {
        const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
        const body = (await res.body.text()).slice(0, 500);
        if (res.statusCode >= 200 && res.statusCode < 300 && saysReady(body)) {
          return { done: true, value: true };
        }
        return { done: false, reason: `GET ${url} answered ${res.statusCode}: ${body}` };
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        return { done: false, reason: `GET ${url}: ${reason}` };
      }
    },
  };
}

export function saysReady(body: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return true;
  }
  if (json === null || typeof json !== 'object') return true;
  const { ok, database } = json as { ok?: unknown; database?: unknown };
  return ok !== false && (database === undefined || database === 'up');
}
