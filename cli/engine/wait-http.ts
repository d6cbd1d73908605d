import type { HttpProbeSpec } from '../../stacks/model.js';
import { probePasses } from '../../stacks/readiness.js';
import { httpRequest } from '../http.js';
import { hostUrl, toObservedContainer } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once `GET path` on the container's published port passes the probe's readiness rule
 * (stacks/readiness.ts: 2xx, with the `expectJson` fields: the user service listens before
 * its database is ready and says so in its health answer; step 1 expects `database: "up"`).
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
        const body = await res.body.text();
        if (probePasses(res.statusCode, body, probe.expectJson)) return { done: true, value: true };
        return {
          done: false,
          reason: `GET ${url} answered ${res.statusCode}: ${body.slice(0, 500)}`,
        };
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        return { done: false, reason: `GET ${url}: ${reason}` };
      }
    },
  };
}
