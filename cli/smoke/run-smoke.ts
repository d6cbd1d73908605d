import type { ResolvedService, SmokeContext, SmokeReply } from '../../stacks/model/model.js';
import { probePasses } from '../../stacks/resolve/readiness.js';
import { httpRequest } from '../http.js';

/** One check as `esteps smoke` reports it. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** What the check wanted (on failure). */
  readonly expected?: string;
  /** What came back (on failure). */
  readonly received?: string;
}

export interface RunSmokeOptions {
  readonly baseUrl: string;
  /** The stack's checks; see SmokeSpec. */
  readonly checks: (t: SmokeContext) => Promise<void>;
  /** Per-request bound. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Called as each check ends (progress). */
  readonly onCheck?: (check: SmokeCheck) => void;
  /** Aborted on Ctrl-C: no further check runs; cleanup still does. */
  readonly signal?: AbortSignal;
}

/**
 * Runs a stack's smoke checks over real HTTP against a running service: each `t.check`
 * becomes a reported check with its time, and on failure what was expected and received.
 * Cleanup registered with `t.cleanup` runs at the end whatever happened (an interrupted run
 * included). Resolves with every check that ran.
 */
export async function runSmoke(options: RunSmokeOptions): Promise<SmokeCheck[]> {
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const signal = options.signal ?? new AbortController().signal;
  const checks: SmokeCheck[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const request = (method: string, path: string, body?: unknown) =>
    send(options.baseUrl, method, path, body, timeoutMs);
  const context: SmokeContext = {
    baseUrl: options.baseUrl,
    request,
    signal,
    cleanup: (run) => {
      cleanups.push(run);
    },
    check: async (name, expected, run) => {
      if (signal.aborted) return undefined;
      const started = performance.now();
      let value: Awaited<ReturnType<typeof run>> | undefined;
      let problem: string | undefined;
      try {
        value = await run();
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      const durationMs = Math.round(performance.now() - started);
      const result: SmokeCheck = problem
        ? { name, ok: false, durationMs, expected, received: problem }
        : { name, ok: true, durationMs };
      checks.push(result);
      options.onCheck?.(result);
      return problem ? undefined : value;
    },
  };
  try {
    await options.checks(context);
  } finally {
    // Whatever a failed or interrupted run left behind: best effort, the checks say what failed.
    await Promise.all(cleanups.map((run) => run().catch(() => undefined)));
  }
  return checks;
}

async function send(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<SmokeReply> {
  let res: Awaited<ReturnType<typeof httpRequest>>;
  try {
    res = await httpRequest(`${baseUrl}${path}`, {
      method: method as 'GET',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    const reason = (err as { code?: string }).code ?? (err as Error).message;
    throw new Error(`no answer: ${reason}`);
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/**
 * A service's readiness probe as a smoke check: what a stack that declares no checks gets,
 * passing as `esteps up` requires it to.
 */
export function probeCheck(service: ResolvedService): (t: SmokeContext) => Promise<void> {
  const probe = service.httpProbe!;
  const expected = Object.keys(probe.expectJson).length
    ? `2xx with ${JSON.stringify(probe.expectJson)}`
    : '2xx';
  return async (t) => {
    await t.check(`${service.name} ready (GET ${probe.path})`, expected, async () => {
      const r = await t.request('GET', probe.path);
      return probePasses(r.status, r.text, probe.expectJson)
        ? undefined
        : `${r.status} ${r.text.slice(0, 200)}`.trim();
    });
  };
}
