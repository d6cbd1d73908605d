/**
 * `esteps/testing`: stacks as test fixtures. `up()` brings a stack up from a test and returns
 * once every service is ready, with a project and host ports of the test's own; the handle
 * finds services by name, runs the operations on the project, and removes it at the end
 * (`await using`), while a reaper removes it if the test process dies first. A separate entry
 * from what stack files import (`esteps`).
 *
 *   import { up } from 'esteps/testing';
 *   await using stack = await up({ stack: 'step1' });
 *   await fetch(`${stack.url('usersvc')}/user/health`);
 *
 * This module is loaded by every test file that imports it, so it holds nothing but the entry
 * points: what `up` needs (the operations, dockerode) loads on its first call.
 */
import type { TestStack, UpOptions } from './types.js';

export { type ErrorCode, EstepsError, exitCodes } from '../errors.js';
export type {
  DownOptions,
  DownOutcome,
  HotpatchOutcome,
  LogsOptions,
  Replica,
  ReplicaLogLine,
  SmokeOutcome,
  TestStack,
  UpOptions,
  UpOutcome,
} from './types.js';

/**
 * Brings the stack up and resolves once every service is ready by the stack's own readiness
 * (health checks, HTTP probes). Throws EstepsError with the CLI's codes (`BUILD_FAILED`,
 * `HEALTH_TIMEOUT`, ...), having removed what it made.
 */
export async function up(options: UpOptions = {}): Promise<TestStack> {
  const { startStack } = await import('./start-stack.js');
  return startStack(options);
}
