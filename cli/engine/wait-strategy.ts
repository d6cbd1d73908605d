import type { ContainerInspectInfo } from 'dockerode';
import type { Attempt } from './retry.js';

/**
 * One readiness check of one container, given a fresh inspect result. Strategies only
 * decide "ready yet?"; the shared loop in wait.ts inspects, detects crashes and bounds time.
 */
export type WaitStrategy = (info: ContainerInspectInfo) => Promise<Attempt<true>>;

export interface WaitStrategyDescription {
  /** What is awaited, for messages: "healthy", "answering GET /user/health". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly check: WaitStrategy;
}
