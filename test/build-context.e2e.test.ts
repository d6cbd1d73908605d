/**
 * Build contexts and ejected folders as Docker and a user expect them: symbolic links reach
 * the engine's build as links (inside the context or pointing out of it), as `docker build`
 * sends them; `render -o` writes them as links too, replaces its previous render in a folder
 * (a file the stack no longer has is gone), refuses to overwrite a file it did not write, and
 * rendering into the stack's own folder neither copies itself into the next render nor
 * changes what `up` builds.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { removeProject, stackImage, uniqueName } from './support/engine.js';

const project = uniqueName('e2e-ctx');
let home: string;
let dir: string;

const stackFile = `import { defineStack } from 'esteps';
export default defineStack({
  name: 'ctx',
  services: {
    web: {
      image: '{project}-web:latest',
      build: { context: '.', args: { NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' } } },
      ports: [{ hostPort: 0, containerPort: 5000 }],
      httpProbe: { path: '/', containerPort: 5000 },
    },
  },
});
`;

// The build fails unless the links arrived as links.
const dockerfile = `ARG NODE_IMAGE=node:20-bookworm-slim
FROM \${NODE_IMAGE}
COPY ctx/ /ctx/
RUN test -L /ctx/alias.js && test "$(readlink /ctx/alias.js)" = real.js && test "$(readlink /ctx/outside)" = /etc/hostname
CMD ["node", "-e", "require('node:http').createServer((q, s) => s.end('ok')).listen(5000)"]
`;

function esteps(args: string[]) {
  return runCli([...args, '-p', project], {
    cwd: dir,
    env: { XDG_CACHE_HOME: join(home, 'cache') },
    timeoutMs: 300_000,
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-ctx-'));
  dir = join(home, 'stack');
  await mkdir(join(dir, 'ctx'), { recursive: true });
  await writeFile(join(dir, 'esteps.stack.ts'), stackFile);
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  await writeFile(join(dir, '.env'), `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`);
  await writeFile(join(dir, 'ctx', 'real.js'), 'real\n');
  await writeFile(join(dir, 'ctx', 'old.txt'), 'to be deleted\n');
  await symlink('real.js', join(dir, 'ctx', 'alias.js'));
  await symlink('/etc/hostname', join(dir, 'ctx', 'outside'));
});

afterAll(async () => {
  await removeProject(project);
  await execa('docker', ['image', 'rm', '-f', `${project}-web:latest`], { reject: false });
  await rm(home, { recursive: true, force: true });
});

describe('build contexts and rendered folders', () => {
  it('sends symbolic links to the engine as links (the build checks them)', async () => {
    const run = await esteps(['up', '--json']);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  });

  it('renders into the stack’s own folder without copying itself, and up stays unchanged', async () => {
    for (const round of [1, 2]) {
      const run = await esteps(['render', '-o', 'compose.yml']);
      expect(run.exitCode, `round ${round}: ${run.stderr}`).toBe(0);
    }
    expect(await readlink(join(dir, 'web', 'ctx', 'alias.js'))).toBe('real.js');
    expect(await readlink(join(dir, 'web', 'ctx', 'outside'))).toBe('/etc/hostname');
    expect(existsSync(join(dir, 'web', 'web')), 'a copy of the first render').toBe(false);
    expect(existsSync(join(dir, 'web', 'compose.yml'))).toBe(false);
    const again = await esteps(['up', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.changed, 'the render is no part of the build context').toBe(false);
  });

  it('replaces its previous render: a file the context no longer has is gone', async () => {
    const out = join(home, 'out', 'compose.yml');
    expect((await esteps(['render', '-o', out])).exitCode).toBe(0);
    expect(await readFile(join(home, 'out', 'web', 'ctx', 'old.txt'), 'utf8')).toBe(
      'to be deleted\n',
    );
    await writeFile(join(home, 'out', 'notes.txt'), 'the user’s own, beside the render\n');
    await rm(join(dir, 'ctx', 'old.txt'));
    const run = await esteps(['render', '-o', out]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(join(home, 'out', 'web', 'ctx', 'old.txt'))).toBe(false);
    expect(existsSync(join(home, 'out', 'web', 'ctx', 'real.js'))).toBe(true);
    expect(await readFile(join(home, 'out', 'notes.txt'), 'utf8')).toContain('own');
  });

  it('refuses to overwrite a file it did not write (WRITE_FAILED, exit 14), writing nothing', async () => {
    const other = join(home, 'other');
    await mkdir(join(other, 'web'), { recursive: true });
    await writeFile(join(other, 'web', 'Dockerfile'), 'FROM mine\n');
    await writeFile(join(other, 'compose.yml'), 'services: {}\n');
    const run = await esteps(['render', '-o', join(other, 'compose.yml'), '--json']);
    expect(run.exitCode, run.stderr).toBe(14);
    expect(run.json.error).toMatchObject({
      code: 'WRITE_FAILED',
      files: ['compose.yml', 'web/Dockerfile'],
    });
    expect(await readFile(join(other, 'web', 'Dockerfile'), 'utf8')).toBe('FROM mine\n');
    expect(await readFile(join(other, 'compose.yml'), 'utf8')).toBe('services: {}\n');
    expect(existsSync(join(other, 'web', 'ctx'))).toBe(false);
  });
});
