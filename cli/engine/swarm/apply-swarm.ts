/**
 * Carries out a Swarm plan and decides nothing. The images are built and pushed at once
 * (each build before its push) while networks and secrets are created; each service is
 * created or updated as soon as its image is pushed and the services it depends on have
 * converged, and waited for; old secrets go last. The first failure stops what has not
 * started and is thrown once everything started has ended.
 */
import type Docker from 'dockerode';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { EstepsError } from '../../errors.js';
import type { Progress } from '../../ui/progress.js';
import type { BuildContext } from '../build-context.js';
import { labels } from '../labels.js';
import type { SwarmOperation, SwarmPlan } from './plan-swarm.js';
import { buildServiceImage, pushImage } from './push-images.js';
import { swarmServiceSpec } from './service-spec.js';
import { waitForSwarmService } from './wait-swarm-service.js';

export interface ApplySwarmInput {
  /** The manager. */
  readonly docker: Docker;
  /** The engine that builds and pushes (connected only when an image step needs it). */
  readonly builder: () => Promise<Docker>;
  readonly stack: ResolvedStack;
  readonly plan: SwarmPlan;
  /** Secret name -> ID, as observed. */
  readonly secretIds: Readonly<Record<string, string>>;
  /** The values of the secrets the plan creates (by project secret). */
  readonly secretValues: Readonly<Record<string, string>>;
  /** The values volume's id, labelled on each Swarm secret made from it. */
  readonly valuesVolumeId: string | undefined;
  /** The build contexts of the services the plan builds. */
  readonly contexts: Readonly<Record<string, BuildContext>>;
  /** esteps' version, for the labels of built images. */
  readonly version: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export interface AppliedSwarmPlan {
  /** Each pushed image's reference with its digest, by service. */
  readonly pushed: Readonly<Record<string, string>>;
}

type ServiceOp = Extract<SwarmOperation, { kind: 'create-service' | 'update-service' }>;

export async function applySwarmPlan(input: ApplySwarmInput): Promise<AppliedSwarmPlan> {
  const { stack, progress } = input;
  const stop = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal;
  const started: Promise<unknown>[] = [];
  let first: { error: unknown } | undefined;
  const track = <T>(p: Promise<T>): Promise<T> => {
    started.push(
      p.catch((error: unknown) => {
        first ??= { error };
        stop.abort();
      }),
    );
    return p;
  };
  const ops = input.plan.operations;
  const pushed: Record<string, string> = {};
  const images = new Map<string, Promise<string>>();
  for (const op of ops) {
    if (op.kind !== 'push-image') continue;
    const build = ops.find((b) => b.kind === 'build-image' && b.service === op.service);
    const image = (async () => {
      const docker = await input.builder();
      if (build?.kind === 'build-image') {
        const context = input.contexts[op.service];
        if (!context) throw new Error(`no build context for ${op.service}`);
        await buildServiceImage({
          docker,
          stack,
          service: op.service,
          context,
          hash: build.hash,
          version: input.version,
          progress,
          signal,
        });
      }
      const ref = await pushImage({ docker, ...op, progress, signal });
      pushed[op.service] = ref;
      return ref;
    })();
    images.set(op.service, track(image));
  }
  const jobs: Promise<string | undefined>[] = [];
  for (const op of ops) {
    if (op.kind !== 'pull-image') continue;
    const image = images.get(op.service);
    if (image)
      jobs.push(
        image.then(
          (ref) => startPullJob(input, op, ref),
          () => undefined,
        ),
      );
  }
  const ids: Record<string, string> = { ...input.secretIds };
  const shared = track(createNetworksAndSecrets(input, ids));
  const converged = new Map<string, Promise<void>>();
  for (const op of ops) {
    if (op.kind !== 'create-service' && op.kind !== 'update-service') continue;
    const run = async () => {
      // Every service's entry is in the map before any of them looks up its dependencies.
      await null;
      const deps = (stack.services.find((s) => s.name === op.service)?.dependsOn ?? []).flatMap(
        (d) => converged.get(d.service) ?? [],
      );
      await Promise.all([shared, ...deps]);
      const image = 'ref' in op.image ? op.image.ref : await images.get(op.image.pushedFor)!;
      if (signal.aborted) return;
      await applyService(input, op, image, ids, signal);
    };
    converged.set(op.service, track(run()));
  }
  await Promise.allSettled(started);
  // The pull jobs' work is done (their services run) or moot (a failure): they go.
  const pullJobs = [
    ...ops.flatMap((op) => (op.kind === 'remove-pull-job' ? [op.id] : [])),
    ...(await Promise.all(jobs)),
  ];
  await Promise.all(
    pullJobs.flatMap((id) =>
      id
        ? [
            input.docker
              .getService(id)
              .remove()
              .catch(() => undefined),
          ]
        : [],
    ),
  );
  if (first) throw first.error;
  if (input.signal?.aborted) throw new EstepsError('INTERRUPTED', 'Interrupted.');
  for (const op of ops) {
    if (op.kind !== 'remove-secret' || !ids[op.name]) continue;
    // In use by a task that is still going away: the next `up --swarm` removes it.
    await input.docker
      .getSecret(ids[op.name]!)
      .remove()
      .catch(() => undefined);
  }
  progress.stop();
  return { pushed };
}

/**
 * A one-shot service on every node the service may run on, whose task pulls the image and
 * then fails to start on purpose (its command does not exist), never restarted: the image
 * is on the nodes before the rolling update reaches them. Best effort: the update pulls what
 * this did not. Returns the job's service ID.
 */
async function startPullJob(
  input: ApplySwarmInput,
  op: Extract<SwarmOperation, { kind: 'pull-image' }>,
  image: string,
): Promise<string | undefined> {
  const { stack } = input;
  try {
    const created = (await input.docker.createService({
      Name: `${stack.project}_${op.service}_pull-${image.slice(-12)}`,
      Labels: { [labels.project]: stack.project, [labels.probe]: 'pull' },
      TaskTemplate: {
        ContainerSpec: { Image: image, Command: ['/esteps-only-pulls-this-image'] },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: [...op.constraints] },
      },
      // Global with no restart: one task a node, failed once (a job is retried until done).
      Mode: { Global: {} },
    } as never)) as { id?: string; ID?: string };
    input.progress.info(`pulling ${image} onto the nodes of ${op.service}`);
    return created.id ?? created.ID;
  } catch {
    return undefined;
  }
}

