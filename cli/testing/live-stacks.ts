/**
 * The stacks this process brought up and has not torn down yet, and what happens to them when
 * the process ends without tearing them down: on SIGINT or SIGTERM they are removed before
 * the signal takes its course; when the event loop runs dry (`beforeExit`) they are removed;
 * on `exit` (no time left for the engine) the reaper is told to remove them at once. A
 * process killed outright is the reaper's alone (service/reaper/).
 */
export interface LiveStack {
  readonly project: string;
  /** Removes the stack (down with volumes). */
  teardown(): Promise<void>;
}

const live = new Set<LiveStack>();
/** Aborted on SIGINT/SIGTERM: an `up` in flight stops at its next safe point. */
const interrupted = new AbortController();
let onExit: (() => void) | undefined;
let installed = false;

/** How long a signal waits for the stacks to go before it takes its course anyway. */
const signalTeardownMs = 30_000;

export const processSignal: AbortSignal = interrupted.signal;

/** Called on `exit` (synchronously): the reaper's `done`. */
export function setExitHook(hook: () => void): void {
  onExit = hook;
}

export function addLiveStack(stack: LiveStack): void {
  live.add(stack);
  install();
}

export function removeLiveStack(stack: LiveStack): void {
  live.delete(stack);
}

/** Removes every live stack; `pending` holds the projects whose removal has not ended yet. */
async function teardownAll(pending = new Set<string>()): Promise<void> {
  const stacks = [...live];
  live.clear();
  for (const s of stacks) pending.add(s.project);
  await Promise.allSettled(
    stacks.map((s) => s.teardown().finally(() => pending.delete(s.project))),
  );
}

function onSignal(signal: NodeJS.Signals): void {
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  interrupted.abort(new Error(`${signal} received`));
  const pending = new Set<string>();
  const bound = new Promise((r) => setTimeout(r, signalTeardownMs).unref());
  void Promise.race([teardownAll(pending), bound]).finally(() => {
    if (pending.size > 0) sayLeftBehind(signal, [...pending]);
    // Another listener (the test runner's own) decides what the signal does; else what
    // Node would have done without ours: end with the signal (no 'exit' event then, so the
    // reaper hears `done` here).
    if (process.listenerCount(signal) === 0) {
      onExit?.();
      process.kill(process.pid, signal);
    }
  });
}

/**
 * The removal outlasted the bound (an engine that stopped answering, a container that does
 * not go): the signal takes its course anyway, and the user learns what is left and who
 * removes it.
 */
function sayLeftBehind(signal: NodeJS.Signals, projects: string[]): void {
  const it = projects.length === 1 ? 'it' : 'each';
  const next = onExit
    ? `the reaper removes ${it} once this process has ended`
    : `remove ${it} with \`esteps down -p ${projects.length === 1 ? projects[0] : 'NAME'} --volumes\``;
  process.stderr.write(
    `esteps/testing: ${signal}: project ${projects.join(', ')} not removed within ${signalTeardownMs / 1000} s (the engine did not finish the removal); ${next}.\n`,
  );
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('beforeExit', () => {
    if (live.size > 0) void teardownAll();
  });
  process.once('exit', () => onExit?.());
}
