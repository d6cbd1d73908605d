/**
 * Stacks are the user's own TypeScript, run as written: a stack file in a folder outside
 * this repository, with a service built from its own context, goes through up, ps, hotpatch,
 * smoke (its services' probes: it declares no checks), render (then run by docker-compose)
 * and down, all through the built CLI with `-f`. Stack files that do not compile or throw
 * are named with file:line:column. `esteps init` writes a stack that does the same.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { ensureDockerCompose } from './support/compose.js';
import { freePort, removeProject, repoRoot, stackImage, uniqueName } from './support/engine.js';

let home: string;
let env: Record<string, string>;
const projects: string[] = [];

beforeAll(async () => {
  await ensureDockerCompose();
  home = await mkdtemp(join(tmpdir(), 'esteps-user-'));
  // Compiled stacks go to a cache of this test's own.
  env = { XDG_CACHE_HOME: join(home, 'cache') };
});

afterAll(async () => {
  for (const project of projects) {
    await removeProject(project);
    await execa('docker', ['image', 'rm', '-f', `${project}-api:latest`, `${project}-web:latest`], {
      reject: false,
    });
  }
  await rm(home, { recursive: true, force: true });
});

/** The built CLI in `cwd`, with this test's cache. */
function esteps(args: string[], cwd: string, extra: Record<string, string> = {}) {
  return runCli(args, { cwd, env: { ...env, ...extra } });
}

const stackFile = `import { defineStack } from 'esteps';
import { greeting } from './lib/greeting';

export default defineStack({
  name: 'hello',
  services: {
    api: {
      image: '{project}-api:latest',
      build: {
        context: './image',
        args: { NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' } },
        bundles: {
          'app/service.js': { entry: './src/main.ts' },
          'app/supervisor.js': { entry: 'esteps/supervisor' },
        },
      },
      environment: { GREETING: greeting, PORT: '7000' },
      ports: [{ hostPort: { env: 'HELLO_PORT', default: '7000' }, containerPort: 7000 }],
      httpProbe: { path: '/ready', containerPort: 7000, expectJson: { ok: true } },
      hotpatch: { bundle: 'app/service.js', path: '/srv/service.js', owner: '4242:4242' },
    },
  },
});
`;

const serviceSource = (message: string) => `import http from 'node:http';
const version = process.env.SERVICE_VERSION ?? 'dev';
http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, version, message: ${JSON.stringify(message)}, greeting: process.env.GREETING }));
  })
  .listen(Number(process.env.PORT), '0.0.0.0');
`;

const dockerfile = `ARG NODE_IMAGE=node:20-bookworm-slim
FROM \${NODE_IMAGE}
RUN groupadd --gid 4242 hello && useradd --uid 4242 --gid 4242 --home-dir /srv hello \\
 && mkdir -p /srv/releases && chown -R 4242:4242 /srv
COPY --chown=4242:4242 app/ /srv/
COPY marker.txt /srv/marker.txt
USER 4242:4242
ENV SERVICE_FILE=/srv/service.js
CMD ["node", "/srv/supervisor.js"]
`;