async function createNetworksAndSecrets(
  input: ApplySwarmInput,
  ids: Record<string, string>,
): Promise<void> {
  const { docker, stack, progress } = input;
  for (const op of input.plan.operations) {
    if (op.kind === 'create-network') {
      progress.start(`create network ${op.name}`);
      await docker.createNetwork({
        Name: op.name,
        Driver: 'overlay',
        Attachable: true,
        Labels: { [labels.project]: stack.project },
      });
    } else if (op.kind === 'create-secret') {
      progress.start(`create secret ${op.name}`);
      const value = input.secretValues[op.secret];
      if (value === undefined) throw new Error(`no value for secret ${op.secret}`);
      const created = (await docker.createSecret({
        Name: op.name,
        Labels: {
          [labels.project]: stack.project,
          [labels.secret]: op.secret,
          ...(input.valuesVolumeId && { [labels.volumeId]: input.valuesVolumeId }),
        },
        Data: Buffer.from(value).toString('base64'),
      } as never)) as { id?: string; ID?: string };
      ids[op.name] = created.id ?? created.ID ?? '';
    }
  }
}

async function applyService(
  input: ApplySwarmInput,
  op: ServiceOp,
  image: string,
  ids: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<void> {
  const { docker, progress } = input;
  const spec = withSecretIds(swarmServiceSpec({ ...op.input, image }).spec, ids);
  const verb = op.kind === 'create-service' ? 'create' : 'update';
  progress.start(`${verb} service ${op.service}`);
  let id: string;
  let updateStartedBefore: string | undefined;
  if (op.kind === 'create-service') {
    const created = (await docker.createService(spec as never)) as { id?: string; ID?: string };
    id = created.id ?? created.ID ?? '';
  } else {
    const before = (await docker.getService(op.id).inspect()) as {
      UpdateStatus?: { StartedAt?: string };
    };
    updateStartedBefore = before.UpdateStatus?.StartedAt ?? '';
    await docker.getService(op.id).update({ version: op.versionIndex, ...spec } as never);
    id = op.id;
  }
  await waitForSwarmService({
    docker,
    id,
    service: op.service,
    ...(updateStartedBefore !== undefined && { updateStartedBefore }),
    signal,
    onStatus: (text) => progress.update(text),
  });
  progress.succeed(`${verb} service ${op.service}: converged`);
}

function withSecretIds(
  spec: Record<string, unknown>,
  ids: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const copy = structuredClone(spec) as {
    TaskTemplate: { ContainerSpec: { Secrets: { SecretName: string; SecretID: string }[] } };
  };
  for (const s of copy.TaskTemplate.ContainerSpec.Secrets) s.SecretID = ids[s.SecretName] ?? '';
  return copy as unknown as Record<string, unknown>;
}
