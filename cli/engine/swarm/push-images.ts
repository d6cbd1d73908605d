/**
 * The image steps of a Swarm plan, on the build engine: build a service's image (labelled
 * with its build-input hash, as `up` on one engine does, so the next plan finds it built),
 * and push an image to the registry the nodes pull from, returning the reference with the
 * digest the registry gave it.
 */
import type Docker from 'dockerode';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { EstepsError } from '../../errors.js';
import type { Progress } from '../../ui/progress.js';
import { buildImage } from '../build.js';
import type { BuildContext } from '../build-context.js';
import { engineMessage } from '../engine-errors.js';
import { labels } from '../labels.js';
import { readProgressStream } from '../progress-stream.js';

export interface BuildServiceImageInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  readonly service: string;
  readonly context: BuildContext;
  /** The build-input hash the plan computed: the image's config-hash label. */
  readonly hash: string;
  readonly version: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export async function buildServiceImage(input: BuildServiceImageInput): Promise<void> {
  const s = input.stack.services.find((x) => x.name === input.service);
  if (!s?.build) throw new Error(`buildServiceImage: ${input.service} is not built`);
  input.progress.start(`build image ${s.image}`);
  await buildImage(input.docker, {
    tag: s.image,
    context: input.context.tar,
    dockerfile: s.build.dockerfile,
    buildArgs: s.build.args,
    labels: {
      [labels.project]: input.stack.project,
      [labels.service]: s.name,
      [labels.version]: input.version,
      [labels.configHash]: input.hash,
    },
    ...(input.signal && { signal: input.signal }),
    onStep: (step) => input.progress.update(`build image ${s.image}: ${step}`),
  });
  input.progress.succeed(`build image ${s.image}`);
}

export interface PushImageInput {
  readonly docker: Docker;
  /** The local image (`esteps/p-usersvc:latest`). */
  readonly image: string;
  /** Where to push it (`<push registry>/<name>:<tag>`). */
  readonly pushRef: string;
  /** The nodes' name for it (`<registry>/<name>:<tag>`): the result adds the digest. */
  readonly ref: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

/** Tags and pushes; the nodes' reference with the digest (PUSH_FAILED otherwise). */
export async function pushImage(input: PushImageInput): Promise<string> {
  const { docker, pushRef, progress } = input;
  const colon = pushRef.lastIndexOf(':');
  progress.start(`push image ${pushRef}`);
  let digest: string | undefined;
  let error: string | undefined;
  try {
    await docker
      .getImage(input.image)
      .tag({ repo: pushRef.slice(0, colon), tag: pushRef.slice(colon + 1) });
    const stream = (await docker
      .getImage(pushRef)
      .push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
    await readProgressStream(
      stream,
      (m) => {
        if (m.error || m.errorDetail) error ??= m.errorDetail?.message ?? m.error;
        const aux = m.aux as { Digest?: string } | undefined;
        if (aux?.Digest) digest = aux.Digest;
      },
      input.signal,
    );
  } catch (err) {
    if (input.signal?.aborted) throw err;
    error ??= engineMessage(err);
  }
  if (error || !digest) {
    const registry = pushRef.slice(0, pushRef.indexOf('/'));
    throw new EstepsError(
      'PUSH_FAILED',
      `Pushing ${pushRef} failed: ${error ?? 'the registry returned no digest'}.`,
      {
        hint: `Check that the registry at ${registry} answers (npm run swarm:up repairs the test Swarm's), then run the command again.`,
      },
    );
  }
  progress.succeed(`push image ${pushRef}`);
  return `${input.ref}@${digest}`;
}

/** PUSH_FAILED: an image must go to a registry and none is set. */
export function noRegistry(image: string): EstepsError {
  return new EstepsError(
    'PUSH_FAILED',
    `No registry to push ${image} to: the Swarm nodes cannot pull it otherwise.`,
    {
      hint: 'Set ESTEPS_REGISTRY to a registry every node can pull from (the test Swarm of npm run swarm:up sets one itself).',
    },
  );
}
