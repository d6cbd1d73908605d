/**
 * The CLI's own contract as a user meets it, through the built `esteps` (no containers
 * started): --help, --version, usage errors (exit 2, one JSON document with --json), empty
 * option values, configuration errors (exit 3), no engine (exit 4), render to stdout and
 * --json, up --dry-run, and what a command on a project that never existed leaves behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, cliPath, runCli } from './support/cli.js';
import { projectLeftovers, repoRoot, stackImage, uniqueName } from './support/engine.js';

let dir = '';
const project = uniqueName('e2e-cli-usage');

beforeAll(async () => {
  // A folder of the user's own: no stack file, a .env naming the images setup prepared.
  dir = await mkdtemp(join(tmpdir(), `${project}-`));
  const images = ['ESTEPS_POSTGRES_IMAGE', 'ESTEPS_ENVOY_IMAGE', 'ESTEPS_NODE_IMAGE'] as const;
  await writeFile(join(dir, '.env'), images.map((v) => `${v}=${stackImage(v)}\n`).join(''));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const esteps = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, env, timeoutMs: 60_000 });

/** stdout is exactly one JSON document, a failure with `code`. */
function expectJsonError(run: CliRun, code: string): Record<string, string> {
  expect(() => JSON.parse(run.stdout), `stdout: ${run.stdout}`).not.toThrow();
  expect(run.json).toMatchObject({ ok: false, error: { code } });
  return run.json.error as Record<string, string>;
}

