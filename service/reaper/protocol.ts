/**
 * The contract between a test process (esteps/testing, cli/testing/reaper-client.ts) and the
 * reaper: one TCP connection per process, line by line.
 *
 *   client: `hello <version> <run>`   the run (test process) this connection belongs to
 *   reaper: `ok <version>`            watching it (or `error <reason>`, then it closes)
 *   client: `done`                    the run ends in order: reap as soon as it closes
 *
 * Nothing else is said. A run's stacks are reaped when its last connection closes: at once
 * after `done`, else after the grace (a process killed, a crash, a cancelled CI job).
 */
export const reaperProtocolVersion = 1;

/** The container port the reaper listens on. */
export const reaperContainerPort = 8080;

/** What a run id looks like: it lands in a label filter, so nothing else is accepted. */
export const runIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** How long after a run's connection drops (without `done`) its stacks are reaped. */
export const reaperGraceMs = 5000;

/** How long the reaper stays with no connection before it leaves (its container goes too). */
export const reaperIdleMs = 60_000;

/** After it starts, how long the reaper waits for runs to reconnect before sweeping the rest. */
export const reaperSweepMs = 10_000;

/** The reaper's answer to a hello line, or an error to send before closing. */
export function answerHello(line: string): { run: string; reply: string } | { error: string } {
  const [word, version, run, ...rest] = line.trim().split(' ');
  if (word !== 'hello' || rest.length > 0 || run === undefined) {
    return { error: 'expected: hello <version> <run>' };
  }
  if (version !== String(reaperProtocolVersion)) {
    return { error: `protocol ${version} is not ${reaperProtocolVersion}` };
  }
  if (!runIdPattern.test(run)) return { error: 'a run id is lower-case letters, digits and -' };
  return { run, reply: `ok ${reaperProtocolVersion}` };
}
