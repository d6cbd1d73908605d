/**
 * `up --swarm`'s read-only half: observe the Swarm (the manager), the images (the build
 * engine: inspects, no build), the registry (does it still serve each digest kept?) and the
 * project's secrets (proved by the Swarm secrets' labels, else read), then plan (pure).
 * Builds, tags, pushes, writes and changes nothing, on any engine: a dry run is this alone.
 */
import { randomBytes } from 'node:crypto';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import type { Engine } from '../../engine/client.js';
import { readProjectSecrets, secretRevision } from '../../engine/secrets/project-secrets.js';
import { type ObservedSwarm, observeSwarm } from '../../engine/swarm/observe-swarm.js';
import { planSwarm, type SwarmPlan } from '../../engine/swarm/plan-swarm.js';
import { noRegistry } from '../../engine/swarm/push-images.js';
import { swarmServiceName } from '../../engine/swarm/service-spec.js';
import {
  chooseImage,
  type ImageChoice,
  imageSourceLabel,
  keepCandidate,
  type RegistryAnswer,
  readImageFacts,
  registryServes,
  runningImage,
  type StackImageFacts,
} from '../../engine/swarm/swarm-images.js';
import { provedRevisions } from '../../engine/swarm/swarm-secrets.js';
import type { SwarmSettings } from '../../engine/swarm/swarm-settings.js';
import { type SwarmServiceUrl, swarmServiceUrls } from '../../engine/swarm/swarm-tasks.js';
import type { PlanRequest } from '../target.js';

type Docker = Engine['docker'];

/** A plan and what it was made from: what `apply` carries out. */
export interface SwarmPlanState {
  readonly stack: ResolvedStack;
  readonly plan: SwarmPlan;
  readonly observed: ObservedSwarm;
  readonly images: StackImageFacts;
  readonly choices: Readonly<Record<string, ImageChoice>>;
  readonly secrets: PlannedSecrets;
  /** The request's scale (a plan made again after storing secrets keeps it). */
  readonly scale: Readonly<Record<string, number>>;
  /** Where the services answer as the plan found them (what a plan without change reports). */
  readonly urls: Promise<SwarmServiceUrl[]>;
}

/** The project's secrets as the plan knows them. */
export interface PlannedSecrets {
  /** Each secret's revision: it names the Swarm secret. */
  readonly revisions: Readonly<Record<string, string>>;
  /** The values read or made up (none when the Swarm proved every revision). */
  readonly values: Readonly<Record<string, string>>;
  /** Secrets the values volume does not hold yet: `apply` stores `values` of these. */
  readonly toStore: readonly string[];
}

export interface SwarmPlanInput {
  readonly request: PlanRequest;
  readonly manager: Docker;
  readonly builder: Docker;
  readonly buildEnv: Readonly<Record<string, string | undefined>>;
  readonly settings: SwarmSettings;
  readonly version: string;
}

export async function planOnSwarm(input: SwarmPlanInput): Promise<SwarmPlanState> {
  const { request, manager, settings } = input;
  const { stack } = request;
  request.progress.start(`reading project ${stack.project} from the Swarm`);
  const observing = observeSwarm(manager, stack.project);
  // As soon as the Swarm is read, and while the build engine is read and the code bundled:
  // the registry is asked about every digest the services run (the running image is kept
  // only when the registry still serves it), and the tasks are listed (where the services
  // answer, for a plan that changes nothing).
  const answers = observing.then((observed) => askRegistry(manager, observed));
  const urls = observing.then((observed) =>
    swarmServiceUrls(manager, stack, settings, {
      services: observed.services.map((o) => ({ id: o.id, service: o.service })),
      nodes: observed.nodes,
    }),
  );
  for (const p of [answers, urls]) p.catch(() => undefined);
  const [observed, images] = await Promise.all([
    observing,
    readImageFacts(input.builder, input.buildEnv, stack, request.contexts),
  ]);
  const [choices, secrets] = await Promise.all([
    chooseImages(input, observed, images, await answers),
    plannedSecrets(manager, stack, observed, request.project.legacySecrets),
  ]);
  request.progress.stop();
  const plan = planSwarm({
    stack,
    observed,
    images: choices,
    revisions: secrets.revisions,
    scale: request.scale,
    modes: settings.modes,
    version: input.version,
  });
  return { stack, plan, observed, images, choices, secrets, scale: request.scale, urls };
}

