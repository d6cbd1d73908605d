/**
 * Which image each Swarm service runs, decided without building or pushing anything. The
 * nodes pull every image themselves, so each image this machine makes (a built one, or a
 * stand-in of `npm run setup`, which no registry serves) goes to the registry, and services
 * name it with its digest. What it was made from (the build-input hash `up` uses on one
 * engine, or a stand-in's image ID) is a label on the service: while that source is the
 * same and the registry still serves the digest, the running reference is kept; otherwise
 * the plan builds (when the build engine has no image of these inputs) and pushes. Other
 * images (`postgres:16`) are pulled by the nodes from where they come from.
 */
import type Docker from 'dockerode';
import { codeVersion } from '../../../service/supervisor/contract.js';
import { baseImages } from '../../../stacks/model/base-image-args.js';
import type { ResolvedService, ResolvedStack } from '../../../stacks/model/model.js';
import type { BuildContext } from '../build-context.js';
import { engineUnavailable } from '../client.js';
import { buildHash } from '../config-hash.js';
import { engineMessage, statusCode } from '../engine-errors.js';
import { labels } from '../labels.js';
import type { ObservedState } from '../observed-state.js';
import { contextFile } from './context-file.js';
import type { ObservedSwarmService } from './observe-swarm.js';

/** What the build engine says of a service's image. */
export type ImageFacts =
  | {
      readonly kind: 'built';
      /** The build-input hash (config-hash.ts `buildHash`). */
      readonly hash: string;
      /** The build engine has an image of the service's tag built from these inputs. */
      readonly built: boolean;
      /** The code version of the hot-patchable bundle in the context. */
      readonly codeVersion?: string;
    }
  | { readonly kind: 'stand-in'; readonly id: string }
  | { readonly kind: 'pulled' };

/** The label value recording an image's source; none for an image the nodes pull themselves. */
export function imageSourceLabel(facts: ImageFacts): string | undefined {
  if (facts.kind === 'built') return `build:${facts.hash}`;
  if (facts.kind === 'stand-in') return `image:${facts.id}`;
  return undefined;
}

/** What the build engine says of the stack's images. */
export interface StackImageFacts {
  /** By service. */
  readonly facts: Readonly<Record<string, ImageFacts>>;
  /** Image reference -> the official image a stand-in of setup stands in for (its label). */
  readonly standIns: Readonly<Record<string, string>>;
  /** The build contexts, by service (built services only). */
  readonly contexts: Readonly<Record<string, BuildContext>>;
}

/**
 * Reads the build engine (a few image inspects, no build): each service's image facts.
 * Connection failures are ENGINE_UNAVAILABLE for the build engine.
 */
export async function readImageFacts(
  docker: Docker,
  buildEnv: Readonly<Record<string, string | undefined>>,
  stack: ResolvedStack,
  contexts: () => Promise<Readonly<Record<string, BuildContext>>>,
): Promise<StackImageFacts> {
  const inspect = (ref: string) =>
    docker
      .getImage(ref)
      .inspect()
      .catch((err: unknown) => {
        if (statusCode(err) === 404) return undefined;
        throw statusCode(err) === undefined ? engineUnavailable(buildEnv, err) : err;
      });
  const built = stack.services.some((s) => s.build);
  // Bundling (CPU) while the engine answers.
  const [all, entries] = await Promise.all([
    built ? contexts() : Promise.resolve({} as Readonly<Record<string, BuildContext>>),
    Promise.all(
      stack.services.map(async (s) => {
        const refs = [s.image, ...Object.values(baseImages(s.build))];
        const infos = await Promise.all(refs.map(inspect));
        return [s, new Map(refs.map((r, i) => [r, infos[i]]))] as const;
      }),
    ),
  ]);
  const standIns: Record<string, string> = {};
  for (const [, images] of entries) {
    for (const [ref, info] of images) {
      const of = info?.Config?.Labels?.[labels.standIn];
      if (of) standIns[ref] = of;
    }
  }
  return {
    facts: Object.fromEntries(
      entries.map(([s, images]) => [s.name, serviceFacts(s, images, all[s.name])]),
    ),
    standIns,
    contexts: all,
  };
}

function serviceFacts(
  s: ResolvedService,
  images: ReadonlyMap<string, Docker.ImageInspectInfo | undefined>,
  context: BuildContext | undefined,
): ImageFacts {
  const own = images.get(s.image);
  if (!s.build) {
    return own?.Config?.Labels?.[labels.standIn]
      ? { kind: 'stand-in', id: own.Id }
      : { kind: 'pulled' };
  }
  if (!context) throw new Error(`no build context for ${s.name}`);
  const observed = {
    images: Object.fromEntries([...images].map(([ref, info]) => [ref, info && { id: info.Id }])),
  } as unknown as ObservedState;
  const hash = buildHash(s, context.digest, observed);
  const bundle = s.hotpatch && contextFile(context.tar, s.hotpatch.bundle);
  return {
    kind: 'built',
    hash,
    built: own?.Config?.Labels?.[labels.configHash] === hash,
    ...(bundle && { codeVersion: codeVersion(bundle) }),
  };
}

