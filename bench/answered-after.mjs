// Polls GET /user/health on its own connection from `start` until it answers `message` (a
// string, or a test of the body) with `database: "up"`; returns the ms since `start`. Each
// look is bounded: a connection made as the workers switch may go unanswered.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export async function answeredAfter(
  base,
  message,
  start,
  { limitMs = 120_000, everyMs = 10 } = {},
) {
  const pool = new Pool(base, { connections: 1 });
  try {
    while (performance.now() - start < limitMs) {
      try {
        const res = await pool.request({
          path: '/user/health',
          method: 'GET',
          headersTimeout: 1000,
          bodyTimeout: 1000,
        });
        const body = JSON.parse(await res.body.text());
        const wanted = typeof message === 'function' ? message(body) : body.msg === message;
        if (wanted && body.database === 'up') return Math.round(performance.now() - start);
      } catch {
        // Not answering yet (a restart, a switch): keep polling.
      }
      await sleep(everyMs);
    }
    throw new Error(`health at ${base} never answered "${message}"`);
  } finally {
    await pool.close();
  }
}