describe('esteps usage', () => {
  it('--help lists the commands and --version prints the package version, both exit 0', async () => {
    const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
    const help = await esteps(['--help']);
    expect(help.exitCode).toBe(0);
    for (const command of ['up', 'down', 'ps', 'logs', 'smoke', 'hotpatch', 'watch', 'render']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const version = await esteps(['--version']);
    expect(version).toMatchObject({ exitCode: 0, stdout: manifest.version });
    // The full CLI (not the tiny entry) says the same.
    const full = await esteps(['--version'], { ESTEPS_FULL_CLI: '1' });
    expect(full).toMatchObject({ exitCode: 0, stdout: manifest.version });
    const upHelp = await esteps(['up', '--help']);
    expect(upHelp.exitCode).toBe(0);
    expect(upHelp.stdout).toContain('--dry-run');
  });

  it('an unknown command, an unknown option or a missing argument is a usage error (exit 2)', async () => {
    const command = await esteps(['upp']);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'upp'/);
    const option = await esteps(['ps', '--bogus']);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--bogus'/);
    expect(option.stdout).toBe('');
  });

  it('with --json, a usage error is one JSON document on stdout', async () => {
    const option = await esteps(['ps', '--json', '--bogus']);
    expect(option.exitCode).toBe(2);
    expect(expectJsonError(option, 'USAGE').message).toContain('--bogus');
    const missing = await esteps(['ps', '--json', '-p']);
    expect(missing.exitCode).toBe(2);
    expect(expectJsonError(missing, 'USAGE').message).toContain('-p');
    const command = await esteps(['--json', 'upp']);
    expect(command.exitCode).toBe(2);
    expectJsonError(command, 'USAGE');
  });

  it('an empty option value is a usage error naming the option, never a default', async () => {
    const cases: [string[], string][] = [
      [['down', '-p', ''], '-p'],
      [['-p', '', 'ps'], '-p'],
      [['ps', '-f', ''], '-f'],
      [['ps', '--stack', ''], '--stack'],
      [['hotpatch', '--source', ''], '--source'],
      [['watch', '--source', ''], '--source'],
      [['logs', '--tail', ''], '--tail'],
      [['init', '--name', ''], '--name'],
    ];
    for (const [args, option] of cases) {
      const run = await esteps([...args, ...(args[0] === 'watch' ? [] : ['--json'])]);
      expect(run.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(option);
      expect(run.stderr).toMatch(/empty/);
    }
    // Nothing was written for the default project.
    expect(existsSync(join(dir, '.esteps'))).toBe(false);
    expect(existsSync(join(dir, 'esteps.stack.ts'))).toBe(false);
  });

  it('an invalid image reference is a configuration error naming the variable (exit 3)', async () => {
    for (const image of ['../../x', 'foo bar', 'Foo:Bar', 'x:', '']) {
      const run = await esteps(['up', '--dry-run', '-p', project, '--json'], {
        ESTEPS_POSTGRES_IMAGE: image,
      });
      if (image === '') {
        // Empty means "not set" for variables (as in compose): the default applies.
        continue;
      }
      expect(run.exitCode, `${image}: ${run.stdout}${run.stderr}`).toBe(3);
      const error = expectJsonError(run, 'CONFIG_INVALID');
      expect(error.message).toContain('ESTEPS_POSTGRES_IMAGE');
      expect(error.message).toContain(JSON.stringify(image));
      expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('a stack file that does not compile is exit 3 with its line and column', async () => {
    const file = join(dir, 'broken.stack.ts');
    await writeFile(
      file,
      "import { defineStack } from 'esteps';\nexport default defineStack({ name: 'x', services: { ) });\n",
    );
    const run = await esteps(['render', '-f', file]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/broken\.stack\.ts:2:\d+/);
  });

  it('no engine is ENGINE_UNAVAILABLE, exit 4, naming DOCKER_HOST', async () => {
    const run = await esteps(['ps', '-p', project, '--json'], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(run.exitCode).toBe(4);
    expect(expectJsonError(run, 'ENGINE_UNAVAILABLE').message).toContain('127.0.0.1:1');
    const text = await esteps(['ps', '-p', project], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(text.exitCode).toBe(4);
    expect(text.stderr).toMatch(/^esteps: .*127\.0\.0\.1:1/m);
    expect(text.stderr).toMatch(/^hint: /m);
  });

  it('every command that reaches the engine exits 4 while none answers (a stopped engine: its socket refuses or is gone)', async () => {
    // A dockerd that was killed leaves its socket file, refusing; a stopped one removes it.
    const stale = join(dir, 'stale.sock');
    const listenThenDie = `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`;
    await execa('node', ['-e', listenThenDie], { reject: false });
    expect(existsSync(stale), 'a socket file nobody listens on').toBe(true);
    const hosts = [`unix://${stale}`, `unix://${join(dir, 'gone', 'docker.sock')}`];
    const commands = [
      ['up'],
      ['up', '--dry-run'],
      ['down', '--volumes'],
      ['ps'],
      ['logs'],
      ['smoke'],
      ['hotpatch'],
      ['render', '-o', join(dir, 'ejected', 'compose.yaml')],
      ['watch'],
    ];
    for (const host of hosts) {
      for (const args of commands) {
        const json = args[0] === 'watch' ? [] : ['--json'];
        const run = await esteps([...args, '-p', project, ...json], { DOCKER_HOST: host });
        const what = `${args.join(' ')} at ${host}: ${run.stdout}${run.stderr}`;
        expect(run.exitCode, what).toBe(4);
        if (json.length > 0) {
          expect(expectJsonError(run, 'ENGINE_UNAVAILABLE').message, what).toContain(host);
        } else {
          expect(run.stderr, what).toMatch(/^esteps: No Docker engine answers/m);
        }
      }
    }
    expect(existsSync(join(dir, 'ejected')), 'render -o wrote nothing').toBe(false);
    expect(existsSync(join(dir, '.esteps'))).toBe(false);
  });

  it('-f and --stack together are a usage error (exit 2), whichever comes first', async () => {
    await writeFile(join(dir, 'mine.stack.ts'), 'export default {};\n');
    for (const args of [
      ['ps', '-f', 'mine.stack.ts', '--stack', 'step2', '--json'],
      ['-f', 'mine.stack.ts', 'ps', '--stack', 'step1', '--json'],
      ['logs', '--file', 'mine.stack.ts', '--stack', 'step1', '--json'],
      ['up', '--stack', 'step1', '--file', 'mine.stack.ts', '--dry-run', '--json'],
    ]) {
      const run = await esteps([...args, '-p', project]);
      expect(run.exitCode, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(2);
      const error = expectJsonError(run, 'USAGE');
      expect(error.message).toBe('Give either -f FILE or --stack NAME, not both.');
      expect(error.hint).toContain('--stack names one that ships with esteps');
    }
    const text = await esteps(['ps', '-f', 'mine.stack.ts', '--stack', 'step2', '-p', project]);
    expect(text.exitCode).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^esteps: Give either -f FILE or --stack NAME, not both\.$/m);
  });

  it('smoke --stack step2 of a project that is not up is NOT_RUNNING (exit 10), naming the edge', async () => {
    const never = uniqueName('e2e-never-step2');
    const run = await esteps(['smoke', '--stack', 'step2', '-p', never, '--json']);
    expect(run.exitCode, run.stderr).toBe(10);
    const error = expectJsonError(run, 'NOT_RUNNING');
    expect(error.message).toBe(`Project "${never}" is not up: no running edge container.`);
    expect(error.hint).toContain(`esteps up --stack step2 -p ${never}`);
    expect(await projectLeftovers(never)).toEqual([]);
  });

  it('render prints the compose file on stdout, and --json the resolved stack without secrets', async () => {
    const yaml = await esteps(['render', '-p', project]);
    expect(yaml.exitCode, yaml.stderr).toBe(0);
    expect(yaml.stdout).toMatch(/^services:$/m);
    expect(yaml.stdout).toMatch(/^ {2}postgres:$/m);
    expect(yaml.stdout).toMatch(/^ {2}usersvc:$/m);
    // Secrets are files an ejected folder holds, never values on stdout.
    expect(yaml.stdout).toMatch(/^ {4}file: \.\/secrets\/db_password$/m);
    const json = await esteps(['render', '-p', project, '--json']);
    expect(json.exitCode).toBe(0);
    expect(json.json).toMatchObject({ ok: true });
    expect(JSON.stringify(json.json)).toContain('usersvc');
    // Nothing of the project on disk or on the engine.
    expect(existsSync(join(dir, '.esteps'))).toBe(false);
  });

  it('up --dry-run prints the plan and changes nothing', async () => {
    const run = await esteps(['up', '--dry-run', '-p', project], { ESTEPS_USERSVC_PORT: '0' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/create +network +\S*appmesh/);
    expect(run.stdout).toMatch(/create +container +\S*usersvc-1 +no existing container/);
    expect(await projectLeftovers(project)).toEqual([]);
    const json = await esteps(['up', '--dry-run', '-p', project, '--json'], {
      ESTEPS_USERSVC_PORT: '0',
    });
    expect(json.json).toMatchObject({ ok: true, dryRun: true });
    const plan = json.json.plan as { action: string; target: string }[];
    expect(plan.length).toBeGreaterThan(0);
    expect(plan.map((p) => p.target)).toContain(`container ${project}-postgres-1`);
    expect(await projectLeftovers(project)).toEqual([]);
    expect(existsSync(join(dir, '.esteps', project))).toBe(false);
  });

  it('on a terminal, colour unless NO_COLOR; a terminal with no width still ends', async () => {
    // `script` runs esteps on a pseudo-terminal (stderr a TTY: the spinner), sized or not.
    const onTerminal = async (size: string, env: string) => {
      const command = `${size} ${env} node ${cliPath} up --dry-run -p ${project}`;
      return execa('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        input: '',
        reject: false,
        timeout: 60_000,
        // A developer's terminal: TERM names one, and no CI variable (with CI set, ora's
        // colour library turns colour off, as CI logs want).
        env: { ESTEPS_USERSVC_PORT: '0', NO_COLOR: '', TERM: 'xterm-256color', CI: undefined },
      });
    };
    // An SGR (colour) escape: ESC [ ... m.
    const sgr = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);
    const coloured = await onTerminal('stty cols 100 rows 30;', '');
    expect(coloured.exitCode, coloured.stdout.slice(0, 500)).toBe(0);
    expect(coloured.stdout).toMatch(sgr);
    const plain = await onTerminal('stty cols 100 rows 30;', 'NO_COLOR=1');
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain('dry run: nothing was changed');
    expect(plain.stdout).not.toMatch(sgr);
    const unsized = await onTerminal('stty cols 0 rows 0;', '');
    expect(unsized.timedOut).toBe(false);
    expect(unsized.exitCode).toBe(0);
    expect(unsized.stdout.length).toBeLessThan(100_000);
  });

  it('down, ps and logs of a project that never existed change nothing on disk', async () => {
    const never = uniqueName('e2e-never');
    const down = await esteps(['down', '-p', never, '--volumes']);
    expect(down.exitCode, down.stderr).toBe(0);
    const ps = await esteps(['ps', '-p', never, '--json']);
    expect(ps.exitCode, ps.stderr).toBe(0);
    expect(ps.json).toMatchObject({ ok: true, containers: [] });
    // Nothing runs to show logs of: NOT_RUNNING (exit 10), naming the project and `up`.
    const logs = await esteps(['logs', '-p', never, '--json']);
    expect(logs.exitCode, logs.stdout).toBe(10);
    const error = expectJsonError(logs, 'NOT_RUNNING');
    expect(error.message).toBe(`Project ${never} has nothing running.`);
    expect(error.hint).toContain(`esteps up -p ${never}`);
    expect(existsSync(join(dir, '.esteps'))).toBe(false);
  });

  it('logs of a service the stack does not have is a usage error naming its services', async () => {
    const run = await esteps(['logs', 'nosuch', '-p', project, '--json']);
    expect(run.exitCode).toBe(2);
    const error = expectJsonError(run, 'USAGE');
    expect(error.message).toContain('nosuch');
    expect(`${error.message} ${error.hint}`).toMatch(/postgres, usersvc/);
  });
});
