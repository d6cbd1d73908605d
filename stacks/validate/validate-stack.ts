import { stackEnvoyProblems } from '../envoy/edge-validate.js';
import { envoyDefaults } from '../model/envoy-spec-defaults.js';
import type { StackProblem } from '../model/errors.js';
import type {
  BuildSpec,
  DependencySpec,
  EnvRef,
  ImageSource,
  ServiceSpec,
  StackSpec,
} from '../model/model.js';
import { packageEntries } from '../model/package-entries.js';
import { secretFileName } from '../model/secret-files.js';
import { checkHardening } from './check-hardening.js';
import { checkHealthcheck, checkProbe } from './check-health.js';
import { checkMountTargets } from './check-mount-targets.js';
import { checkHostPorts, checkPort } from './check-ports.js';
import { checkProcess, variablePattern } from './check-process.js';
import { checkShape, stackShape } from './check-shape.js';
import { type NameKind, nameProblem, showName } from './names.js';
import { durationProblem, isWhole, maxTarId, ownerProblem, wholeRule } from './numbers.js';
import { didYouMean } from './suggest.js';

/**
 * Every problem of a stack definition, each with its path. Pure; `defineStack()` throws them
 * together. Checks: names, images with explicit tags, ports, duplicate host ports, replicas,
 * dependencies (unknown, cycles, `healthy` without a health check), networks, volumes, and
 * every value the engine would refuse (capability names, health-check numbers, commands,
 * mount targets, limits, users): what the engine would refuse, the stack refuses first.
 * A name the stack refers to (a service, network, volume, secret, bundle) is looked up in
 * the stack's own keys only: `toString` is no service of any stack.
 */
export function validateStack(spec: StackSpec): StackProblem[] {
  // Values of the wrong kind first: the checks below may then read every field safely.
  const shape = checkShape(spec, stackShape);
  if (shape.length > 0) return shape;
  const problems: StackProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  checkName('name', spec.name, 'name', report);
  const services = Object.entries(spec.services ?? {});
  if (services.length === 0) report('services', 'a stack needs at least one service');
  for (const name of Object.keys(spec.networks ?? {})) {
    checkName(`networks.${name}`, name, 'resource', report);
  }
  for (const name of Object.keys(spec.volumes ?? {})) {
    checkName(`volumes.${name}`, name, 'resource', report);
  }
  for (const [name, secret] of Object.entries(spec.secrets ?? {})) {
    checkName(`secrets.${name}`, name, 'secret', report);
    const length = secret.lengthBytes;
    if (length !== undefined && !isWhole(length, 16, 1024)) {
      report(
        `secrets.${name}.lengthBytes`,
        `must be a whole number from 16 to 1024, got ${length}`,
      );
    }
  }
  for (const [name, service] of services) {
    validateService(spec, name, service, report);
  }
  checkHostPorts(spec, report);
  checkCycles(spec, report);
  if (spec.smoke !== undefined) checkSmoke(spec, report);
  return problems;
}

type Report = (path: string, message: string) => void;

function checkName(path: string, name: string, kind: NameKind, report: Report) {
  const problem = nameProblem(name, kind);
  if (problem) report(path, `${showName(name)} ${problem}`);
}

/** The stack's own keys of one kind: never a name inherited from Object.prototype. */
function has(record: Readonly<Record<string, unknown>> | undefined, name: string): boolean {
  return record !== undefined && Object.hasOwn(record, name);
}

/** Label keys esteps sets on everything it creates (cli/engine/labels.ts): never the stack's. */
const estepsLabelPrefix = 'com.esteps.';

function validateService(spec: StackSpec, name: string, service: ServiceSpec, report: Report) {
  const at = `services.${name}`;
  checkName(at, name, 'name', report);
  checkImage(`${at}.image`, service.image, report, true);
  if (service.build) checkBuild(`${at}.build`, service.build, report);
  if (service.hotpatch) checkHotpatch(at, service, report);
  if (service.envoy) checkEnvoy(spec, name, service, report);
  for (const field of ['replicas', 'maxReplicasPerNode'] as const) {
    const count = service[field];
    if (count !== undefined && !isWhole(count, 1)) report(`${at}.${field}`, wholeRule(count, 1));
  }
  checkProcess(at, service, report);
  checkServiceSecrets(spec, at, service, report);
  checkHardening(at, service, report);
  service.ports?.forEach((port, i) => {
    checkPort(`${at}.ports[${i}]`, port, report);
  });
  if (service.healthcheck) checkHealthcheck(`${at}.healthcheck`, service.healthcheck, report);
  if (service.httpProbe) checkProbe(`${at}.httpProbe`, service.httpProbe, report);
  service.dependsOn?.forEach((dep, i) => {
    checkDependency(spec, `${at}.dependsOn[${i}]`, name, dep, report);
  });
  checkReferences(at, 'network', service.networks ?? [], spec.networks, report);
  const mounted = (service.volumes ?? []).map((m) => m.volume);
  checkReferences(at, 'volume', mounted, spec.volumes, report);
  checkMountTargets(at, service, report);
  for (const key of Object.keys(service.labels ?? {})) {
    if (key.startsWith(estepsLabelPrefix)) {
      report(
        `${at}.labels["${key}"]`,
        `"${estepsLabelPrefix}*" labels are esteps' own (it finds what it created by them): use a prefix of yours`,
      );
    }
  }
}

