/**
 * What end-to-end tests share: the engine `npm run setup` prepared, unique names, the images
 * the stacks resolve to, and cleanup by label. Every resource a test creates carries
 * `com.esteps.test=<runId>` so `removeTestResources()` finds it even after a failure.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { connectEngine, type Engine } from '../../cli/engine/client.js';
import { labels } from '../../cli/engine/labels.js';
import { type ImageVariable, imageDefaults } from '../../stacks/model/image-defaults.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** One id per test process, on every resource it creates. */
export const testRunId = `t${process.pid}-${randomBytes(3).toString('hex')}`;

let engine: Promise<Engine> | undefined;

/** The engine, connected once per test file. Throws (the test fails) when none answers. */
export function testEngine(): Promise<Engine> {
  engine ??= connectEngine(process.env, 10_000);
  return engine;
}

/** A lower-case name no other test or run uses: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The image a stack would use for `variable`: environment, then `.env`, then the default. */
export function stackImage(variable: ImageVariable): string {
  const fromEnv = process.env[variable];
  if (fromEnv) return fromEnv;
  const envFile = join(repoRoot, '.env');
  if (existsSync(envFile)) {
    const line = readFileSync(envFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${variable}=`));
    if (line) return line.slice(variable.length + 1).trim();
  }
  return imageDefaults[variable].default;
}

/** Labels to put on everything a test creates by hand. */
export function testLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [labels.test]: testRunId, ...extra };
}

/** Removes every container, network and volume labelled with `label=value`. */
export async function removeByLabel(docker: Docker, label: string, value: string): Promise<void> {
  const filters = { label: [`${label}=${value}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)));
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(ignoreGone)),
  );
}

/** Removes what this test process created by hand (label com.esteps.test). */
export async function removeTestResources(): Promise<void> {
  const { docker } = await testEngine();
  await removeByLabel(docker, labels.test, testRunId);
}

function ignoreGone(err: unknown): void {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 404 || status === 409) return;
  throw err;
}

/** Removes what an esteps project left on the engine: its resources by label and its images. */
export async function removeProject(project: string): Promise<void> {
  const { docker } = await testEngine();
  await removeByLabel(docker, labels.project, project);
  // A lock a killed command left (cli/engine/project-lock.ts).
  await removeByLabel(docker, labels.lock, project);
  for (const image of projectImages(project)) {
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** The images the built-in stacks build for a project (step 1's user service, step 2's edge). */
export function projectImages(project: string): string[] {
  return [`esteps/${project}-usersvc:latest`, `esteps/${project}-edge:latest`];
}

/** What the engine holds of a project: its labelled containers, networks and volumes, and images. */
export async function projectLeftovers(project: string): Promise<string[]> {
  const { docker } = await testEngine();
  const filters = { label: [`${labels.project}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const images = await Promise.all(
    projectImages(project).map((ref) =>
      docker
        .getImage(ref)
        .inspect()
        .then(() => [`image ${ref}`])
        .catch(() => []),
    ),
  );
  return [
    ...containers.map((c) => `container ${c.Names[0] ?? c.Id}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
    ...images.flat(),
  ];
}
