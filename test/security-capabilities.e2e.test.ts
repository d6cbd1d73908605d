/**
 * README "Security": Postgres drops every capability and adds back only what its entrypoint
 * needs as root before it switches to `postgres`, and each one added back is needed: without
 * `CHOWN`, `FOWNER`, `SETUID` or `SETGID` it does not start; without `DAC_OVERRIDE` it
 * initialises once but fails on its next start (`chown: cannot read directory`). Each case is
 * step 1's own Postgres service, as the stack declares it (hardening, secret file, data
 * volume, health check), copied into a stack file of its own with one capability fewer, and
 * brought up by the built CLI as a project of its own: the six projects at once. The image is
 * the one setup prepared (here the stand-in built from Debian's postgresql-15 with the
 * official image's entrypoint contract: scripts/standins/postgres).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import step1 from '../stacks/builtin/step1.js';
import { type CliRun, runCli } from './support/cli.js';
import { removeProject, stackImage, uniqueName } from './support/engine.js';

const postgres = step1.services.postgres;
const added = [...postgres.capAdd].sort();
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

interface Case {
  readonly without: string | undefined;
  readonly project: string;
  readonly file: string;
}

/** Step 1's Postgres alone in a stack file, without the capability `without`. */
async function postgresCase(without: string | undefined): Promise<Case> {
  const dir = await mkdtemp(join(tmpdir(), 'esteps-pgcaps-'));
  const project = uniqueName(`pgcaps-${(without ?? 'all').toLowerCase().replace('_', '')}`);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => removeProject(project));
  const service = { ...postgres, capAdd: added.filter((c) => c !== without) };
  const file = join(dir, 'esteps.stack.ts');
  await writeFile(
    file,
    `import { defineStack } from 'esteps';
export default defineStack({
  name: 'pgcaps',
  services: { postgres: ${JSON.stringify(service)} },
  networks: ${JSON.stringify(step1.networks)},
  volumes: ${JSON.stringify(step1.volumes)},
  secrets: ${JSON.stringify(step1.secrets)},
});
`,
  );
  return { without, project, file };
}

const env = { ESTEPS_POSTGRES_IMAGE: stackImage('ESTEPS_POSTGRES_IMAGE') };
const upOf = (c: Case) => runCli(['up', '-f', c.file, '-p', c.project, '--json'], { env });
const downOf = (c: Case) => runCli(['down', '-f', c.file, '-p', c.project, '--json'], { env });

/**
 * Without each capability: the start that fails (the first, on an empty volume, or the
 * second, on the data the first made) and the entrypoint's own error line.
 */
const failsWithout: Record<string, { start: 1 | 2; line: RegExp }> = {
  CHOWN: {
    start: 1,
    line: /chown: changing ownership of '\/var\/lib\/postgresql\/data': Operation not permitted/,
  },
  DAC_OVERRIDE: {
    start: 2,
    line: /chown: cannot read directory '\/var\/lib\/postgresql\/data': Permission denied/,
  },
  FOWNER: {
    start: 1,
    line: /chmod: changing permissions of '\/var\/lib\/postgresql\/data': Operation not permitted/,
  },
  SETGID: { start: 1, line: /setpriv: setresgid failed: Operation not permitted/ },
  SETUID: { start: 1, line: /setpriv: setresuid failed: Operation not permitted/ },
};

/** The CONTAINER_EXITED error of an up (exit 6): Postgres's last log lines. */
function exitedWith(run: CliRun): string {
  expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(6);
  const error = run.json.error as { code: string; message: string; output?: string };
  expect(error.code).toBe('CONTAINER_EXITED');
  expect(error.message).toMatch(/^postgres exited during start-up with code [1-9]\d* /);
  return String(error.output);
}

describe("Postgres's added capabilities", () => {
  it('are the five the README names, after dropping all', () => {
    expect(added).toEqual(Object.keys(failsWithout));
    expect(postgres.capDrop).toEqual(['ALL']);
  });

  it('each is needed: without CHOWN, FOWNER, SETUID or SETGID it does not start, without DAC_OVERRIDE not a second time; with all it starts twice', async () => {
    const startedAt = Date.now();
    const cases = await Promise.all([undefined, ...added].map(postgresCase));
    const failFirst = cases.filter((c) => c.without && failsWithout[c.without]!.start === 1);
    const startTwice = cases.filter((c) => !failFirst.includes(c));
    expect(startTwice.map((c) => c.without)).toEqual([undefined, 'DAC_OVERRIDE']);

    // First those that must not start (in seconds: the entrypoint stops at once), each
    // removed as soon as it failed (its restart policy would start it again and again), so
    // that the two that initialise a database have the cores.
    const refused = await Promise.all(
      failFirst.map(async (c) => {
        const run = await upOf(c);
        await removeProject(c.project);
        return run;
      }),
    );
    for (const [i, c] of failFirst.entries()) {
      expect(exitedWith(refused[i]!), `without ${c.without}`).toMatch(
        failsWithout[c.without!]!.line,
      );
    }
    const refusedMs = Date.now() - startedAt;

    const first = await Promise.all(startTwice.map(upOf));
    for (const [i, c] of startTwice.entries()) {
      expect(first[i]!.exitCode, `without ${c.without ?? 'none'}: ${first[i]!.stderr}`).toBe(0);
    }
    // A new container on the data the first made (down keeps the volume).
    const downs = await Promise.all(startTwice.map(downOf));
    for (const down of downs) expect(down.exitCode, down.stderr).toBe(0);
    const second = await Promise.all(startTwice.map(upOf));
    for (const [i, c] of startTwice.entries()) {
      const run = second[i]!;
      if (c.without === undefined) expect(run.exitCode, run.stderr).toBe(0);
      else expect(exitedWith(run), `without ${c.without}`).toMatch(failsWithout[c.without]!.line);
    }
    process.stdout.write(
      `Postgres without each capability: refused in ${refusedMs} ms, all in ${Date.now() - startedAt} ms\n`,
    );
  });
});
