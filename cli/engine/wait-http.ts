import { request } from 'undici';
import type { HttpProbeSpec } from '../../stacks/model.js';
import { hostUrl, toObservedContainer } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/** Ready once `GET path` on the container's published port answers 2xx. */
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
        if (res.statusCode >= 200 && res.statusCode < 300) return { done: true, value: true };
        return { done: false, reason: `GET ${url} answered ${res.statusCode}: ${body}` };
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        return { done: false, reason: `GET ${url}: ${reason}` };
      }
    },
  };
}
