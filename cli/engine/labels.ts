/**
 * Every label esteps puts on engine resources, in one place. `down`, `ps` and `up` find
 * resources by these labels alone, so they keep working after a stack definition changed.
 */
export const labels = {
  /** Project name (`-p`); every resource esteps creates carries it. */
  project: 'com.esteps.project',
  /** Stack definition the project was brought up from. */
  stack: 'com.esteps.stack',
  /**
   * Which stack file made the resource: its real path, or `builtin:<name>` for a stack that
   * ships with esteps. `up` refuses a project whose containers another stack file made.
   */
  stackFile: 'com.esteps.stack-file',
  /** Service name within the stack. */
  service: 'com.esteps.service',
  /** Replica number, from 1. */
  replica: 'com.esteps.replica',
  /** On a network: the stack's name of it (`appmesh`), its engine name being `<project>_appmesh`. */
  network: 'com.esteps.network',
  /** Hash of the service's effective configuration: a change means recreate. */
  configHash: 'com.esteps.config-hash',
  /**
   * On an image esteps built: the name it built it under, so `down --volumes` removes that
   * name and leaves names a user gave the image (`docker tag`).
   */
  image: 'com.esteps.image',
  /** Version of the package that created the resource. */
  version: 'com.esteps.version',
  /**
   * Set on a throw-away container `up` runs to look into an image (`envoy`: is Envoy in it?),
   * and on the one-shot Swarm job that pulls a new image onto the nodes ahead of its service
   * (`pull`).
   */
  probe: 'com.esteps.probe',
  /**
   * Secrets: on `<project>.secrets`, `values`; on a container, the revisions (hashes, never
   * values) of the secrets it reads, `dbPassword=ab12...`; on a data volume, the revisions of
   * the secrets of the services that initialised it.
   */
  secrets: 'com.esteps.secrets',
  /**
   * On `<project>.secrets`: a random id that the volume also holds as a file
   * (`.esteps-volume-id`), so a process on the engine's own host can tell that the folder
   * the engine reports as the volume's is that volume (secrets/local-volume-read.ts). On a
   * Swarm secret: the id of the values volume its value came from.
   */
  volumeId: 'com.esteps.volume-id',
  /**
   * On a project's lock (a container `esteps-lock.<project>`, never started, on the engine
   * the project runs on): the project it locks. Not the project label: `down` removes what
   * carries that, and `up` plans away the project's stray containers.
   */
  lock: 'com.esteps.lock',
  /** On a project's lock: who holds it, as JSON (command, pid, host, heartbeat interval). */
  lockHolder: 'com.esteps.lock-holder',
  /** Set on resources that tests create, with the test run's id, for cleanup. */
  test: 'com.esteps.test',
  /**
   * `esteps/testing`: the id of the test process (run) that brought a project up. On the
   * project's marker volume `<project>.test-run` (which also carries the project label): when
   * that process dies, the reaper removes every project whose marker names its run.
   */
  testRun: 'com.esteps.test-run',
  /** Set on stand-in images built by `npm run setup`: the official image stood in for. */
  standIn: 'com.esteps.standin',
  /** Hash of a stand-in's build files, so setup rebuilds only when they change. */
  standInHash: 'com.esteps.standin-hash',
  /** Set on everything `npm run swarm:up` creates: the test Swarm's cluster name. */
  swarm: 'com.esteps.swarm',
  /** On a Swarm service with a volume: the node hostname it is pinned to (chosen at first deploy). */
  swarmNode: 'com.esteps.swarm-node',
  /** On a Swarm secret: the project secret it holds (its name carries a hash of the value). */
  secret: 'com.esteps.secret',
  /** What a test-Swarm container is: `manager`, `worker` or `registry`. */
  swarmRole: 'com.esteps.swarm-role',
  /**
   * On a Swarm service whose image esteps pushed: what the image was made from,
   * `build:<build-input hash>` for a built image, `image:<image ID>` for a stand-in of setup.
   * An unchanged source proves the image unchanged without building it.
   */
  imageSource: 'com.esteps.image-source',
  /** On a Swarm service of a hot-patchable built image: the code version of its bundle. */
  codeVersion: 'com.esteps.code-version',
} as const;

/** The label filter that selects everything of one project. */
export function projectFilter(project: string): { label: string[] } {
  return { label: [`${labels.project}=${project}`] };
}
