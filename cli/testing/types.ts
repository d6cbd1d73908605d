/**
 * The types of `esteps/testing`: what `up()` takes and the handle it returns. Types only, so
 * that loading the entry costs nothing beyond its own few lines.
 */
import type { DownOutcome } from '../operations/down.js';
import type { HotpatchOutcome } from '../operations/hotpatch.js';
import type { SmokeOutcome } from '../operations/smoke.js';
import type { UpOutcome } from '../operations/up.js';
import type { Replica, ReplicaLogLine } from '../targets/target.js';

export type { DownOutcome, HotpatchOutcome, Replica, ReplicaLogLine, SmokeOutcome, UpOutcome };

/** Which stack to bring up, and how. */
export interface UpOptions {
  /**
   * A stack file, or a folder holding `esteps.stack.ts`: a path relative to `cwd`, or a file
   * URL (`new URL('./esteps.stack.ts', import.meta.url)`).
   * @default `esteps.stack.ts` in `cwd`, else the built-in `stack`
   */
  readonly file?: string | URL;
  /** A stack that ships with esteps (`'step1'`, `'step2'`). @default 'step1' when no file */
  readonly stack?: string;
  /**
   * The project name. Without `reuse`, a project of this name that already exists on the
   * engine is refused (USAGE): the handle removes its project at the end.
   * @default `<projectPrefix>-<8 random hex digits>`; with `reuse`, `<projectPrefix>`
   */
  readonly project?: string;
  /** The first part of a generated project name. @default `<stack name>-test` */
  readonly projectPrefix?: string;
  /**
   * Variables for the stack, over `process.env` (then `.env`). A host-port variable set
   * here keeps its value; every other host-port variable of the stack is `0` (the engine
   * picks a free port).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory: where `file` is looked up, and a built-in stack's `.env`. @default process.cwd() */
  readonly cwd?: string;
  /**
   * Use the project if it is up already (converging it when its stack changed), and leave
   * it up at the end: disposing the handle does nothing, and no reaper watches it. What
   * makes a test loop fast, and how test files share one stack.
   * @default false
   */
  readonly reuse?: boolean;
  /** Replicas by service, over the stack's (`esteps up --scale`). @default the stack's */
  readonly scale?: Readonly<Record<string, number>>;
  /** Show esteps' progress (plan, builds, waits) on stderr. @default false */
  readonly progress?: boolean;
  /** Aborting it stops `up` at its next safe point (INTERRUPTED); what it made is removed. */
  readonly signal?: AbortSignal;
}

/** Options of `down()`. */
export interface DownOptions {
  /**
   * Also remove the project's volumes (its data, its secrets) and the images `up` built for
   * it. Unlike `esteps down`, on by default: a test project's data has no later use.
   * @default true
   */
  readonly volumes?: boolean;
}

/** Options of `logs()`. */
export interface LogsOptions {
  /** Lines from the end of each replica's log. @default all */
  readonly tail?: number;
}

/**
 * A stack brought up by `up()`: every service ready, by the stack's own readiness. Disposing
 * it (`await using`, or `down()`) removes the project; with `reuse` it stays up.
 */
export interface TestStack extends AsyncDisposable {
  /** The project name (containers are `<project>-<service>-<n>`). */
  readonly project: string;
  /** The stack's name. */
  readonly stack: string;
  /** Where the published ports answer (`127.0.0.1` on a local engine). */
  readonly host: string;
  /** Whether this handle leaves the stack up at the end (`reuse`). */
  readonly reused: boolean;
  /** What `up` did: the plan, each service's image, the addresses, how long it took. */
  readonly outcome: UpOutcome;
  /**
   * `http://<host>:<port>` of the service's first replica for `containerPort` (no path, no
   * trailing slash). USAGE when the service does not exist or publishes no such port.
   * @param containerPort @default the service's only published port, else its probe's
   */
  url(service: string, containerPort?: number): string;
  /** `url()` of every replica, in replica order. */
  urls(service: string, containerPort?: number): readonly string[];
  /** The host port of the service's first replica for `containerPort` (as `url()`). */
  port(service: string, containerPort?: number): number;
  /**
   * The project's replicas as the engine reports them now (`esteps ps`). A container the
   * engine restarted may have another host port than `url()` says: this has the current one.
   */
  ps(): Promise<readonly Replica[]>;
  /** The replicas' log lines, merged in time order (`esteps logs [SERVICE]`). */
  logs(service?: string, options?: LogsOptions): Promise<readonly ReplicaLogLine[]>;
  /** Runs the stack's smoke checks (`esteps smoke`); SMOKE_FAILED with every check when one fails. */
  smoke(): Promise<SmokeOutcome>;
  /**
   * The current code of the hot-patchable services (or the one named) into the running
   * containers (`esteps hotpatch`); resolves once every replica serves it.
   */
  hotpatch(service?: string): Promise<HotpatchOutcome>;
  /** Removes the project (`esteps down`), with its volumes unless `volumes: false`. */
  down(options?: DownOptions): Promise<DownOutcome>;
  /** `down()`, unless `reuse`; a second call does nothing. */
  [Symbol.asyncDispose](): Promise<void>;
}
