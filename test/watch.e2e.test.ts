/**
 * `esteps watch` as a user runs it: a child process that patches at start, then once per
 * burst of edits under service/ (one line per patch): in-place writes, `sed -i` and
 * rename-over saves several times in a row, a new file, a deleted file; a failed patch is
 * printed and watching goes on; it exits 0 on Ctrl-C (SIGINT).
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
    // A burst is edits closer together than --debounce: 20 ms apart, on a machine busy with
    // other suites, stays well inside 400 ms (the 50 ms default is for a quiet editor save).
    const args = ['watch', '-p', stack!.project, '--source', source!.dir, '--debounce', '400'];
    child = execa('node', [cliPath, ...args], {
      cwd: repoRoot,
      env: { NO_COLOR: '1' },
      reject: false,
      timeout: 170_000,
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const patchLines = () =>
      lines.filter((l) => /patched usersvc to [0-9a-f]{12} in \d+ ms/.test(l));
    /** One line per patch after start: patched, already serving, or failed. */
    const outcomeLines = () =>
      lines.filter((l) => /patched usersvc|usersvc already serves|patch failed/.test(l));

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

    // Saves that replace the file, each its own burst, several in a row: `sed -i` (writes a
    // temporary file and renames it over app.ts) and an editor's atomic save (write beside,
    // rename over). Each is patched and served.
    const appFile = join(source!.dir, 'service', 'usersvc', 'app.ts');
    const saves: [string, () => Promise<void>][] = [
      ['sed -i 1', () => sedHealthMessage(appFile, 'sed edit 1')],
      ['sed -i 2', () => sedHealthMessage(appFile, 'sed edit 2')],
      ['rename-over 1', () => renameOver(appFile, 'renamed edit 1')],
      ['sed -i 3', () => sedHealthMessage(appFile, 'sed edit 3')],
      ['rename-over 2', () => renameOver(appFile, 'renamed edit 2')],
    ];
    for (const [what, save] of saves) {
      const seen = outcomeLines().length;
      await save();
      await eventually(`a patch after ${what}`, async () => outcomeLines().length > seen, 20_000);
      const message = (await readFile(appFile, 'utf8')).match(/msg: '([^']*)'/)?.[1];
      await eventually(`the service serves "${message}" after ${what}`, async () => {
        return (await health(stack!.baseUrl)).msg === message;
      });
    }
    // A new file and a deleted one are changes too (here they do not change the bundle).
    const extra = join(source!.dir, 'service', 'usersvc', 'extra-notes.ts');
    for (const [what, save] of [
      ['new file', () => writeFile(extra, 'export const note = 1;\n')],
      ['deleted file', () => unlink(extra)],
    ] as const) {
      const seen = outcomeLines().length;
      await save();
      await eventually(`a patch after a ${what}`, async () => outcomeLines().length > seen, 20_000);
    }

    // Code that does not build: the failure is printed, the old code keeps serving, and the
    // next save is patched.
    const servedBefore = await health(stack!.baseUrl);
    const failuresBefore = lines.filter((l) => l.includes('patch failed')).length;
    await source!.edit('app.ts', (text) => text.replace(/msg: '[^']*'/, "msg: 'broken' +"));
    await eventually(
      'a failed patch line',
      async () => lines.filter((l) => l.includes('patch failed')).length > failuresBefore,
      20_000,
    );
    expect(await health(stack!.baseUrl)).toMatchObject({ msg: servedBefore.msg });
    await source!.edit('app.ts', (text) => text.replace("msg: 'broken' +", "msg: 'fixed again'"));
    await eventually('the fix is served', async () => {
      return (await health(stack!.baseUrl)).msg === 'fixed again';
    });

    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(String(result.stdout)).toMatch(/stopped watching/);
  });
});

/** `sed -i` as a user runs it: a new file renamed over the old one. */
async function sedHealthMessage(file: string, message: string): Promise<void> {
  await execa('sed', ['-i', `s/msg: '[^']*'/msg: '${message}'/`, file]);
}

/** An editor's atomic save: the new text written beside the file, then renamed over it. */
async function renameOver(file: string, message: string): Promise<void> {
  const text = setHealthMessage(await readFile(file, 'utf8'), message);
  const temporary = `${file}.tmp-save`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