/**
 * Networks or volumes a service names: declared by the stack; a network once (a compose
 * file's list of them must be unique, and a second connection means nothing), a volume at
 * any number of targets.
 */
function checkReferences(
  at: string,
  kind: 'network' | 'volume',
  names: readonly string[],
  declared: Readonly<Record<string, unknown>> | undefined,
  report: Report,
) {
  const known = Object.keys(declared ?? {});
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    const path = kind === 'volume' ? `${at}.volumes[${i}].volume` : `${at}.networks[${i}]`;
    if (!has(declared, name)) {
      report(path, `no ${kind} "${name}" in the stack${didYouMean(name, known)}`);
    } else if (kind === 'network' && first.has(name)) {
      report(path, `"${name}" is already networks[${first.get(name)}]`);
    }
    if (!first.has(name)) first.set(name, i);
  });
}

/** Entries of esteps' own code that a bundle may name instead of a file. */
const packageEntryNames = Object.keys(packageEntries);

function checkBuild(at: string, build: BuildSpec, report: Report) {
  if (typeof build.context !== 'string' || build.context === '') {
    report(`${at}.context`, 'must name the build context directory, relative to the stack file');
  }
  if (build.dockerfile !== undefined && !isRelativeInside(build.dockerfile)) {
    report(`${at}.dockerfile`, `must be a path inside the context, got "${build.dockerfile}"`);
  }
  for (const [arg, value] of Object.entries(build.args ?? {})) {
    if (arg.endsWith('_IMAGE')) checkImage(`${at}.args.${arg}`, value, report, false);
    else if (typeof value !== 'string') checkEnvRef(`${at}.args.${arg}`, value, report);
  }
  for (const [path, bundle] of Object.entries(build.bundles ?? {})) {
    const where = `${at}.bundles["${path}"]`;
    if (!isRelativeInside(path)) {
      report(where, `the key must be a path inside the context, got "${path}"`);
    }
    if (typeof bundle?.entry !== 'string' || bundle.entry === '') {
      report(`${where}.entry`, 'must name the entry file, relative to the stack file');
    } else if (bundle.entry.startsWith('esteps/') && !packageEntryNames.includes(bundle.entry)) {
      report(
        `${where}.entry`,
        `esteps provides no "${bundle.entry}"${didYouMean(bundle.entry, packageEntryNames)}`,
      );
    }
  }
}

/** A relative path that stays inside its directory: no leading '/', no '..' segment. */
function isRelativeInside(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split(/[\\/]/).includes('..');
}

function checkHotpatch(at: string, service: ServiceSpec, report: Report) {
  const hotpatch = service.hotpatch!;
  const where = `${at}.hotpatch`;
  const bundles = Object.keys(service.build?.bundles ?? {});
  if (!service.build) {
    report(where, 'a hot-patchable service must be built (build.bundles holds its code)');
  } else if (!bundles.includes(hotpatch.bundle)) {
    report(
      `${where}.bundle`,
      `no bundle "${hotpatch.bundle}" in build.bundles${didYouMean(hotpatch.bundle, bundles)}`,
    );
  } else if (service.build.bundles?.[hotpatch.bundle]?.entry.startsWith('esteps/')) {
    report(`${where}.bundle`, "must be the service's own code, not a bundle of esteps");
  }
  if (!hotpatch.path?.startsWith('/')) {
    report(`${where}.path`, `must be an absolute path in the container, got "${hotpatch.path}"`);
  }
  const owner = ownerProblem(hotpatch.owner ?? '');
  if (owner) report(`${where}.owner`, owner);
  if (!hotpatch.probe && !service.httpProbe) {
    report(
      `${where}.probe`,
      'a hot patch needs a probe that names the running version: give one, or an httpProbe',
    );
  }
  if (hotpatch.probe) checkProbe(`${where}.probe`, hotpatch.probe, report);
  hotpatch.watch?.forEach((folder, i) => {
    if (typeof folder !== 'string' || folder === '') {
      report(`${where}.watch[${i}]`, 'must be a folder, relative to the stack file');
    }
  });
}

