import type { HttpProbeSpec } from '../../stacks/model.js';
import { httpRequest } from '../http.js';
import { hostUrl, toObservedContainer } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once `GET path` on the container's published port answers 2xx with a JSON body
 * carrying the probe's `expectJson` fields (the user service listens before its database is
 * ready and says so in its health answer: step 1 expects `database: "up"`).
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
        const res = await httpRequest(url, { headersTimeout: 2000, bodyTimeout: 2000 });
        const body = (await res.body.text()).slice(0, 500);
        if (res.statusCode >= 200 && res.statusCode < 300 && saysReady(body, probe.expectJson)) {
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

/** True when `body` is JSON whose top-level fields equal every field of `expected`. */
export function saysReady(
  body: string,
  expected: Readonly<Record<string, string | number | boolean>>,
): boolean {
  const keys = Object.keys(expected);
  if (keys.length === 0) return true;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  if (json === null || typeof json !== 'object') return false;
  return keys.every((k) => (json as Record<string, unknown>)[k] === expected[k]);
}
