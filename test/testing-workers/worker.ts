import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { up } from 'esteps/testing';
import { expect } from 'vitest';

/** What a worker reports to the test that ran the workers. */
export interface WorkerReport {
  readonly project: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly readyAt: number;
  readonly fullname: string;
}

/**
 * One worker: waits until the other has arrived too (so both `up` at once), brings step 1
 * up, creates `alice` with its own full name and reads her back: with a database shared
 * between the workers the second create would answer 409, or the read the other's name.
 */
export async function runWorker(name: string): Promise<void> {
  const dir = process.env.WORKERS_DIR ?? '';
  await writeFile(join(dir, `${name}.arrived`), '');
  for (let i = 0; i < 2400; i++) {
    const arrived = (await readdir(dir)).filter((f) => f.endsWith('.arrived'));
    if (arrived.length >= 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const startedAt = Date.now();
  await using stack = await up({ stack: 'step1', cwd: dir });
  const readyAt = Date.now();
  const user = `${stack.url('usersvc')}/user/alice`;
  const put = await fetch(user, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fullname: `Alice of ${name}`, password: 'alicerules' }),
  });
  expect(put.status).toBe(201);
  const read = (await (await fetch(user)).json()) as { fullname?: string };
  expect(read.fullname).toBe(`Alice of ${name}`);
  const report: WorkerReport = {
    project: stack.project,
    pid: process.pid,
    startedAt,
    readyAt,
    fullname: read.fullname ?? '',
  };
  await writeFile(join(dir, `${name}.json`), JSON.stringify(report));
}
