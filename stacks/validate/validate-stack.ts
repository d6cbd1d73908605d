import { stackEnvoyProblems } from '../envoy/edge-validate.js';
import { envoyDefaults } from '../model/envoy-spec-defaults.js';
import type { StackProblem } from '../model/errors.js';
import { secretFileName } from '../model/known-variables.js';
import type {
  BuildSpec,
  DependencySpec,
  EnvRef,
  HttpProbeSpec,
  ImageSource,
  PortSpec,
  SecretRef,
  ServiceSpec,
  StackSpec,
} from '../model/model.js';
import { packageEntries } from '../model/package-entries.js';
import { checkShape, stackShape } from './check-shape.js';
import { didYouMean } from './suggest.js';

/**
 * Every problem of a stack definition, each with its path. Pure; `defineStack()` throws them
 * together. Checks: names, images with explicit tags, ports, duplicate host ports, replicas,
 * dependencies (unknown, cycles, `healthy` without a health check), networks, volumes.
 */
export function validateStack(spec: StackSpec): StackProblem[] {
  // Values of the wrong kind first: the checks below may then read every field safely.
  const shape = checkShape(spec, stackShape);
  if (shape.length > 0) return shape;
  const problems: StackProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  if (!namePattern.test(spec.name)) {
    report('name', `"${spec.name}" ${nameRule}`);
  }
  const services = Object.entries(spec.services ?? {});
  if (services.length === 0) report('services', 'a stack needs at least one service');
  for (const [name] of Object.entries(spec.networks ?? {})) {
    if (!resourcePattern.test(name)) report(`networks.${name}`, `"${name}" ${resourceRule}`);
  }
  for (const [name] of Object.entries(spec.volumes ?? {})) {
    if (!resourcePattern.test(name)) report(`volumes.${name}`, `"${name}" ${resourceRule}`);
  }
  for (const [name, secret] of Object.entries(spec.secrets ?? {})) {
    if (!secretPattern.test(name)) {
      report(`secrets.${name}`, `secret name "${name}" must be camelCase letters and digits`);
    }
    const length = secret.lengthBytes;
    if (length !== undefined && !(Number.isInteger(length) && length >= 16 && length <= 1024)) {
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

const namePattern = /^[a-z][a-z0-9-]{0,62}$/;
const nameRule =
  'is not a valid name: use lower-case letters, digits and "-", starting with a letter';
const resourcePattern = /^[a-z][a-z0-9_-]{0,62}$/;
const resourceRule =
  'is not a valid name: use lower-case letters, digits, "-" and "_", starting with a letter';
const variablePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const secretPattern = /^[a-z][a-zA-Z0-9]*$/;

function validateService(spec: StackSpec, name: string, service: ServiceSpec, report: Report) {
  const at = `services.${name}`;
  if (!namePattern.test(name)) report(at, `"${name}" ${nameRule}`);
  checkImage(`${at}.image`, service.image, report, true);
  if (service.build) checkBuild(`${at}.build`, service.build, report);
  if (service.hotpatch) checkHotpatch(at, service, report);
  if (service.envoy) checkEnvoy(spec, name, service, report);
  if (
    service.replicas !== undefined &&
    !(Number.isInteger(service.replicas) && service.replicas >= 1)
  ) {
    report(`${at}.replicas`, `must be a whole number of at least 1, got ${service.replicas}`);
  }
  const perNode = service.maxReplicasPerNode;
  if (perNode !== undefined && !(Number.isInteger(perNode) && perNode >= 1)) {
    report(`${at}.maxReplicasPerNode`, `must be a whole number of at least 1, got ${perNode}`);
  }
  checkEnvironment(at, service, report);
  checkServiceSecrets(spec, at, service, report);
  checkHardening(at, service, report);
  service.ports?.forEach((port, i) => {
    checkPort(`${at}.ports[${i}]`, port, report);
  });
  checkHealth(at, service, report);
  service.dependsOn?.forEach((dep, i) => {
    checkDependency(spec, `${at}.dependsOn[${i}]`, name, dep, report);
  });
  const networks = Object.keys(spec.networks ?? {});
  service.networks?.forEach((network, i) => {
    if (!networks.includes(network)) {
      report(
        `${at}.networks[${i}]`,
        `no network "${network}" in the stack${didYouMean(network, networks)}`,
      );
    }
  });
  const volumes = Object.keys(spec.volumes ?? {});
  service.volumes?.forEach((mount, i) => {
    if (!volumes.includes(mount.volume)) {
      report(
        `${at}.volumes[${i}].volume`,
        `no volume "${mount.volume}" in the stack${didYouMean(mount.volume, volumes)}`,
      );
    }
    if (!mount.target.startsWith('/')) {
      report(`${at}.volumes[${i}].target`, `must be an absolute path, got "${mount.target}"`);
    }
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
  if (!/^\d+(:\d+)?$/.test(hotpatch.owner ?? '')) {
    report(`${where}.owner`, `must be a numeric "uid:gid", got "${hotpatch.owner}"`);
  }
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
    const target = spec.services[route.service];
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
  const target = spec.services?.[smoke.service];
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

function checkEnvironment(at: string, service: ServiceSpec, report: Report) {
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    const path = `${at}.environment.${key}`;
    if (!variablePattern.test(key))
      report(path, `"${key}" is not a valid environment variable name`);
    if (typeof value === 'string') continue;
    if ('secret' in value) {
      const secret = (value as SecretRef).secret;
      report(
        path,
        `secrets reach containers as files: list "${secret}" in ${at}.secrets and pass ${key}_FILE=/run/secrets/${secretFileName(secret)}`,
      );
    } else {
      checkEnvRef(path, value, report);
    }
  }
}

function checkServiceSecrets(spec: StackSpec, at: string, service: ServiceSpec, report: Report) {
  const declared = Object.keys(spec.secrets ?? {});
  const targets = new Map<string, number>();
  service.secrets?.forEach((entry, i) => {
    const where = `${at}.secrets[${i}]`;
    const ref = typeof entry === 'string' ? { secret: entry } : entry;
    if (!declared.includes(ref.secret)) {
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
    }
    const first = targets.get(target);
    if (first !== undefined) {
      report(where, `/run/secrets/${target} is already the target of ${at}.secrets[${first}]`);
    } else targets.set(target, i);
    if (ref.owner !== undefined && !/^\d+(:\d+)?$/.test(ref.owner)) {
      report(`${where}.owner`, `must be a numeric "uid:gid", got "${ref.owner}"`);
    }
    if (
      ref.mode !== undefined &&
      !(Number.isInteger(ref.mode) && ref.mode >= 0 && ref.mode <= 0o777)
    ) {
      report(`${where}.mode`, `must be permission bits from 0 to 0o777, got ${ref.mode}`);
    }
  });
}

/** Capability names as Docker takes them: `ALL` or `NET_BIND_SERVICE` (no `CAP_` prefix). */
const capabilityPattern = /^(ALL|[A-Z][A-Z0-9_]*)$/;

function checkHardening(at: string, service: ServiceSpec, report: Report) {
  const targets = new Set<string>();
  service.tmpfs?.forEach((mount, i) => {
    const where = `${at}.tmpfs[${i}]`;
    if (!mount.target.startsWith('/')) {
      report(`${where}.target`, `must be an absolute path, got "${mount.target}"`);
    } else if (targets.has(mount.target)) {
      report(`${where}.target`, `"${mount.target}" is already a tmpfs mount`);
    }
    targets.add(mount.target);
    if (
      mount.sizeBytes !== undefined &&
      !(Number.isInteger(mount.sizeBytes) && mount.sizeBytes >= 4096)
    ) {
      report(
        `${where}.sizeBytes`,
        `must be a whole number of at least 4096, got ${mount.sizeBytes}`,
      );
    }
    if (mount.owner !== undefined && !/^\d+(:\d+)?$/.test(mount.owner)) {
      report(`${where}.owner`, `must be a numeric "uid:gid", got "${mount.owner}"`);
    }
    if (
      mount.mode !== undefined &&
      !(Number.isInteger(mount.mode) && mount.mode >= 0 && mount.mode <= 0o7777)
    ) {
      report(`${where}.mode`, `must be permission bits from 0 to 0o7777, got ${mount.mode}`);
    }
  });
  for (const field of ['capDrop', 'capAdd'] as const) {
    service[field]?.forEach((cap, i) => {
      if (!capabilityPattern.test(cap)) {
        report(
          `${at}.${field}[${i}]`,
          `"${cap}" is not a capability name: use upper case without "CAP_", e.g. "CHOWN" or "ALL"`,
        );
      }
    });
  }
  if (service.capAdd?.includes('ALL')) {
    report(`${at}.capAdd`, '"ALL" gives every capability back: name the ones the service needs');
  }
  const { pids, memoryBytes } = service.limits ?? {};
  if (pids !== undefined && !(Number.isInteger(pids) && pids >= 1)) {
    report(`${at}.limits.pids`, `must be a whole number of at least 1, got ${pids}`);
  }
  if (
    memoryBytes !== undefined &&
    !(Number.isInteger(memoryBytes) && memoryBytes >= 6 * 1024 * 1024)
  ) {
    report(
      `${at}.limits.memoryBytes`,
      `must be a whole number of bytes, at least 6 MiB (the engine's minimum), got ${memoryBytes}`,
    );
  }
}

function checkPort(path: string, port: PortSpec, report: Report) {
  if (!isPort(port.containerPort, 1)) {
    report(
      `${path}.containerPort`,
      `must be a whole number from 1 to 65535, got ${port.containerPort}`,
    );
  }
  if (typeof port.hostPort === 'number') {
    if (!isPort(port.hostPort, 0)) {
      report(`${path}.hostPort`, `must be a whole number from 0 to 65535, got ${port.hostPort}`);
    }
  } else if (
    checkEnvRef(`${path}.hostPort`, port.hostPort, report) &&
    port.hostPort.default !== undefined
  ) {
    if (!isPort(Number(port.hostPort.default), 0) || !/^\d+$/.test(port.hostPort.default)) {
      report(
        `${path}.hostPort`,
        `default must be a whole number from 0 to 65535, got "${port.hostPort.default}"`,
      );
    }
  }
  if (port.hostIp !== undefined && !isIpv4(port.hostIp)) {
    report(`${path}.hostIp`, `"${port.hostIp}" is not an IPv4 address`);
  }
}

function isPort(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min && value <= 65535;
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function checkHealth(at: string, service: ServiceSpec, report: Report) {
  const test = service.healthcheck?.test;
  if (test && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] ?? '')) {
    report(`${at}.healthcheck.test`, 'must start with "CMD", "CMD-SHELL" or "NONE"');
  }
  if (service.httpProbe) checkProbe(`${at}.httpProbe`, service.httpProbe, report);
}

function checkProbe(at: string, probe: HttpProbeSpec, report: Report) {
  if (!probe.path?.startsWith('/')) {
    report(`${at}.path`, `must start with "/", got "${probe.path}"`);
  }
  if (!isPort(probe.containerPort, 1)) {
    report(
      `${at}.containerPort`,
      `must be a whole number from 1 to 65535, got ${probe.containerPort}`,
    );
  }
}

function checkDependency(
  spec: StackSpec,
  path: string,
  self: string,
  dep: DependencySpec,
  report: Report,
) {
  const target = spec.services[dep.service];
  if (!target) {
    const names = Object.keys(spec.services).filter((n) => n !== self);
    report(path, `no service "${dep.service}"${didYouMean(dep.service, names)}`);
  } else if (dep.service === self) {
    report(path, `service "${self}" cannot depend on itself`);
  } else if (dep.condition === 'healthy' && !target.healthcheck && !target.httpProbe) {
    report(
      path,
      `"${dep.service}" has no healthcheck or httpProbe, so it can never be healthy; add one or use condition "started"`,
    );
  }
}

/** The same host address and port published twice (port 0 means "any", never a clash). */
function checkHostPorts(spec: StackSpec, report: Report) {
  const seen = new Map<string, string>();
  for (const [name, service] of Object.entries(spec.services ?? {})) {
    service.ports?.forEach((port, i) => {
      const hostPort =
        typeof port.hostPort === 'number' ? port.hostPort : Number(port.hostPort.default ?? 0);
      if (!hostPort) return;
      const path = `services.${name}.ports[${i}].hostPort`;
      const address = `${port.hostIp ?? '127.0.0.1'}:${hostPort}/${port.protocol ?? 'tcp'}`;
      const first = seen.get(address);
      if (first) report(path, `host port ${address} is already published by ${first}`);
      else seen.set(address, path);
      // One task per node (a Swarm) may publish the same port on each node.
      if ((service.replicas ?? 1) > 1 && service.maxReplicasPerNode !== 1) {
        report(
          path,
          `${service.replicas} replicas cannot all publish host port ${hostPort}; use 0 to let the engine pick`,
        );
      }
    });
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
      if (dep.service === name || !spec.services[dep.service]) return;
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