/** What the registry says of a digest the Swarm runs. */
export type RegistryAnswer =
  | { readonly serves: true }
  | { readonly serves: false; readonly reason: string };

/**
 * Whether the registry serves `ref` (`name@sha256:...`), asked through the manager (`GET
 * /distribution/{name}/json`: the engine asks the registry, as a node pulling it would).
 */
export async function registryServes(docker: Docker, ref: string): Promise<RegistryAnswer> {
  try {
    await docker.getImage(ref).distribution({});
    return { serves: true };
  } catch (err) {
    const digest = ref.slice(ref.indexOf('@') + 1, ref.indexOf('@') + 20);
    const message = engineMessage(err);
    return /manifest unknown|not found|404/i.test(message)
      ? { serves: false, reason: `the registry no longer serves ${digest}` }
      : { serves: false, reason: `the registry did not answer for ${digest} (${message})` };
  }
}

/** How a service gets its image. */
export type ImageChoice =
  /** The nodes pull the stack's reference from where it comes from. */
  | { readonly kind: 'as-is'; readonly ref: string }
  /** The reference the service runs now, digest included: unchanged. */
  | {
      readonly kind: 'kept';
      readonly ref: string;
      readonly source?: string;
      /** The code version of its hot-patchable bundle. */
      readonly codeVersion?: string;
    }
  /** Pushed (after a build when `build`), then named with the digest the push gives. */
  | {
      readonly kind: 'push';
      readonly source: string;
      /** The local image, e.g. `esteps/p-usersvc:latest`. */
      readonly image: string;
      /** Where it is pushed from the build engine (`<push registry>/<name>:<tag>`). */
      readonly pushRef: string;
      /** The nodes' name for it without the digest (`<registry>/<name>:<tag>`). */
      readonly ref: string;
      /** Build first: the build engine has no image of these inputs. */
      readonly build?: { readonly hash: string };
      /** Why it is pushed (and, for the service, why its image is new). */
      readonly cause: string;
      /** The code version of its hot-patchable bundle. */
      readonly codeVersion?: string;
    };

/** The reference a pushed image keeps its registry name under: `<registry>/<name>:<tag>`. */
export function registryRef(
  registry: string,
  image: string,
): { ref: string; repository: string; tag: string } {
  const { repository, tag } = splitReference(image);
  return { ref: `${registry}/${repository}:${tag}`, repository, tag };
}

export interface ChooseImageInput {
  readonly service: ResolvedService;
  readonly facts: ImageFacts;
  /** The service as the Swarm runs it. */
  readonly running: ObservedSwarmService | undefined;
  readonly registry: string;
  readonly pushRegistry: string;
  /** The registry's answer for the running reference (asked only for a candidate to keep). */
  readonly answer?: RegistryAnswer;
}

/**
 * The running reference to keep when its source is unchanged and it names this registry;
 * undefined otherwise (a push is due). Pure: the registry is asked about what this returns.
 */
export function keepCandidate(input: Omit<ChooseImageInput, 'answer'>): string | undefined {
  const { running, facts, service } = input;
  const ref = runningImage(running);
  const source = imageSourceLabel(facts);
  if (!ref || !source || running?.imageSource !== source) return undefined;
  const { ref: name } = registryRef(input.registry, service.image);
  return ref.startsWith(`${name}@sha256:`) ? ref : undefined;
}

/** The image choice of a service this machine makes an image for (pure). */
export function chooseImage(input: ChooseImageInput): ImageChoice {
  const { facts, service } = input;
  const source = imageSourceLabel(facts);
  if (!source) return { kind: 'as-is', ref: service.image };
  const code =
    facts.kind === 'built' && facts.codeVersion ? { codeVersion: facts.codeVersion } : {};
  const kept = keepCandidate(input);
  if (kept && input.answer?.serves) return { kind: 'kept', ref: kept, source, ...code };
  const { ref, repository, tag } = registryRef(input.registry, service.image);
  return {
    kind: 'push',
    source,
    image: service.image,
    pushRef: `${input.pushRegistry}/${repository}:${tag}`,
    ref,
    ...(facts.kind === 'built' && !facts.built && { build: { hash: facts.hash } }),
    cause: pushCause(input, kept),
    ...code,
  };
}

function pushCause(input: ChooseImageInput, kept: string | undefined): string {
  const { running, facts } = input;
  if (kept && input.answer && !input.answer.serves) return input.answer.reason;
  if (!running) return 'no service runs it yet';
  if (!running.imageSource) return 'the running image has no recorded source';
  if (running.imageSource !== imageSourceLabel(facts)) {
    return facts.kind === 'built' ? 'build inputs changed' : 'stand-in image changed';
  }
  return 'the service runs it from another registry';
}

/** The image reference a Swarm service's tasks run. */
export function runningImage(service: ObservedSwarmService | undefined): string | undefined {
  return (service?.spec as { TaskTemplate?: { ContainerSpec?: { Image?: string } } } | undefined)
    ?.TaskTemplate?.ContainerSpec?.Image;
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
