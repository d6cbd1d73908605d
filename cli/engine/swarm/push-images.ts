/**
 * Images for a Swarm: the nodes pull every image themselves, so each image this machine made
 * (a built one, or a stand-in of `npm run setup`, which no registry serves) is tagged for the
 * registry and pushed; services then name it with its digest, so a new build is a new spec
 * (a rolling update) and an unchanged one is no change at all. Other images (`postgres:16`)
 * are pulled by the nodes from where they come from.
 */
import type Docker from 'dockerode';
import { baseImages } from '../../../stacks/model/base-image-args.js';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { EstepsError } from '../../errors.js';
import type { Progress } from '../../ui/progress.js';
import { buildImage } from '../build.js';
import type { BuildContext } from '../build-context.js';
import { buildHash } from '../config-hash.js';
import { engineMessage } from '../engine-errors.js';
import { labels } from '../labels.js';
import type { ObservedState } from '../observed-state.js';
import { readProgressStream } from '../progress-stream.js';

export interface PushImagesInput {
  /** The engine that builds and pushes (this machine's). */
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  /** Services to build and push (hotpatch: the patched ones); @default every service */
  readonly only?: readonly string[];
  readonly contexts: () => Promise<Readonly<Record<string, BuildContext>>>;
  readonly registry: string | undefined;
  readonly pushRegistry: string | undefined;
  readonly version: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

/** Service name -> the reference its tasks run (`<registry>/<name>:<tag>@sha256:...`). */
export async function buildAndPushImages(input: PushImagesInput): Promise<Record<string, string>> {
  const { docker, stack, progress } = input;
  const services = stack.services.filter((s) => !input.only || input.only.includes(s.name));
  const contexts = services.some((s) => s.build) ? await input.contexts() : {};
  const refs: Record<string, string> = {};
  for (const s of services) {
    if (s.build) {
      // The same build-input hash as `up` on one engine: an image already built from these
      // inputs is not built again (it is still pushed: the registry answers for its layers).
      const context = contexts[s.name]!;
      const [existing, bases] = await Promise.all([
        imageInfo(docker, s.image),
        Promise.all(
          Object.values(baseImages(s.build)).map(
            async (ref) => [ref, await imageInfo(docker, ref)] as const,
          ),
        ),
      ]);
      const hash = buildHash(s, context.digest, {
        images: Object.fromEntries(bases.map(([ref, info]) => [ref, info && { id: info.Id }])),
      } as unknown as ObservedState);
      if (existing?.Config?.Labels?.[labels.configHash] !== hash) {
        progress.start(`build image ${s.image}`);
        await buildImage(docker, {
          tag: s.image,
          context: context.tar,
          dockerfile: s.build.dockerfile,
          buildArgs: s.build.args,
          labels: {
            [labels.project]: stack.project,
            [labels.service]: s.name,
            [labels.version]: input.version,
            [labels.configHash]: hash,
          },
          ...(input.signal && { signal: input.signal }),
          onStep: (step) => progress.update(`build image ${s.image}: ${step}`),
        });
      }
    } else if (!(await isStandIn(docker, s.image))) {
      continue;
    }
    refs[s.name] = await pushImage(input, s.image);
  }
  progress.stop();
  return refs;
}

async function isStandIn(docker: Docker, ref: string): Promise<boolean> {
  return Boolean((await imageInfo(docker, ref))?.Config?.Labels?.[labels.standIn]);
}

function imageInfo(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  return docker
    .getImage(ref)
    .inspect()
    .catch(() => undefined);
}

async function pushImage(input: PushImagesInput, ref: string): Promise<string> {
  const { registry, pushRegistry, docker, progress } = input;
  if (!registry || !pushRegistry) {
    throw new EstepsError(
      'PUSH_FAILED',
      `No registry to push ${ref} to: the Swarm nodes cannot pull it otherwise.`,
      {
        hint: 'Set ESTEPS_REGISTRY to a registry every node can pull from (the test Swarm of npm run swarm:up sets one itself).',
      },
    );
  }
  const { repository, tag } = splitReference(ref);
  const pushRef = `${pushRegistry}/${repository}:${tag}`;
  progress.start(`push ${pushRef}`);
  let digest: string | undefined;
  let error: string | undefined;
  try {
    await docker.getImage(ref).tag({ repo: `${pushRegistry}/${repository}`, tag });
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
    error ??= engineMessage(err);
  }
  if (error || !digest) {
    throw new EstepsError(
      'PUSH_FAILED',
      `Pushing ${pushRef} failed: ${error ?? 'the registry returned no digest'}.`,
      {
        hint: `Check that the registry at ${pushRegistry} answers (npm run swarm:up repairs the test Swarm's), then run the command again.`,
      },
    );
  }
  return `${registry}/${repository}:${tag}@${digest}`;
}

/** `host:5000/a/b:tag` -> { repository: 'a/b', tag }: the registry part is replaced. */
export function splitReference(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : 'latest';
  let repository = colon > slash ? name.slice(0, colon) : name;
  const first = repository.split('/')[0]!;
  if (
    repository.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
  ) {
    repository = repository.slice(first.length + 1);
  }
  return { repository, tag };
}