async function writeUserStack(dir: string): Promise<void> {
  await mkdir(join(dir, 'lib'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  await mkdir(join(dir, 'image', 'secret-stuff'), { recursive: true });
  await writeFile(join(dir, 'esteps.stack.ts'), stackFile);
  await writeFile(join(dir, 'lib', 'greeting.ts'), "export const greeting = 'hi from lib';\n");
  await writeFile(join(dir, 'src', 'main.ts'), serviceSource('first'));
  await writeFile(join(dir, 'image', 'Dockerfile'), dockerfile);
  await writeFile(join(dir, 'image', 'marker.txt'), 'in the context\n');
  await writeFile(join(dir, 'image', 'secret-stuff', 'key.pem'), 'must not reach the engine\n');
  await writeFile(join(dir, 'image', '.dockerignore'), 'secret-stuff\n');
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  return (await res.json()) as Record<string, unknown>;
}

describe('a stack of the user’s own, outside the repository', () => {
  let dir: string;
  let project: string;
  let port: number;
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    dir = join(home, 'hello');
    await writeUserStack(dir);
    project = uniqueName('e2e-user');
    projects.push(project);
    port = await freePort();
    // The stack's own variable, from the .env of the stack's folder.
    await writeFile(join(dir, '.env'), `HELLO_PORT=${port}\n`);
  });

  it('goes up from its own folder, built from its own context (.dockerignore honoured)', async () => {
    const up = await esteps(
      ['-f', join(dir, 'esteps.stack.ts'), 'up', '-p', project, '--json'],
      home,
    );
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.json).toMatchObject({ ok: true, project, stack: 'hello', changed: true });
    expect(await getJson(`${base()}/ready`)).toMatchObject({ ok: true, greeting: 'hi from lib' });
    const files = await execa('docker', ['exec', `${project}-api-1`, 'ls', '/srv']);
    expect(files.stdout.split('\n')).toEqual(
      expect.arrayContaining(['marker.txt', 'service.js', 'supervisor.js']),
    );
    const image = await execa('docker', ['history', '--no-trunc', `${project}-api:latest`]);
    expect(image.stdout).not.toContain('key.pem');
  });

  it('lists its container with ps, found from the folder itself (esteps.stack.ts)', async () => {
    const ps = await esteps(['ps', '-p', project, '--json'], dir);
    expect(ps.exitCode, ps.stderr).toBe(0);
    const containers = ps.json.containers as { service: string; state: string }[];
    expect(containers.map((c) => `${c.service} ${c.state}`)).toEqual(['api running']);
  });

  it('hot-patches its code: the change shows, owned by the declared user', async () => {
    await writeFile(join(dir, 'src', 'main.ts'), serviceSource('second'));
    const patch = await esteps(['hotpatch', '-p', project, '--json'], dir);
    expect(patch.exitCode, patch.stderr).toBe(0);
    const version = patch.json.version as string;
    expect(await getJson(`${base()}/ready`)).toMatchObject({ message: 'second', version });
    const owner = await execa('docker', [
      'exec',
      `${project}-api-1`,
      'stat',
      '-c',
      '%u:%g',
      `/srv/releases/service-${version}.js`,
    ]);
    expect(owner.stdout.trim()).toBe('4242:4242');
  });

  it('smokes its services’ probes when it declares no checks', async () => {
    const smoke = await esteps(['smoke', '-p', project, '--json'], dir);
    expect(smoke.exitCode, smoke.stderr).toBe(0);
    expect(smoke.json.checks).toEqual([
      expect.objectContaining({ name: 'api ready (GET /ready)', ok: true }),
    ]);
  });

  it('is the project -p names before the command, or ESTEPS_PROJECT', async () => {
    const services = (run: { json: Record<string, unknown> }) =>
      ((run.json.containers ?? []) as { service: string; state: string }[]).map(
        (c) => `${c.service} ${c.state}`,
      );
    const before = await esteps(['-p', project, 'ps', '--json'], dir);
    expect(before.exitCode, before.stderr).toBe(0);
    expect(services(before)).toEqual(['api running']);
    const fromEnv = await esteps(['ps', '--json'], dir, { ESTEPS_PROJECT: project });
    expect(fromEnv.exitCode, fromEnv.stderr).toBe(0);
    expect(fromEnv.json).toMatchObject({ project });
    expect(services(fromEnv)).toEqual(['api running']);
    // Without either, the project is the stack's name, which has nothing up.
    expect(services(await esteps(['ps', '--json'], dir))).toEqual([]);
  });

  it('shows its logs from another folder with logs --file, or -f before the command', async () => {
    for (const args of [
      ['logs', 'api', '--file', dir, '-p', project, '--json'],
      ['-f', dir, 'logs', 'api', '-p', project, '--json'],
    ]) {
      // From `home`, with no stack file there: without the file, the stack would be step 1,
      // which has no service api (a usage error).
      const run = await esteps(args, home);
      expect(run.exitCode, `${args.join(' ')}: ${run.stdout}\n${run.stderr}`).toBe(0);
      const lines = run.json.lines as { container: string; service: string }[];
      expect(lines.length, run.stdout).toBeGreaterThan(0);
      expect(new Set(lines.map((l) => `${l.service} ${l.container}`))).toEqual(
        new Set([`api ${project}-api-1`]),
      );
    }
    const unknown = await esteps(['logs', 'nosuch', '--file', dir, '-p', project, '--json'], home);
    expect(unknown.exitCode).toBe(2);
    expect(JSON.stringify(unknown.json.error)).toContain('api');
  });

  it('renders a compose file that docker-compose runs', async () => {
    const ejected = join(home, 'ejected');
    const render = await esteps(['render', '-p', project, '-o', join(ejected, 'compose.yml')], dir);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(existsSync(join(ejected, 'api', 'secret-stuff'))).toBe(false);
    const composePort = await freePort();
    const compose = (args: string[]) =>
      execa('docker-compose', ['-p', `${project}-compose`, '-f', 'compose.yml', ...args], {
        cwd: ejected,
        env: { HELLO_PORT: String(composePort) },
        reject: false,
      });
    projects.push(`${project}-compose`);
    try {
      const up = await compose(['up', '-d', '--build']);
      expect(up.exitCode, up.stderr).toBe(0);
      let answer: Record<string, unknown> = {};
      for (let i = 0; i < 100 && answer.ok !== true; i++) {
        answer = await getJson(`http://127.0.0.1:${composePort}/ready`).catch(() => ({}));
        if (answer.ok !== true) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toMatchObject({ ok: true, message: 'second', greeting: 'hi from lib' });
    } finally {
      await compose(['down', '-v', '--rmi', 'local']);
    }
  });

  it('comes down, leaving nothing of the project', async () => {
    const down = await esteps(['down', '-p', project, '--volumes'], dir);
    expect(down.exitCode, down.stderr).toBe(0);
    const left = await execa('docker', [
      'ps',
      '-a',
      '-q',
      '--filter',
      `label=com.esteps.project=${project}`,
    ]);
    expect(left.stdout.trim()).toBe('');
    // --volumes also removed the image up built for the project (the tag itself now names
    // the image docker-compose built above, which is not the project's and stays).
    expect(down.stdout).toMatch(/1 built image\(s\)/);
  });
});

