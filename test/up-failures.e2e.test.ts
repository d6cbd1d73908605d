/**
 * What `esteps up` says when it cannot finish: an image neither present nor pullable
 * (IMAGE_MISSING, exit 5), a build step that fails (BUILD_FAILED, exit 5, naming the step),
 * a service that never becomes ready (HEALTH_TIMEOUT, exit 7, with its last check and logs).
 * Each assertion is on what the user sees: exit code, the JSON error, the message.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { removeProject, repoRoot, stackImage, uniqueName } from './support/engine.js';
import { writeNodeScriptStack } from './up-fixture.js';

const projects: string[] = [];
const stacks: { remove(): Promise<void> }[] = [];

function project(prefix: string): string {
  const name = uniqueName(prefix);
  projects.push(name);
  return name;
}

afterAll(async () => {
  for (const name of projects) {
    await removeProject(name);
    await rm(join(repoRoot, '.esteps', name), { recursive: true, force: true });
  }
  for (const stack of stacks) await stack.remove();
});

describe('esteps up when it cannot finish', () => {
  it('names an image that is neither on the engine nor pullable (IMAGE_MISSING, exit 5)', async () => {
    const name = project('esteps-fail-image');
    const run = await runCli(['up', '-p', name, '--json'], {
      env: { ESTEPS_POSTGRES_IMAGE: 'esteps-local/no-such-image:1', ESTEPS_USERSVC_PORT: '0' },
    });
    expect(run.exitCode).toBe(5);
    expect(run.json).toMatchObject({
      ok: false,
      error: { code: 'IMAGE_MISSING', image: 'esteps-local/no-such-image:1' },
    });
    expect(String((run.json.error as { hint: string }).hint)).toContain('npm run setup');
    expect(run.stderr).toContain('esteps-local/no-such-image:1');
  });

  it('names the build step that failed and its reason (BUILD_FAILED, exit 5)', async () => {
    const name = project('esteps-fail-build');
    // The Postgres image as the Node.js image: it has no /usr/local/bin/node to copy.
    const run = await runCli(['up', '-p', name, '--json'], {
      env: { ESTEPS_NODE_IMAGE: stackImage('ESTEPS_POSTGRES_IMAGE'), ESTEPS_USERSVC_PORT: '0' },
    });
    expect(run.exitCode).toBe(5);
    const error = run.json.error as Record<string, string>;
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.step).toContain('COPY --from=node /usr/local/bin/node');
    expect(error.message).toContain('file does not exist');
  });

  it('gives up on a service that never answers ready, with its last check and logs (HEALTH_TIMEOUT, exit 7)', async () => {
    const name = project('esteps-fail-health');
    const server =
      "require('http').createServer((q,s)=>{s.writeHead(503);s.end('not yet')})" +
      ".listen(5000,()=>console.log('listening, never ready'))";
    const stack = await writeNodeScriptStack({
      service: 'sleepy',
      script: server,
      probeTimeoutMs: 4000,
      restart: 'no',
    });
    stacks.push(stack);
    const json = await runCli(['up', '-f', stack.file, '-p', name, '--json'], { cwd: stack.dir });
    expect(json.exitCode).toBe(7);
    expect(json.json).toMatchObject({
      ok: false,
      error: { code: 'HEALTH_TIMEOUT', service: 'sleepy' },
    });
    const error = json.json.error as Record<string, string>;
    expect(error.lastHealth).toContain('503');
    expect(error.output).toContain('listening, never ready');
    // Without --json, as a user reads it on the terminal; the service is still not ready,
    // so this `up` (nothing to change) waits for it again and fails the same way.
    const text = await runCli(['up', '-f', stack.file, '-p', name], { cwd: stack.dir });
    expect(text.exitCode).toBe(7);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/esteps: sleepy was not answering GET \/ within 4 s/);
    expect(text.stderr).toContain('listening, never ready');
    // The hint repeats the stack and project the user chose (logs' -f is --follow: --file).
    expect(text.stderr).toContain(`esteps logs --file ${stack.file} -p ${name} sleepy`);
  });
});
