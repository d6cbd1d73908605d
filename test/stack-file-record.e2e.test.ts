/**
 * A project records which stack file made it: two stacks of the same name in different
 * folders no longer share one project and remove each other's services. The second `up` is
 * refused before anything changes (NAME_CONFLICT, exit 15), naming both files and the ways
 * out; `-p` gives it a project of its own; `down -p` then `up` moves the project over.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { removeProject, stackImage, testEngine, uniqueName } from './support/engine.js';

const project = uniqueName('e2e-twin');
const other = `${project}-b`;
let home: string;
const dirs: Record<'a' | 'b', string> = { a: '', b: '' };

/** A stack named `twin` with one service of its own, in folder `which`. */
function stackFile(service: string): string {
  const node = { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' };
  const web = {
    image: node,
    command: [
      '/usr/local/bin/node',
      '-e',
      "require('node:http').createServer((q, s) => s.end('ok')).listen(5000)",
    ],
    ports: [{ hostPort: 0, containerPort: 5000 }],
    httpProbe: { path: '/', containerPort: 5000 },
  };
  return `import { defineStack } from 'esteps';\nexport default defineStack({ name: 'twin', services: { ${service}: ${JSON.stringify(web)} } });\n`;
}

function esteps(which: 'a' | 'b', args: string[]) {
  return runCli(args, { cwd: dirs[which], env: { XDG_CACHE_HOME: join(home, 'cache') } });
}

async function containers(name: string): Promise<string[]> {
  const { docker } = await testEngine();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`com.esteps.project=${name}`] },
  });
  return list.map((c) => c.Names[0]!.slice(1)).sort();
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-twin-'));
  for (const [which, service] of [
    ['a', 'alpha'],
    ['b', 'beta'],
  ] as const) {
    dirs[which] = join(home, which);
    await mkdir(dirs[which]);
    await writeFile(join(dirs[which], 'esteps.stack.ts'), stackFile(service));
    await writeFile(
      join(dirs[which], '.env'),
      `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\nESTEPS_PROJECT=${project}\n`,
    );
  }
});

afterAll(async () => {
  await removeProject(project);
  await removeProject(other);
  await rm(home, { recursive: true, force: true });
});

describe('two stacks of the same name in different folders', () => {
  it('refuses the second one before changing anything, naming both files (exit 15)', async () => {
    const first = await esteps('a', ['up', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await containers(project)).toEqual([`${project}-alpha-1`]);

    const second = await esteps('b', ['up', '--json']);
    expect(second.exitCode, second.stderr).toBe(15);
    const error = second.json.error as Record<string, string>;
    expect(error.code).toBe('NAME_CONFLICT');
    expect(error.message).toContain(join(dirs.a, 'esteps.stack.ts'));
    expect(error.message).toContain(join(dirs.b, 'esteps.stack.ts'));
    expect(error.hint).toContain('-p NAME');
    expect(error.hint).toContain(`esteps down -p ${project}`);
    expect(await containers(project), 'nothing was changed').toEqual([`${project}-alpha-1`]);
    // A dry run says so too, and the first stack's up still changes nothing.
    expect((await esteps('b', ['up', '--dry-run'])).exitCode).toBe(15);
    expect((await esteps('a', ['up', '--json'])).json).toMatchObject({ ok: true, changed: false });
  });

  it('runs it as a project of its own with -p', async () => {
    const run = await esteps('b', ['up', '-p', other]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await containers(other)).toEqual([`${other}-beta-1`]);
    expect(await containers(project)).toEqual([`${project}-alpha-1`]);
  });

  it('moves the project over after down, as the hint says', async () => {
    expect((await esteps('b', ['down', '-p', project])).exitCode).toBe(0);
    const run = await esteps('b', ['up']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await containers(project)).toEqual([`${project}-beta-1`]);
  });
});
