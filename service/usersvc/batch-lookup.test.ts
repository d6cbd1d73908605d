import { describe, expect, it } from 'vitest';
import { BatchLookup } from './batch-lookup.js';

describe('BatchLookup', () => {
  it('answers each key from one query per batch, deduplicating keys', async () => {
    const batches: string[][] = [];
    const lookup = new BatchLookup<number>(
      async (keys) => {
        batches.push(keys);
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
      },
      { maxInFlight: 1 },
    );
    const answers = await Promise.all(['a', 'bb', 'a', 'missing'].map((k) => lookup.get(k)));
    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(batches).toEqual([['a', 'bb', 'missing']]);
  });

  it('queues lookups behind a full set of running batches, then sends them together', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const lookup = new BatchLookup<string>(
      async (keys) => {
        batches.push(keys);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return new Map(keys.map((k) => [k, k]));
      },
      { maxInFlight: 1 },
    );
    const first = lookup.get('a');
    await new Promise((r) => setImmediate(r));
    const later = [lookup.get('b'), lookup.get('c')];
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([['a']]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['a', 'b', 'c']);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('rejects every lookup of a failed batch and keeps working', async () => {
    let fail = true;
    const lookup = new BatchLookup<string>(async (keys) => {
      if (fail) throw new Error('database unavailable');
      return new Map(keys.map((k) => [k, k]));
    });
    await expect(Promise.all([lookup.get('a'), lookup.get('b')])).rejects.toThrow('unavailable');
    fail = false;
    expect(await lookup.get('a')).toBe('a');
  });

  it('caps the size of one batch', async () => {
    const sizes: number[] = [];
    const lookup = new BatchLookup<string>(
      async (keys) => {
        sizes.push(keys.length);
        return new Map();
      },
      { maxBatch: 10 },
    );
    await Promise.all(Array.from({ length: 25 }, (_, i) => lookup.get(`k${i}`)));
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('with a gather window, waits for as many lookups as were in play, at most the window', async () => {
    const batches: string[][] = [];
    const lookup = new BatchLookup<string>(
      async (keys) => {
        batches.push(keys);
        return new Map(keys.map((k) => [k, k]));
      },
      { gatherMs: 50 },
    );
    // Nothing was in play: the first lookups go at the next turn.
    expect(await Promise.all([lookup.get('a'), lookup.get('b')])).toEqual(['a', 'b']);
    // Two were in play: the next batch waits for two lookups, not one.
    const c = lookup.get('c');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([['a', 'b']]);
    expect(await Promise.all([c, lookup.get('d')])).toEqual(['c', 'd']);
    expect(batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    // One lookup where two were expected goes once the window has passed.
    const started = Date.now();
    expect(await lookup.get('e')).toBe('e');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batches.at(-1)).toEqual(['e']);
  });
});