/** The registry's answer for each digest-pinned image a service of the project runs. */
async function askRegistry(
  manager: Docker,
  observed: ObservedSwarm,
): Promise<ReadonlyMap<string, RegistryAnswer>> {
  const refs = [
    ...new Set(
      observed.services.flatMap((o) => {
        const ref = runningImage(o);
        return o.imageSource && ref?.includes('@sha256:') ? [ref] : [];
      }),
    ),
  ];
  const answers = await Promise.all(refs.map((ref) => registryServes(manager, ref)));
  return new Map(refs.map((ref, i) => [ref, answers[i]!]));
}

/** The plan made again with the secrets as `apply` stored them (only names may change). */
export function replanWithSecrets(
  state: SwarmPlanState,
  values: Readonly<Record<string, string>>,
  settings: SwarmSettings,
  version: string,
): SwarmPlanState {
  const secrets: PlannedSecrets = {
    revisions: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretRevision(v)])),
    values,
    toStore: [],
  };
  const plan = planSwarm({
    stack: state.stack,
    observed: state.observed,
    images: state.choices,
    revisions: secrets.revisions,
    scale: state.scale,
    modes: settings.modes,
    version,
  });
  return { ...state, plan, secrets };
}

/**
 * Each service's image: kept while its source is unchanged and the registry serves its
 * digest (asked for all at once), else pushed (and built first when the build engine has
 * no image of these inputs). With `only` (a Swarm hot patch), the other services keep the
 * image they run.
 */
async function chooseImages(
  input: SwarmPlanInput,
  observed: ObservedSwarm,
  images: StackImageFacts,
  answers: ReadonlyMap<string, RegistryAnswer>,
): Promise<Record<string, ImageChoice>> {
  const { stack, only } = input.request;
  const { registry, pushRegistry } = input.settings;
  const entries = stack.services.map(async (s): Promise<[string, ImageChoice]> => {
    const running = observed.services.find(
      (o) => o.name === swarmServiceName(stack.project, s.name),
    );
    const ref = runningImage(running);
    if (only && !only.includes(s.name) && ref) {
      // Its spec as it runs: the same source and code version labels.
      const labels = {
        ...(running?.imageSource && { source: running.imageSource }),
        ...(running?.codeVersion && { codeVersion: running.codeVersion }),
      };
      return [s.name, { kind: 'kept', ref, ...labels }];
    }
    const facts = images.facts[s.name]!;
    if (!imageSourceLabel(facts)) return [s.name, { kind: 'as-is', ref: s.image }];
    if (!registry || !pushRegistry) throw noRegistry(s.image);
    const base = { service: s, facts, running, registry, pushRegistry };
    const candidate = keepCandidate(base);
    const answer: RegistryAnswer | undefined = candidate
      ? (answers.get(candidate) ?? (await registryServes(input.manager, candidate)))
      : undefined;
    return [s.name, chooseImage({ ...base, ...(answer && { answer }) })];
  });
  return Object.fromEntries(await Promise.all(entries));
}

/**
 * The secrets' revisions: proved by the Swarm's secrets (no read), else from the values
 * volume on the manager (read through a helper container, nothing written); a value it
 * lacks is the legacy file's, or made up now and stored by `apply`.
 */
async function plannedSecrets(
  manager: Docker,
  stack: ResolvedStack,
  observed: ObservedSwarm,
  legacy: Readonly<Record<string, string>>,
): Promise<PlannedSecrets> {
  if (stack.secrets.length === 0) return { revisions: {}, values: {}, toStore: [] };
  const proved = provedRevisions(stack, observed);
  if (proved) return { revisions: proved, values: {}, toStore: [] };
  const stored = await readProjectSecrets(manager, stack.project);
  const values = Object.fromEntries(
    stack.secrets.map((name) => [
      name,
      stored[name] ??
        legacy[name] ??
        randomBytes(stack.secretLengths[name] ?? 32).toString('base64url'),
    ]),
  );
  return {
    revisions: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretRevision(v)])),
    values,
    toStore: stack.secrets.filter((name) => stored[name] === undefined),
  };
}
