import type { HttpProbeSpec } from '../../stacks/model/model.js';
import { probePasses } from '../../stacks/resolve/readiness.js';
import { httpRequest } from '../http.js';
import {
  type AddressEndpoint,
  publishedAddress,
  publishedUrl,
} from './endpoint/published-address.js';
import { toObservedContainer } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/** The probe run inside the container: whether it passed, and what it printed when not. */
export type ProbeInContainer = () => Promise<{ readonly ok: boolean; readonly output: string }>;

/**
 * Ready once `GET path` passes the probe's readiness rule (stacks/readiness.ts: 2xx, with the
 * `expectJson` fields: the user service listens before its database is ready and says so in
 * its health answer; step 1 expects `database: "up"`). Asked on the container's published
 * port; when that port is not published (step 2's user service, reached only through the
 * edge), or answers only on a remote engine's host (its loopback), `inContainer` runs the
 * same rule inside the container.
 */
export function waitHttp(
  probe: Required<HttpProbeSpec>,
  inContainer?: ProbeInContainer,
  intervalMs = 100,
  endpoint: AddressEndpoint = { remote: false },
): WaitStrategyDescription {
  return {
    what: `answering GET ${probe.path}`,
    timeoutMs: probe.timeoutMs,
    intervalMs,
    check: async (info) => {
      const port = toObservedContainer(info).ports.find(
        (p) => p.containerPort === probe.containerPort && p.hostPort > 0,
      );
      const address = port && publishedAddress(port, endpoint);
      if (!address?.reachable) {
        if (!inContainer) {
          return { done: false, reason: `port ${probe.containerPort} is not published` };
        }
        const { ok, output } = await inContainer();
        if (ok) return { done: true, value: true };
        const where = `GET http://127.0.0.1:${probe.containerPort}${probe.path} in the container`;
        return { done: false, reason: `${where}: ${output || 'no answer'}` };
      }
      const url = publishedUrl(address, probe.path)!;
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