describe('stack files that do not load', () => {
  it('names the file, line and column of code that does not compile (exit 3)', async () => {
    const dir = join(home, 'broken');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'esteps.stack.ts'),
      "import { defineStack } from 'esteps';\nexport default defineStack({\n  name: 'x',\n  services: { a: { image: 'a:1' }\n});\n",
    );
    const run = await esteps(['render', '--json'], dir);
    expect(run.exitCode).toBe(3);
    expect(run.json).toMatchObject({ ok: false, error: { code: 'STACK_LOAD_FAILED' } });
    expect((run.json.error as { message: string }).message).toMatch(
      /esteps\.stack\.ts:5:2: Expected "}" but found "\)"/,
    );
  });

  it('names the line that throws while the stack loads (exit 3)', async () => {
    const dir = join(home, 'throws');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'esteps.stack.ts'),
      "import { defineStack } from 'esteps';\n\nconst port = Number('x');\nif (Number.isNaN(port)) throw new Error('no port configured');\nexport default defineStack({ name: 'x', services: {} });\n",
    );
    const run = await esteps(['ps'], dir);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/esteps\.stack\.ts:4:\d+: Error: no port configured/);
  });

  it('lists every problem of a stack that loads but is invalid, with its path (exit 3)', async () => {
    const dir = join(home, 'invalid');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'esteps.stack.ts'),
      "import { defineStack } from 'esteps';\nexport default defineStack({ name: 'x', services: { a: { image: 'a', dependOn: [] } } });\n",
    );
    const run = await esteps(['up', '--json'], dir);
    expect(run.exitCode).toBe(3);
    expect(run.json).toMatchObject({
      ok: false,
      error: {
        code: 'STACK_INVALID',
        problems: [
          { path: 'services.a.dependOn', message: 'is not a known key; did you mean "dependsOn"?' },
        ],
      },
    });
  });
});

