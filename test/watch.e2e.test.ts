/**
 * `esteps watch` as a user runs it: a child process that patches at start, then once per
 * burst of edits under service/ (one line per patch), and exits 0 on Ctrl-C (SIGINT).
 */
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliPath,
  copyService,
  eventually,
  health,
  type ServiceCopy,
  setHealthMessage,
  sleep,
  type UpProject,
  upProject,
} from './hotpatch-support.js';
import { repoRoot } from './support/engine.js';

let stack: UpProject | undefined;
let source: ServiceCopy | undefined;
let child: ResultPromise | undefined;

describe('esteps watch', () => {
  beforeAll(async () => {
    source = await copyService();
    stack = await upProject('e2e-watch');
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await child?.catch(() => undefined);
    await stack?.down();
    await source?.remove();
  });

  it('patches at start, once per burst of edits, and exits 0 on SIGINT', async () => {
    // A change made before watch starts is patched at start (not lost).
    await source!.edit('app.ts', (text) => setHealthMessage(text, 'changed before watch'));
    const lines: string[] = [];
    child = execa('node', [cliPath, 'watch', '-p', stack!.project, '--source', source!.dir], {
      cwd: repoRoot,
      env: { NO_COLOR: '1' },
      reject: false,
      timeout: 170_000,
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const patchLines = () =>
      lines.filter((l) => /patched usersvc to [0-9a-f]{12} in \d+ ms/.test(l));

    await eventually('watch says it is watching', async () =>
      lines.some((l) => l.includes('watching')),
    );
    expect(await health(stack!.baseUrl)).toMatchObject({ msg: 'changed before watch' });

    // A burst of saves (as editors do: several writes in quick succession) is one patch.
    for (const n of [1, 2, 3]) {
      await source!.edit('app.ts', (text) => setHealthMessage(text, `watched edit ${n}`));
      await sleep(20);
    }
    await eventually('one patch line after the burst', async () => patchLines().length >= 1);
    await sleep(1500);
    expect(patchLines(), lines.join('\n')).toHaveLength(1);
    const version = patchLines()[0]?.match(/to ([0-9a-f]{12})/)?.[1];
    expect(await health(stack!.baseUrl)).toMatchObject({ msg: 'watched edit 3', version });

    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(String(result.stdout)).toMatch(/stopped watching/);
  });
});
