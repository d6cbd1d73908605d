import { AsyncLocalStorage } from 'node:async_hooks';
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
  /**
   * The bound on each check, on the checks' own code between two checks, and on each
   * cleanup (the stack's `smoke.timeoutMs`). @default 30000
   */
  readonly timeoutMs?: number;
  /** Called as each check ends (progress). */
  readonly onCheck?: (check: SmokeCheck) => void;
  /** Aborted on Ctrl-C: the running check ends, no further check runs; cleanup still does. */
  readonly signal?: AbortSignal;
}

/** The name under which a failure of the checks' own code (outside `t.check`) is reported. */
export const checksCodeName = 'checks (outside t.check)';

/**
 * Runs a stack's smoke checks over real HTTP against a running service: each `t.check`
 * becomes a reported check with its time, and on failure what was expected and received.
 * Nothing the stack's code does can hang it or end it with an unexpected error: a check that
 * takes longer than `timeoutMs` fails as unanswered and the checks go on without it; code
 * between checks that throws, or neither starts a check nor ends within `timeoutMs`, is one
 * more failed check. Ctrl-C ends the running check, and the checks send no request after it.
 * Cleanup registered with `t.cleanup` runs at the end whatever happened (an interrupted run
 * included), each bounded by `timeoutMs`, once every request already sent is answered (or
 * timed out): a cleanup that overtook a create still on its way would find nothing to delete,
 * and the create would land after it. Resolves with every check that ran.
 */
export async function runSmoke(options: RunSmokeOptions): Promise<SmokeCheck[]> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signal = options.signal ?? new AbortController().signal;
  const checks: SmokeCheck[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const record = (check: SmokeCheck) => {
    checks.push(check);
    options.onCheck?.(check);
  };
  const idle = idleWatch(timeoutMs);
  const inFlight = new Set<Promise<unknown>>();
  const context: SmokeContext = {
    baseUrl: options.baseUrl,
    request: (method, path, body) => {
      // Check code an interrupt abandoned may go on; only the cleanups still talk.
      if (signal.aborted && !cleaning.getStore()) {
        return Promise.reject(new Error('interrupted (Ctrl-C): no request is sent after it'));
      }
      const sent = send(options.baseUrl, method, path, body, requestTimeoutMs);
      const settled = sent.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return sent;
    },
    signal,
    cleanup: (run) => {
      cleanups.push(run);
    },
    check: async (name, expected, run) => {
      if (signal.aborted) return undefined;
      const started = performance.now();
      idle.busy();
      const outcome = await bounded(run, timeoutMs, signal);
      idle.done(name);
      const durationMs = Math.round(performance.now() - started);
      if ('value' in outcome) {
        record({ name, ok: true, durationMs });
        return outcome.value;
      }
      record({ name, ok: false, durationMs, expected, received: outcome.problem });
      return undefined;
    },
  };
  try {
    const started = performance.now();
    const ended = await Promise.race([
      bounded(() => options.checks(context), undefined, signal),
      idle.stalled,
    ]);
    if ('problem' in ended && !signal.aborted) {
      record({
        name: 'stalled' in ended ? stalledName(ended.after) : checksCodeName,
        ok: false,
        durationMs: Math.round(performance.now() - started),
        expected:
          'stalled' in ended
            ? `the next t.check, or the end, within ${timeoutMs} ms`
            : 'the checks to run to their end',
        received: ended.problem,
      });
    }
  } finally {
    idle.stop();
    // Each request is bounded by requestTimeoutMs; this only guards against a body that
    // trickles in.
    await bounded(() => Promise.all(inFlight), timeoutMs);
    // Whatever a failed or interrupted run left behind: best effort, the checks say what
    // failed. Not ended by Ctrl-C (that is when it matters most), but bounded.
    await Promise.all(cleanups.map((run) => cleaning.run(true, () => bounded(run, timeoutMs))));
  }
  return checks;
}

/** Set while the cleanups run: their requests are sent after an interrupt too. */
const cleaning = new AsyncLocalStorage<true>();

type Bounded<T> = { readonly value: T } | { readonly problem: string };

/**
 * `run()`, its error as a `problem`, or a problem when it takes more than `timeoutMs` or
 * `signal` aborts first. The run itself cannot be stopped: it is abandoned.
 */
function bounded<T>(
  run: () => Promise<T>,
  timeoutMs: number | undefined,
  signal?: AbortSignal,
): Promise<Bounded<T>> {
  return new Promise((resolve) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => done({ problem: `no result within ${timeoutMs} ms` }), timeoutMs);
    const onAbort = () => done({ problem: 'interrupted (Ctrl-C)' });
    const done = (result: Bounded<T>) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(run)
      .then(
        (value) => done({ value }),
        (err: unknown) => done({ problem: err instanceof Error ? err.message : String(err) }),
      );
  });
}

interface Stalled {
  readonly stalled: true;
  /** The last check that ended before the code stalled. */
  readonly after: string | undefined;
  readonly problem: string;
}

function stalledName(after: string | undefined): string {
  return after === undefined ? 'checks (before the first t.check)' : `checks (after "${after}")`;
}

/**
 * Notices the checks' own code stalling: no check running, and none started or the code ended,
 * for `timeoutMs` (an await that never settles between two checks).
 */
function idleWatch(timeoutMs: number) {
  let running = 0;
  let after: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let fire: (stall: Stalled) => void = () => undefined;
  const stalled = new Promise<Stalled>((resolve) => {
    fire = resolve;
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => fire({ stalled: true, after, problem: `nothing happened for ${timeoutMs} ms` }),
      timeoutMs,
    );
  };
  arm();
  return {
    stalled,
    busy() {
      running += 1;
      clearTimeout(timer);
    },
    done(name: string) {
      running -= 1;
      after = name;
      if (running === 0) arm();
    },
    stop() {
      clearTimeout(timer);
    },
  };
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
      if (!probePasses(r.status, r.text, probe.expectJson)) {
        throw new Error(`${r.status} ${r.text.slice(0, 200)}`.trim());
      }
    });
  };
}
