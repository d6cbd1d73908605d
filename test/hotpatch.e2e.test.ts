/**
 * `esteps hotpatch` against a real stack, patching an edited copy of service/ (`--source`):
 * the new code answers as soon as the command returns; no request fails during a patch under
 * a steady load, also with a new connection per request; code that throws at start-up exits 9 with its output while the old code
 * keeps serving; patches in a row each take effect; the patched file belongs to the image's
 * user, not root.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyService,
  createUser,
  esteps,
  health,
  jsonError,
  type ServiceCopy,
  setHealthMessage,
  startLoad,
  type UpProject,
  upProject,
} from './hotpatch-support.js';

let stack: UpProject | undefined;
let source: ServiceCopy | undefined;

interface Patched {
  exitCode: number;
  version: string;
  durationMs: number;
  json: Record<string, unknown>;
}

/** Sets the health message in the copy, then `esteps hotpatch --source copy --json`. */
async function patchMessage(message: string): Promise<Patched> {
  await source!.edit('app.ts', (text) => setHealthMessage(text, message));
  const run = await esteps(['hotpatch', '-p', stack!.project, '--source', source!.dir, '--json']);
  if (run.exitCode !== 0)
    throw new Error(`hotpatch exited ${run.exitCode}: ${run.stdout}\n${run.stderr}`);
  return {
    exitCode: run.exitCode,
    version: String(run.json.version),
    durationMs: Number(run.json.durationMs),
    json: run.json,
  };
}

