/**
 * The deployment seam: where a stack runs. Every operation (cli/operations/) works through
 * this one interface, chosen once from the options (open-target.ts); no operation or command
 * knows which target it has. Two implement it today: one Docker engine (engine/), and a Swarm
 * (swarm/). A third (Kubernetes manifests, say) is a folder beside them that implements it.
 *
 * Each method reads or changes the target; none prints (progress goes to `progress`, the
 * caller formats outcomes). Planning is read-only: `plan` observes and decides, `apply`
 * carries a plan out and decides nothing, so `up --dry-run` is `plan` alone on every target.
 */
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import type { RenderedCompose } from '../../stacks/render/render-compose.js';
import type { IncrementalBundler } from '../bundle/bundle-code.js';
import type { BuildContext } from '../engine/build-context.js';
import type { LogLine } from '../engine/container-logs.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import type { PatchesAhead } from '../engine/patches-ahead.js';
import type { PlanStep } from '../engine/plan-step.js';
import type { Progress } from '../ui/progress.js';

export type TargetKind = 'engine' | 'swarm';

/** Which engine a target talks to, as `up` prints it and `--json` carries it. */
export interface EngineReport {
  /** Where the address came from, in the docker CLI's order: `DOCKER_HOST`, `context NAME`, ... */
  readonly source: string;
  /** The engine's address: `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://u@host`. */
  readonly host: string;
  /** False for an engine reached over a unix socket of this machine. */
  readonly remote: boolean;
}

/** What every call that can take a while gets. */
export interface TargetCall {
  readonly progress: Progress;
  /** Aborted on Ctrl-C: stop at the next safe point. */
  readonly signal: AbortSignal;
}

/** The project being worked on: what `up` needs beyond the resolved stack. */
export interface ProjectFacts {
  readonly name: string;
  /** Where the project keeps its files (`.esteps/<project>/`): the stack file's folder. */
  readonly dir: string;
  /** Secrets an older esteps kept in `.esteps/<project>/secrets.env`, by name; imported once. */
  readonly legacySecrets: Readonly<Record<string, string>>;
  /**
   * Which stack file this is: its real path, or `builtin:<name>`. Recorded on what `up`
   * creates; a project another stack file made is refused. @default not recorded or checked
   */
  readonly stackFile?: string;
}

export interface PlanRequest extends TargetCall {
  readonly stack: ResolvedStack;
  readonly project: ProjectFacts;
  /**
   * The build context of every built service (its code bundled), by service name: started by
   * the caller as early as it can, awaited by the target when it needs the digests.
   */
  readonly contexts: () => Promise<Readonly<Record<string, BuildContext>>>;
  /** `--scale SERVICE=N`: replicas that override the stack's (validated by the caller). */
  readonly scale: Readonly<Record<string, number>>;
  /**
   * Take new code only to these services (a Swarm hot patch: build, push and roll these;
   * every other service keeps the image it runs). @default every service
   */
  readonly only?: readonly string[];
  /** True for `--dry-run`: the plan is printed and never applied. */
  readonly dryRun: boolean;
}

/**
 * A plan, ready to print and to apply. `steps` is the one view of it every target gives
 * (text and `--json` alike); what `apply` needs beyond it stays inside the target.
 */
export interface PlannedUp {
  readonly project: string;
  readonly steps: readonly PlanStep[];
  /** False when applying would change nothing. */
  readonly changed: boolean;
  /** Lines printed under the plan (the images each service runs, the Swarm's modes). */
  readonly notes: readonly string[];
  /** Each service's image and where it came from. */
  readonly images: readonly ServiceImage[];
}

