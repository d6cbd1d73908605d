import type { HealthcheckSpec, HttpProbeSpec } from '../model/model.js';
import { durationProblem, isWhole, maxDurationMs } from './numbers.js';

type Report = (path: string, message: string) => void;

/**
 * A Docker health check as the engine takes it: a test it can run, intervals and timeouts of
 * at least 1 ms (the engine refuses less, and reads 0 as its own default, not ours), whole
 * milliseconds (it takes nanoseconds as integers), retries of at least 1.
 */
export function checkHealthcheck(at: string, check: HealthcheckSpec, report: Report): void {
  checkTest(`${at}.test`, check.test, report);
  for (const [field, min] of [
    ['intervalMs', 1],
    ['timeoutMs', 1],
    ['startPeriodMs', 0],
  ] as const) {
    const problem = durationProblem(check[field], min);
    if (problem) report(`${at}.${field}`, problem);
  }
  if (check.retries !== undefined && !isWhole(check.retries, 1, maxDurationMs)) {
    report(
      `${at}.retries`,
      `must be a whole number from 1 to ${maxDurationMs}, got ${check.retries}`,
    );
  }
}

function checkTest(at: string, test: readonly string[], report: Report): void {
  const [kind, ...rest] = test;
  if (kind === 'CMD') {
    if (rest.length === 0 || rest[0] === '') {
      report(at, '"CMD" needs the program to run and its arguments: ["CMD", "pg_isready", ...]');
    }
  } else if (kind === 'CMD-SHELL') {
    if (rest.length !== 1 || rest[0]!.trim() === '') {
      report(at, '"CMD-SHELL" takes one command line: ["CMD-SHELL", "pg_isready -U app"]');
    }
  } else if (kind === 'NONE') {
    if (rest.length > 0)
      report(at, '"NONE" turns the image\'s health check off and takes nothing else');
  } else {
    report(at, 'must start with "CMD", "CMD-SHELL" or "NONE"');
  }
  test.forEach((arg, i) => {
    if (arg.includes('\0')) report(`${at}[${i}]`, nulMessage);
  });
}

/** The message for a NUL character in what becomes a process's argument or environment. */
export const nulMessage =
  'contains a NUL character, which no command argument or environment value can carry';

/** An HTTP probe: a path, a port in the container, a timeout `up` can wait for. */
export function checkProbe(at: string, probe: HttpProbeSpec, report: Report): void {
  if (!probe.path?.startsWith('/')) {
    report(`${at}.path`, `must start with "/", got "${probe.path}"`);
  }
  if (!isWhole(probe.containerPort, 1, 65535)) {
    report(
      `${at}.containerPort`,
      `must be a whole number from 1 to 65535, got ${probe.containerPort}`,
    );
  }
  const timeout = durationProblem(probe.timeoutMs, 1);
  if (timeout) report(`${at}.timeoutMs`, timeout);
}