describe('esteps hotpatch', () => {
  beforeAll(async () => {
    source = await copyService();
    stack = await upProject('e2e-hotpatch');
  });

  afterAll(async () => {
    await stack?.down();
    await source?.remove();
  });

  it('serves the new code as soon as it returns, and says how long that took', async () => {
    const before = await health(stack!.baseUrl);
    const patched = await patchMessage('hotpatched once');
    const after = await health(stack!.baseUrl);
    expect(after).toMatchObject({ status: 200, msg: 'hotpatched once', version: patched.version });
    expect(patched.version).toMatch(/^[0-9a-f]{12}$/);
    expect(patched.version).not.toBe(before.version);
    expect(patched.durationMs).toBeGreaterThan(0);
    const [replica] = patched.json.replicas as { previousVersion: string; unchanged: boolean }[];
    expect(replica).toMatchObject({ previousVersion: before.version, unchanged: false });
  });

  it('patching the same code again changes nothing', async () => {
    const run = await esteps(['hotpatch', '-p', stack!.project, '--source', source!.dir, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const [replica] = run.json.replicas as { unchanged: boolean }[];
    expect(replica?.unchanged).toBe(true);
  });

  it('drops no request under a steady load of 200 requests a second', async () => {
    // Half the load reads a user, so it goes through each generation's database pool too.
    expect(await createUser(stack!.baseUrl, 'hotpatch-reader')).toBe(201);
    const load = startLoad(stack!.baseUrl, ['/user/health', '/user/hotpatch-reader'], 200, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const patched = await patchMessage('hotpatched under load');
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    expect((await health(stack!.baseUrl)).version).toBe(patched.version);
    expect(report.sent / (report.durationMs / 1000)).toBeGreaterThanOrEqual(100);
    expect(report.sent).toBeGreaterThan(200);
    expect(report, JSON.stringify(report)).toMatchObject({ failed: 0, ok: report.sent });
  });

  it('answers every new connection made while patches switch the workers', async () => {
    // A connection made at a switch is handed to a worker as the old code closes: the old
    // worker must decline it (not exit with it unread) for another to answer it.
    const load = startLoad(stack!.baseUrl, ['/user/health'], 200, 60_000, {
      newConnections: true,
    });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 6; i += 1) await patchMessage(`new connections ${i}`);
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    expect(report.sent).toBeGreaterThan(300);
    expect(report, JSON.stringify(report)).toMatchObject({ failed: 0, ok: report.sent });
  });

  it('keeps the old code serving when the new code throws at start-up (exit 9)', async () => {
    const before = await health(stack!.baseUrl);
    await source!.edit('main.ts', (text) =>
      text.replace(
        'function main(): void {',
        "function main(): void {\n  throw new Error('hotpatch e2e: failing at start-up on purpose');",
      ),
    );
    try {
      const run = await esteps([
        'hotpatch',
        '-p',
        stack!.project,
        '--source',
        source!.dir,
        '--json',
      ]);
      expect(run.exitCode, run.stdout).toBe(9);
      const error = jsonError(run);
      expect(error.code).toBe('HOTPATCH_FAILED');
      expect(String(error.output)).toContain('failing at start-up on purpose');
      const text = await esteps(['hotpatch', '-p', stack!.project, '--source', source!.dir]);
      expect(text.exitCode).toBe(9);
      expect(text.stderr).toContain('failing at start-up on purpose');
      const after = await health(stack!.baseUrl);
      expect(after).toMatchObject({ status: 200, version: before.version, msg: before.msg });
    } finally {
      await source!.edit('main.ts', (text) =>
        text.replace("\n  throw new Error('hotpatch e2e: failing at start-up on purpose');", ''),
      );
    }
  });

  it('keeps the old code serving when the new code does not compile (exit 9, not 5)', async () => {
    const before = await health(stack!.baseUrl);
    await source!.edit('main.ts', (text) =>
      text.replace('function main(): void {', 'function main(): void {{ syntax error here'),
    );
    try {
      const run = await esteps([
        'hotpatch',
        '-p',
        stack!.project,
        '--source',
        source!.dir,
        '--json',
      ]);
      expect(run.exitCode, run.stdout).toBe(9);
      const error = jsonError(run);
      expect(error.code).toBe('HOTPATCH_FAILED');
      expect(String(error.message)).toMatch(/main\.ts:\d+:\d+.*the old code still serves/);
      expect(await health(stack!.baseUrl)).toMatchObject({ version: before.version });
    } finally {
      await source!.edit('main.ts', (text) =>
        text.replace('function main(): void {{ syntax error here', 'function main(): void {'),
      );
    }
  });

  it('patches only the services named, and refuses one the stack does not have', async () => {
    const named = await esteps(['hotpatch', 'usersvc', '-p', stack!.project, '--json']);
    expect(named.exitCode, named.stderr).toBe(0);
    expect((named.json.services as { service: string }[]).map((s) => s.service)).toEqual([
      'usersvc',
    ]);
    const unknown = await esteps(['hotpatch', 'nosuch', '-p', stack!.project, '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown).code).toBe('USAGE');
    expect(String(jsonError(unknown).message)).toContain('nosuch');
  });

  it('takes effect for two patches in a row', async () => {
    const first = await patchMessage('first of two');
    expect(await health(stack!.baseUrl)).toMatchObject({
      msg: 'first of two',
      version: first.version,
    });
    const second = await patchMessage('second of two');
    expect(second.version).not.toBe(first.version);
    expect(await health(stack!.baseUrl)).toMatchObject({
      msg: 'second of two',
      version: second.version,
    });
  });

  it('leaves the patched files owned by usersvc (uid 10001), not root', async () => {
    const { version } = await health(stack!.baseUrl);
    const container = `${stack!.project}-usersvc-1`;
    const stat = await execa('docker', [
      'exec',
      container,
      'stat',
      '-c',
      '%u:%g %n',
      '/app/service.js',
      `/app/releases/service-${version}.js`,
    ]);
    const owners = stat.stdout.trim().split('\n');
    expect(owners).toHaveLength(2);
    for (const line of owners) expect(line).toMatch(/^10001:10001 /);
    const user = await execa('docker', ['exec', container, 'id', '-u']);
    expect(user.stdout.trim()).toBe('10001');
  });
});