/** What `apply` did; the plan it carried out may differ from the printed one only in hashes. */
export interface AppliedUp {
  readonly steps: readonly PlanStep[];
  readonly changed: boolean;
  /** Where each service answers now. */
  readonly addresses: readonly ServiceAddress[];
  /** Ports that answer only on a remote engine's host, said instead of an address. */
  readonly unreachable: readonly UnreachableAddress[];
  /** Target-specific facts for `--json` (a Swarm's modes, pinned nodes, timings). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** One service's image and where its reference came from, as `up` reports it. */
export interface ServiceImage {
  readonly service: string;
  readonly image: string;
  /** 'default' | 'environment' | '.env' | 'stack' | 'built' */
  readonly imageSource: string;
  /** The variable that overrides the image (none for built images). */
  readonly variable?: string;
  /** The official image this one stands in for (a stand-in built by `npm run setup`). */
  readonly standInFor?: string;
  /** Base images of a built image, with their sources. */
  readonly bases?: readonly {
    readonly arg: string;
    readonly image: string;
    readonly source: string;
    readonly variable?: string;
    readonly standInFor?: string;
  }[];
}

/** Where one replica of a service answers, from this machine. */
export interface ServiceAddress {
  readonly service: string;
  /** The replica: a container name, or a Swarm node. */
  readonly replica: string;
  readonly containerPort: number;
  /** `http://127.0.0.1:5000` (no path). */
  readonly baseUrl: string;
  /** `baseUrl` with the service's probe path when this port is the probe's. */
  readonly url: string;
}

/** One replica of a service: a container on one engine, a task on a Swarm. */
export interface Replica {
  readonly service: string;
  /** Container name, or `<project>_<service>.<slot>` for a task. */
  readonly name: string;
  /** 'running', 'exited', 'restarting', ... (a task's state on a Swarm). */
  readonly state: string;
  /** 'healthy' | 'unhealthy' | 'starting' | 'none' */
  readonly health: string;
  readonly ports: readonly PublishedAddress[];
  readonly image: string;
  readonly startedAt: string | null;
  readonly uptimeSeconds: number | null;
  /** Swarm only: the node, the slot, what the task is meant to be, its error, ids. */
  readonly node?: string;
  readonly slot?: number | null;
  readonly desiredState?: string;
  readonly error?: string | null;
  readonly id?: string;
  readonly updatedAt?: string;
}

export interface PublishedAddress {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  /** Where it answers from this machine (with the probe path for the probe's port). */
  readonly url?: string;
  /** Where it answers when not from this machine: only on a remote engine's host. */
  readonly note?: string;
}

/** A published port that answers only on the (remote) engine's host, and why. */
export interface UnreachableAddress {
  readonly service: string;
  readonly replica: string;
  readonly containerPort: number;
  readonly note: string;
}

/** What `down` removed; a target fills the kinds it has and leaves the others empty. */
export interface Removed {
  readonly containers: readonly string[];
  readonly services: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
  readonly secrets: readonly string[];
  readonly images: readonly string[];
  /** What stays and why, one sentence each ("volumes on other nodes stay"). */
  readonly kept: readonly string[];
}

export interface LogsRequest extends TargetCall {
  readonly stack: ResolvedStack;
  /** @default every service */
  readonly service?: string;
  /** Lines from the end of each replica's log. @default all */
  readonly tail?: number;
}

/** One log line of a replica. */
export interface ReplicaLogLine extends LogLine {
  readonly service: string;
  /** The container, or `<task>@<node>` on a Swarm. */
  readonly replica: string;
  /** RFC 3339 with nanoseconds, for merging replicas in time order ('' when unknown). */
  readonly time: string;
}

export interface HotpatchRequest extends TargetCall {
  readonly stack: ResolvedStack;
  /** The services to patch (hot-patchable, checked by the caller). */
  readonly services: readonly ResolvedService[];
  /** Maps a source path of the stack to where the new code is (`--source`). */
  readonly rebase: (path: string) => string;
  /**
   * Settles once the project's lock is held (or could not be taken): the target may read
   * and prepare before, and changes nothing until it resolved. @default held already
   */
  readonly locked?: Promise<unknown>;
  /** Bundles incrementally with this (`esteps watch`). @default a build from scratch */
  readonly bundler?: IncrementalBundler;
  /** Patch processes started ahead in the containers (`esteps watch`). @default none */
  readonly ahead?: PatchesAhead;
}

/** One patched service: the version it serves now, on every replica. */
export interface PatchedService {
  readonly service: string;
  readonly version: string;
  readonly replicas: readonly PatchedReplicaOnNode[];
}

/** A replica a patch reached; on a Swarm a task (`container` is its name), with its node. */
export interface PatchedReplicaOnNode extends PatchedReplica {
  /** The Swarm node running the task. @default none (one engine) */
  readonly node?: string;
}

export interface PatchOutcome {
  readonly services: readonly PatchedService[];
  /** Where the time went: finding replicas, bundling, and the target's own phases. */
  readonly phases: Readonly<Record<string, number>>;
  /** A Swarm's rolling update: its plan steps (empty on one engine). */
  readonly steps: readonly PlanStep[];
}

/** The stack as a file for another tool (`esteps render`): compose, or a Swarm stack file. */
export interface Ejected {
  readonly rendered: RenderedCompose;
  /** The file's header comment. */
  readonly header: string;
  /** The command that runs the file, for the user to copy. */
  run(file: string, project: string): string;
}

/** A project's lock, held until disposed. */
export interface ProjectLock extends AsyncDisposable {
  /** Set when the lock was taken over from a holder that is gone: who, and how we know. */
  readonly tookOver?: string;
}

export interface Target extends AsyncDisposable {
  readonly kind: TargetKind;
  /** The engine (a Swarm: its manager) this target drives. */
  engine(): Promise<EngineReport>;
  /**
   * Connects now (otherwise the first call that needs the engine does) and checks it answers
   * (ENGINE_UNAVAILABLE) and, for a Swarm, that it is a manager (SWARM_UNAVAILABLE).
   */
  connect(): Promise<void>;
  /**
   * Takes the project's lock for a command that changes it (`up`, `down`, `hotpatch`), on
   * the engine the project runs on (whatever folder or machine the command runs from):
   * LOCKED while another command holds it. Released when disposed.
   */
  lock(project: ProjectFacts, command: string): Promise<ProjectLock>;
  /** True while a command holds the project's lock (see `lock`); takes nothing. */
  lockHeld(project: ProjectFacts): Promise<boolean>;
  /** Observes the project and decides what `up` would do. Changes nothing. */
  plan(request: PlanRequest): Promise<PlannedUp>;
  /** Carries out a plan of this target, waiting until every service is ready. */
  apply(planned: PlannedUp, call: TargetCall): Promise<AppliedUp>;
  /** The project's replicas, from labels alone (the stack may have changed since `up`). */
  list(stack: ResolvedStack): Promise<Replica[]>;
  /** Removes what carries the project's label (volumes and built images with `volumes`). */
  remove(project: string, options: TargetCall & { readonly volumes: boolean }): Promise<Removed>;
  /** The replicas' logs up to now. */
  logs(request: LogsRequest): Promise<ReplicaLogLine[]>;
  /** Streams new log lines until `signal` aborts or every replica stops. */
  followLogs(request: LogsRequest, onLine: (line: ReplicaLogLine) => void): Promise<void>;
  /**
   * Where the running replicas of `service` answer `containerPort` (default: its probe's, or
   * an edge's listener). NOT_RUNNING when none runs; NOT_REACHABLE when they answer only on
   * a remote engine's host.
   */
  addresses(
    stack: ResolvedStack,
    service: ResolvedService,
    containerPort?: number,
  ): Promise<ServiceAddress[]>;
  /** New code into the running service: in place on one engine, a rolling update on a Swarm. */
  hotpatch(request: HotpatchRequest): Promise<PatchOutcome>;
  /** The project's secret values (generated on first need), for an ejected compose folder. */
  secretValues(stack: ResolvedStack, project: ProjectFacts): Promise<Record<string, string>>;
  /** The stack as a file another tool runs (no engine is read). */
  eject(stack: ResolvedStack): Promise<Ejected>;
}