/**
 * What Envoy cannot know about an edge: that it is built with the image argument and file
 * the configuration needs, and that each route names a service it can find (by name, on a
 * network they share) and health-check (its httpProbe). The generated configuration itself
 * is checked against Envoy's API by `render` and `up` (stacks/check-edges.ts).
 */
function checkEnvoy(spec: StackSpec, name: string, service: ServiceSpec, report: Report) {
  const envoy = service.envoy!;
  const at = `services.${name}`;
  const imageArg = envoy.imageArg ?? envoyDefaults.imageArg;
  if (!service.build) {
    report(
      `${at}.envoy`,
      'an Envoy edge is built FROM the Envoy image with its generated configuration added: give it a build (templates/edge is one)',
    );
  } else if (!Object.hasOwn(service.build.args ?? {}, imageArg)) {
    report(
      `${at}.build.args`,
      `has no ${imageArg}, the Envoy image the edge is built FROM (envoy.imageArg names the argument)`,
    );
  }
  const configFile = envoy.configFile ?? envoyDefaults.configFile;
  if (!isRelativeInside(configFile)) {
    report(`${at}.envoy.configFile`, `must be a path inside the context, got "${configFile}"`);
  } else if (Object.hasOwn(service.build?.bundles ?? {}, configFile)) {
    report(`${at}.envoy.configFile`, `"${configFile}" is also a bundle of the build`);
  }
  if (envoy.routes.length === 0 && !envoy.tcpProxies?.length) {
    report(`${at}.envoy.routes`, 'an Envoy needs at least one route (or TCP proxy)');
  }
  for (const p of stackEnvoyProblems(spec, name)) report(p.path, p.message);
  const names = Object.keys(spec.services).filter((n) => n !== name);
  const networksOf = (s: ServiceSpec) => s.networks ?? Object.keys(spec.networks ?? {});
  const seen = new Map<string, number>();
  envoy.routes.forEach((route, i) => {
    const where = `${at}.envoy.routes[${i}]`;
    if (!route.pathPrefix.startsWith('/')) {
      report(`${where}.pathPrefix`, `must start with "/", got "${route.pathPrefix}"`);
    }
    const first = seen.get(route.pathPrefix);
    if (first !== undefined) {
      report(`${where}.pathPrefix`, `"${route.pathPrefix}" is already routed by routes[${first}]`);
    } else seen.set(route.pathPrefix, i);
    if ((route.retry as unknown) === true) {
      report(`${where}.retry`, 'must be false (no retries) or { attempts, on, perTryTimeoutMs }');
    }
    const target = has(spec.services, route.service) ? spec.services[route.service] : undefined;
    if (route.service === name) {
      report(`${where}.service`, 'an edge cannot route to itself');
    } else if (!target) {
      report(
        `${where}.service`,
        `no service "${route.service}"${didYouMean(route.service, names)}`,
      );
    } else if (!target.httpProbe) {
      report(
        `${where}.service`,
        `"${route.service}" has no httpProbe: the edge takes its port from it and health-checks it with it`,
      );
    } else if (!networksOf(target).some((n) => networksOf(service).includes(n))) {
      report(
        `${where}.service`,
        `"${route.service}" shares no network with "${name}": Envoy finds it by name on a network of the stack they are both on`,
      );
    }
  });
}

function checkSmoke(spec: StackSpec, report: Report) {
  const smoke = spec.smoke!;
  const names = Object.keys(spec.services ?? {});
  const target = has(spec.services, smoke.service) ? spec.services[smoke.service] : undefined;
  if (!target) {
    report('smoke.service', `no service "${smoke.service}"${didYouMean(smoke.service, names)}`);
  } else if (!target.httpProbe && !target.envoy) {
    report(
      'smoke.service',
      `"${smoke.service}" has no httpProbe: smoke reaches a service through its probe port (or an edge through its listener)`,
    );
  }
  if (typeof smoke.checks !== 'function') {
    report('smoke.checks', 'must be a function: async (t) => { await t.check(...) }');
  }
  const timeout =
    typeof smoke.timeoutMs === 'number' ? durationProblem(smoke.timeoutMs, 1) : undefined;
  if (timeout) report('smoke.timeoutMs', timeout);
}