describe('the built-in stacks are stack files too', () => {
  it('shows an edit to stacks/builtin/step1.ts in the next render, with no build', async () => {
    // A copy of the package (its built CLI and sources), so the edit disturbs no other test.
    const copy = join(home, 'package');
    for (const part of ['dist', 'stacks', 'service', 'templates', 'package.json']) {
      await cp(join(repoRoot, part), join(copy, part), { recursive: true });
    }
    await symlink(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    const file = join(copy, 'stacks', 'builtin', 'step1.ts');
    const before = await execa('node', [join(copy, 'dist', 'esteps.js'), 'render'], {
      cwd: home,
      env,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable
    expect(before.stdout).toContain('${ESTEPS_USERSVC_PORT:-5000}:5000');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace("default: '5000'", "default: '5123'"),
    );
    const after = await execa('node', [join(copy, 'dist', 'esteps.js'), 'render'], {
      cwd: home,
      env,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable
    expect(after.stdout).toContain('${ESTEPS_USERSVC_PORT:-5123}:5000');
  });
});

describe('esteps init', () => {
  it('writes a stack that comes up, hot-patches and comes down; a second init refuses', async () => {
    const dir = join(home, 'my-first-stack');
    const init = await esteps(['init', dir, '--json'], home);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.json).toMatchObject({ ok: true, stack: 'my-first-stack' });
    expect(init.json.files).toEqual(
      expect.arrayContaining(['esteps.stack.ts', 'service/main.ts', 'Dockerfile']),
    );
    const project = uniqueName('e2e-init');
    projects.push(project);
    const port = await freePort();
    const up = await esteps(['up', '-p', project], dir, { APP_PORT: String(port) });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await getJson(`http://127.0.0.1:${port}/`)).toMatchObject({ hello: 'world' });

    const main = join(dir, 'service', 'main.ts');
    await writeFile(main, (await readFile(main, 'utf8')).replace("hello: 'world'", "hello: 'you'"));
    const patch = await esteps(['hotpatch', '-p', project], dir, { APP_PORT: String(port) });
    expect(patch.exitCode, patch.stderr).toBe(0);
    expect(await getJson(`http://127.0.0.1:${port}/`)).toMatchObject({ hello: 'you' });
    const smoke = await esteps(['smoke', '-p', project], dir, { APP_PORT: String(port) });
    expect(smoke.exitCode, smoke.stderr).toBe(0);

    const again = await esteps(['init', dir], home);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('nothing was written');
    expect(await readFile(main, 'utf8')).toContain("hello: 'you'");

    const down = await esteps(['down', '-p', project, '--volumes'], dir);
    expect(down.exitCode, down.stderr).toBe(0);
  });
});

describe('a recreated container', () => {
  it("keeps the old one's anonymous volumes, as compose does", async () => {
    const dir = await mkdtemp(join(home, 'anon-'));
    const project = uniqueName('esteps-anon');
    projects.push(project);
    // The Postgres image declares VOLUME /var/lib/postgresql/data; this stack mounts none.
    await writeFile(
      join(dir, 'esteps.stack.ts'),
      `import { defineStack } from 'esteps';
export default defineStack({
  name: 'anon',
  services: {
    db: {
      image: { env: 'ESTEPS_POSTGRES_IMAGE', default: 'postgres:16-bookworm' },
      command: ['sleep', 'infinity'],
      environment: { ROUND: { env: 'ROUND', default: '1' } },
    },
  },
});
`,
    );
    await writeFile(
      join(dir, '.env'),
      `ESTEPS_POSTGRES_IMAGE=${stackImage('ESTEPS_POSTGRES_IMAGE')}\n`,
    );
    const first = await esteps(['up', '-p', project], dir);
    expect(first.exitCode, first.stderr).toBe(0);
    const container = `${project}-db-1`;
    const data = '/var/lib/postgresql/data';
    await execa('docker', [
      'exec',
      '-u',
      'postgres',
      container,
      'sh',
      '-c',
      `echo kept > ${data}/marker`,
    ]);
    const again = await esteps(['up', '-p', project, '--json'], dir, { ROUND: '2' });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.plan).toContainEqual(
      expect.objectContaining({ action: 'recreate', target: `container ${container}` }),
    );
    const read = await execa('docker', ['exec', container, 'cat', `${data}/marker`]);
    expect(read.stdout).toBe('kept');
    // The carried volume is mounted by name now: `down --volumes` removes it all the same.
    const mounts = await execa('docker', [
      'inspect',
      '-f',
      '{{range .Mounts}}{{.Name}} {{end}}',
      container,
    ]);
    const carried = mounts.stdout
      .trim()
      .split(' ')
      .filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(carried).toHaveLength(1);
    const down = await esteps(['down', '-p', project, '--volumes', '--json'], dir);
    expect(down.exitCode, down.stderr).toBe(0);
    expect((down.json.removed as { volumes: string[] }).volumes).toContain(carried[0]);
    const left = await execa('docker', ['volume', 'inspect', carried[0]!], { reject: false });
    expect(left.exitCode).not.toBe(0);
  });
});
