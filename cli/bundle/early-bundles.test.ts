import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** Each "process" gets the module afresh: its state is per process. */
async function freshModule() {
  vi.resetModules();
  return import('./early-bundles.js');
}

describe('early bundles', () => {
  let dir: string;
  let env: Record<string, string>;
  const args = ['hotpatch', '--json'];
  const entry = (name: string) => join(dir, `${name}.ts`);
  const bundle = (name: string) => ({ entry: entry(name), target: 'node18' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-early-'));
    env = { XDG_CACHE_HOME: join(dir, 'cache') };
    await writeFile(entry('a'), "export const which = 'code of a';\n");
    await writeFile(entry('b'), "export const which = 'code of b';\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts nothing and records nothing outside the CLI entry', async () => {
    const { earlyBundler } = await freshModule();
    expect(earlyBundler()).toBeUndefined();
  });

  it('records what a run bundled, and starts the same at the next run of that command', async () => {
    const first = await freshModule();
    first.startEarlyBundles(dir, args, env);
    const bundler = first.earlyBundler()!;
    const built = await bundler.rebuild(bundle('a'), entry('a'), dir);
    expect(built.code.toString()).toContain('code of a');
    expect(built.startedAt).toBeUndefined();
    bundler.record();
    const records = await readdir(join(dir, 'cache', 'esteps', 'early-bundles'));
    expect(records).toHaveLength(1);

    const second = await freshModule();
    second.startEarlyBundles(dir, args, env);
    const early = await second.earlyBundler()!.rebuild(bundle('a'), entry('a'), dir);
    expect(early.code.toString()).toContain('code of a');
    // Started at the process's start: the cache refuses inputs written since.
    expect(early.startedAt).toBeTypeOf('number');
  }, 30_000);

  it('builds what the stack asks for when the record names something else', async () => {
    const run = await freshModule();
    run.startEarlyBundles(dir, args, env);
    const bundler = run.earlyBundler()!;
    const other = await bundler.rebuild(bundle('b'), entry('b'), dir);
    expect(other.code.toString()).toContain('code of b');
    expect(other.code.toString()).not.toContain('code of a');
    expect(other.startedAt).toBeUndefined();
    bundler.record();
    const [record] = await readdir(join(dir, 'cache', 'esteps', 'early-bundles'));
    const calls = JSON.parse(
      await readFile(join(dir, 'cache', 'esteps', 'early-bundles', record!), 'utf8'),
    );
    expect(calls).toEqual([{ file: entry('b'), target: 'node18', workingDir: dir }]);
  }, 30_000);

  it('keeps one record per folder and command line', async () => {
    const run = await freshModule();
    run.startEarlyBundles(join(dir, 'elsewhere'), args, env);
    const bundler = run.earlyBundler()!;
    await bundler.rebuild(bundle('a'), entry('a'), dir);
    bundler.record();
    expect(await readdir(join(dir, 'cache', 'esteps', 'early-bundles'))).toHaveLength(2);
  }, 30_000);
});
