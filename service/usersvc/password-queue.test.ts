import { describe, expect, it } from 'vitest';
import { HttpError } from './http-io.js';
import { ClientGone, Draining, PasswordQueue, type StillWanted } from './password-queue.js';

const wanted: StillWanted = () => 'wanted';

/** Work that ends when `release()` is called, counting how many started. */
function gate() {
  let started = 0;
  const releases: (() => void)[] = [];
  return {
    get started() {
      return started;
    },
    work: () =>
      new Promise<string>((resolve) => {
        started++;
        releases.push(() => resolve('done'));
      }),
    release: () => releases.shift()?.(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PasswordQueue', () => {
  it('runs `slots` at a time, the others in arrival order, and 429 beyond `maxWaiting`', async () => {
    const queue = new PasswordQueue({ slots: 1, maxWaiting: 2 });
    const g = gate();
    const first = queue.run(g.work, wanted);
    const second = queue.run(g.work, wanted);
    const third = queue.run(g.work, wanted);
    await expect(queue.run(g.work, wanted)).rejects.toMatchObject({ status: 429 });
    await tick();
    expect([g.started, queue.waitingCount]).toEqual([1, 2]);
    g.release();
    await expect(first).resolves.toBe('done');
    await tick();
    expect(g.started).toBe(2);
    g.release();
    g.release();
    await tick();
    g.release();
    await expect(Promise.all([second, third])).resolves.toEqual(['done', 'done']);
  });

  it('starts no work for a client that is gone or half-closed, and frees the slot at once', async () => {
    const queue = new PasswordQueue({ slots: 1, maxWaiting: 10 });
    const g = gate();
    const running = queue.run(g.work, wanted);
    const gone = queue.run(g.work, () => 'gone');
    const halfClosed = queue.run(g.work, () => 'half-closed');
    const live = queue.run(g.work, wanted);
    g.release();
    await running;
    await expect(gone).rejects.toBeInstanceOf(ClientGone);
    await expect(halfClosed).rejects.toSatisfy(
      (err) => err instanceof HttpError && err.status === 400 && err.headers.connection === 'close',
    );
    await tick();
    expect(g.started).toBe(2);
    g.release();
    await expect(live).resolves.toBe('done');
  });

  it('while draining, refuses at once what would not end before the deadline', async () => {
    let now = 1000;
    const queue = new PasswordQueue({ slots: 1, maxWaiting: 10, now: () => now });
    const g = gate();
    const running = queue.run(g.work, wanted);
    const waiting = Array.from({ length: 6 }, () => queue.run(g.work, wanted));
    const settled = waiting.map((p) =>
      p.then(
        () => 'ran',
        (err) => err,
      ),
    );
    // First guess: 500 ms a piece, and 1.5 times that plus 300 ms kept once one starts: the
    // first two waiting fit in 2.5 s (their turns at +500 and +1000 ms: done by +2050), the
    // third (+1500: +2550) and the rest do not.
    queue.drainBy(now + 2500);
    await tick();
    const refused = await Promise.all(settled.slice(2));
    expect(refused.every((r) => r instanceof Draining)).toBe(true);
    // New work while draining that cannot fit either: refused without waiting.
    now += 2000;
    await expect(queue.run(g.work, wanted)).rejects.toBeInstanceOf(Draining);
    // The two that fitted run when their turn comes, if it still fits then.
    now = 1500;
    g.release();
    await running;
    await tick();
    g.release();
    await tick();
    now = 2100;
    g.release();
    expect(await Promise.all(settled.slice(0, 2))).toEqual(['ran', 'ran']);
  });
});
