/**
 * `esteps render -o` through the CLI where it cannot or must not write (issue 14, items 6 and
 * 9): onto a folder, under a file, where `.env` is a folder, somewhere unwritable: each is
 * WRITE_FAILED (exit 14) with nothing left behind, on disk or on the engine; and rendering
 * into the folder whose `.env` esteps itself reads never changes that file.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { runCli } from './support/cli.js';
import { removeProject, stackImage, testEngine, uniqueName } from './support/engine.js';

const project = uniqueName('esteps-rout');
let dir: string;
let dotEnv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `${project}-`));
  dotEnv = `${imageVariables.map((v) => `${v}=${stackImage(v)}`).join('\n')}\nESTEPS_USERSVC_PORT=5999\n`;
  await writeFile(join(dir, '.env'), dotEnv);
});

afterAll(async () => {
  await removeProject(project);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const render = (output: string) =>
  runCli(['render', '-p', project, '-o', output, '--json'], { cwd: dir, timeoutMs: 120_000 });

async function engineVolumes(): Promise<string[]> {
  const { docker } = await testEngine();
  const { Volumes } = await docker.listVolumes({
    filters: { label: [`${labels.project}=${project}`] },
  });
  return (Volumes ?? []).map((v) => v.Name);
}

describe('render -o', () => {
  it.each([
    [
      'onto a folder',
      async () => {
        await mkdir(join(dir, 'afolder'));
        return 'afolder';
      },
      /is a folder/,
    ],
    [
      'under a file',
      async () => {
        await writeFile(join(dir, 'afile'), 'x');
        return 'afile/compose.yml';
      },
      /afile is a file, not a folder/,
    ],
    [
      'beside a .env that is a folder',
      async () => {
        await mkdir(join(dir, 'out', '.env'), { recursive: true });
        return 'out/compose.yml';
      },
      /\.env beside the compose file: it is not a file/,
    ],
    ['under /proc', async () => '/proc/esteps-render-test/compose.yml', /cannot be made/],
    [
      'onto a read-only file system',
      async () => '/sys/esteps-compose.yml',
      /permission denied|read-only/,
    ],
  ])('%s is WRITE_FAILED (exit 14) with nothing left behind', async (_name, prepare, message) => {
    const output = await prepare();
    const before = (await readdir(dir, { recursive: true })).sort();
    const run = await render(output);
    expect(run.exitCode, run.stderr).toBe(14);
    const error = run.json.error as { code: string; message: string };
    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toMatch(message);
    expect((await readdir(dir, { recursive: true })).sort()).toEqual(before);
    expect(await engineVolumes()).toEqual([]);
  });

  it('into the folder whose .env esteps reads: writes the project, never that .env', async () => {
    const run = await render('compose.yml');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe(dotEnv);
    expect(run.json.envFile).toBeUndefined();
    const password = await readFile(join(dir, 'secrets', 'db_password'), 'utf8');
    expect(await readFile(join(dir, 'compose.yml'), 'utf8')).not.toContain(password);
    expect(run.stdout).not.toContain(password);
    // The secret is the project's, on the engine: up would use the same value.
    expect(await engineVolumes()).toEqual([`${project}.secrets`]);
  });
});