function checkImage(path: string, image: ImageSource, report: Report, allowProject: boolean) {
  if (typeof image !== 'string') {
    if (!checkEnvRef(path, image, report)) return;
    if (image.default !== undefined && !hasTag(image.default)) {
      report(
        path,
        `default image "${image.default}" has no tag; pin one, e.g. "${image.default}:1.0"`,
      );
    }
    return;
  }
  if (image.includes('{project}') && !allowProject) {
    report(path, '"{project}" is only allowed in a service\'s image');
  }
  const literal = image.replaceAll('{project}', 'project');
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(literal))
    report(path, `"${image}" is not an image reference`);
  else if (!hasTag(literal))
    report(path, `image "${image}" has no tag; pin one, e.g. "${image}:1.0"`);
}

/** True when the reference names a tag (`name:tag`) or a digest (`name@sha256:...`). */
export function hasTag(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return /:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(lastSegment);
}

function checkEnvRef(path: string, ref: EnvRef, report: Report): boolean {
  if (!variablePattern.test(ref.env)) {
    report(path, `"${ref.env}" is not a valid environment variable name`);
    return false;
  }
  return true;
}

function checkServiceSecrets(spec: StackSpec, at: string, service: ServiceSpec, report: Report) {
  const declared = Object.keys(spec.secrets ?? {});
  const targets = new Map<string, number>();
  service.secrets?.forEach((entry, i) => {
    const where = `${at}.secrets[${i}]`;
    const ref = typeof entry === 'string' ? { secret: entry } : entry;
    if (!has(spec.secrets, ref.secret)) {
      report(
        typeof entry === 'string' ? where : `${where}.secret`,
        `no secret "${ref.secret}" in the stack's secrets${didYouMean(ref.secret, declared)}`,
      );
    }
    const target = ref.target ?? secretFileName(ref.secret);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(target)) {
      report(
        `${where}.target`,
        `must be a file name (letters, digits, ".", "_", "-"), got "${target}"`,
      );
    } else if (target.length > maxSecretTarget) {
      report(
        `${where}.target`,
        `is ${target.length} characters long: a secret file's name has at most ${maxSecretTarget} (the ustar header it is written with)`,
      );
    }
    const first = targets.get(target);
    if (first !== undefined) {
      report(where, `/run/secrets/${target} is already the target of ${at}.secrets[${first}]`);
    } else targets.set(target, i);
    const owner = secretOwnerProblem(ref.owner, service.user);
    if (owner) report(`${where}.owner`, owner);
    if (ref.mode !== undefined && !isWhole(ref.mode, 0, 0o777)) {
      report(`${where}.mode`, `must be permission bits from 0 to 0o777, got ${ref.mode}`);
    }
  });
}

/** The longest name of a file a ustar header holds without a folder (cli/engine/tar.ts). */
const maxSecretTarget = 100;

/**
 * A secret file's owner: numeric, and small enough for the ustar header esteps writes secret
 * files with. Without one, the service's numeric `user` is the owner, under the same bound.
 */
function secretOwnerProblem(owner: string | undefined, user: string | undefined) {
  if (owner !== undefined) return ownerProblem(owner, maxTarId);
  if (user === undefined || !/^\d+(:\d+)?$/.test(user)) return undefined;
  if (ownerProblem(user, maxTarId) === undefined) return undefined;
  return `defaults to the service's user "${user}", but a secret file's ids go from 0 to ${maxTarId}: give an owner`;
}

function checkDependency(
  spec: StackSpec,
  path: string,
  self: string,
  dep: DependencySpec,
  report: Report,
) {
  const target = has(spec.services, dep.service) ? spec.services[dep.service] : undefined;
  if (!target) {
    const names = Object.keys(spec.services).filter((n) => n !== self);
    report(path, `no service "${dep.service}"${didYouMean(dep.service, names)}`);
  } else if (dep.service === self) {
    report(path, `service "${self}" cannot depend on itself`);
  } else if (dep.condition === 'healthy' && !target.httpProbe) {
    if (!target.healthcheck) {
      report(
        path,
        `"${dep.service}" has no healthcheck or httpProbe, so it can never be healthy; add one or use condition "started"`,
      );
    } else if (target.healthcheck.test[0] === 'NONE') {
      report(
        path,
        `"${dep.service}" turns its health check off ("NONE"), so it can never be healthy; use condition "started"`,
      );
    }
  }
}

/** Reports each dependency cycle once, at the edge that closes it. */
function checkCycles(spec: StackSpec, report: Report) {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    spec.services[name]?.dependsOn?.forEach((dep, i) => {
      if (dep.service === name || !has(spec.services, dep.service)) return;
      const seen = state.get(dep.service);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep.service)), dep.service];
        report(`services.${name}.dependsOn[${i}]`, `dependency cycle: ${cycle.join(' -> ')}`);
      } else if (seen === undefined) {
        visit(dep.service);
      }
    });
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(spec.services ?? {}).sort()) {
    if (!state.has(name)) visit(name);
  }
}
