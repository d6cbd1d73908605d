/**
 * The reaper, against a test process killed outright (SIGKILL: no handler runs): a child
 * process that calls up() (the built package, as a user's test imports it) is killed once its
 * stack is ready, and once while `up` is still waiting for Postgres; within the bound the
 * README states (30 s), nothing labelled with the child's project remains (containers,
 * networks, volumes, images) and no marker names its run. A stack of this process, on a run
 * of its own, stays up through it.
 */
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { up } from '../cli/testing/index.js';
import { repoRoot, testEngine, uniqueName } from './support/engine.js';
import { engineLeftovers, runMarkers, within } from './support/leftovers.js';
import { writeNodeScriptStack } from './up-fixture.js';

/** The bound the README states, from the kill to nothing left. */
const reapBoundMs = 30_000;
const children: ResultPromise[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A test process of its own: brings step 1 up, says its project, then idles until killed. */
function childProcess(prefix: string): { child: ResultPromise; ready: Promise<string> } {
  const entry = join(repoRoot, 'dist', 'testing.js');
  const script = `
    const { up } = await import(${JSON.stringify(entry)});
    const stack = await up({ stack: 'step1', projectPrefix: ${JSON.stringify(prefix)} });
    process.stdout.write(JSON.stringify({ project: stack.project }) + '\\n');
    setInterval(() => {}, 60_000);
  `;
  const child = execa('node', ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    reject: false,
    buffer: { stdout: false, stderr: true },
  });
  children.push(child);
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { project: string }).project);
    });
    void child.then((r) => reject(new Error(`child ended first: ${String(r.stderr ?? '')}`)));
  });
  // Killing the child on purpose ends it too: only a test that awaits `ready` cares.
  ready.catch(() => undefined);
  return { child, ready };
}

/** The run a project's marker names. */
async function markerRun(project: string): Promise<string> {
  const { docker } = await testEngine();
  const info = await docker.getVolume(`${project}.test-run`).inspect();
  return info.Labels?.[labels.testRun] ?? '';
}

/**
 * Kills the child, and measures until nothing of its project or run is left (`labelledOnly`:
 * of its images, those with the project's label; see engineLeftovers).
 */
async function killAndMeasure(
  child: ResultPromise,
  project: string,
  labelledOnly = false,
): Promise<number> {
  const run = await markerRun(project);
  expect(run).toMatch(/^r\d+-[0-9a-f]{6}$/);
  expect(await engineLeftovers(project)).not.toEqual([]);
  child.kill('SIGKILL');
  const left = () => engineLeftovers(project, { labelledOnly });
  const tookMs = await within(
    reapBoundMs,
    async () => (await left()).length === 0 && (await runMarkers(run)).length === 0,
  ).catch(async () => {
    throw new Error(`left after ${reapBoundMs} ms: ${(await left()).join(', ')}`);
  });
  process.stdout.write(`reaper: ${project} gone ${tookMs} ms after SIGKILL\n`);
  return tookMs;
}

describe('the reaper', () => {
  it('removes what a SIGKILLed test process brought up within the bound, and only that', async () => {
    const node = await writeNodeScriptStack({
      service: 'reapmine',
      script: "require('http').createServer((q, s) => s.end('ok')).listen(5000)",
    });
    try {
      await using mine = await up({ file: node.file });
      const { child, ready } = childProcess(uniqueName('reap-ready'));
      const project = await ready;
      expect(project).not.toBe(mine.project);
      await killAndMeasure(child, project);
      expect((await mine.ps()).map((r) => r.state)).toEqual(['running']);
      expect(await engineLeftovers(mine.project)).toContain(`volume ${mine.project}.test-run`);
    } finally {
      await node.remove();
    }
  });

  it('removes what a test process killed in the middle of up had made', async () => {
    const prefix = uniqueName('reap-mid');
    const { child } = childProcess(prefix);
    const { docker } = await testEngine();
    // Killed once its first container exists: `up` is then waiting for Postgres to be ready.
    let project = '';
    await within(240_000, async () => {
      const list = await docker.listContainers({ all: true, filters: { name: [prefix] } });
      project = list[0]?.Labels[labels.project] ?? '';
      return project !== '';
    });
    // A build the kill interrupts between its LABEL steps may leave the step that names the
    // image, which carries no project label (the reaper cannot know the name): not counted.
    await killAndMeasure(child, project, true);
  });
});
