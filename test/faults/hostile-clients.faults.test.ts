/**
 * Hostile clients against step 1's container as `esteps up` runs it (two workers, 1 GiB,
 * read-only root): a flood of pipelined reads that never reads its answers costs bounded
 * memory, enforced by the service closing the greediest connections, never by the kernel;
 * logins whose clients reset through the published port (docker-proxy turns the RST into a
 * FIN) are dropped before any hash, so a real user's login is not queued behind them.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.js';
import { sleep, step1Project, upOk } from './fault-support.js';

/** The container's memory cgroup (cgroup v1, as on this machine's engine). */
function cgroupFile(id: string, file: string): string {
  return readFileSync(`/sys/fs/cgroup/memory/docker/${id}/${file}`, 'utf8');
}

async function put(baseUrl: string, name: string, body: object): Promise<number> {
  const res = await request(`${baseUrl}/user/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 60_000,
  });
  await res.body.dump();
  return res.statusCode;
}

/** GET /user/health on a connection of its own: its status, or 0 with no answer in time. */
function probe(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(port, host, () =>
      socket.write('GET /user/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      if (status !== null) done(Number(status[1]));
    });
    socket.on('error', () => done(0));
  });
}

describe('hostile clients against the step-1 container', () => {
  it('a flood that never reads its answers: memory bounded by the service, no worker killed', {
    timeout: 600_000,
  }, async () => {
    await using p = await step1Project('fault-flood');
    await upOk(p);
    const { docker } = await testEngine();
    const { id } = await p.container('usersvc');
    const info = await docker.getContainer(id).inspect();
    const address = Object.values(info.NetworkSettings.Networks)[0]!.IPAddress;
    // The user: 2048 emoji, about 8 KB an answer.
    expect(
      await put(p.url(''), 'big', { fullname: '😀'.repeat(2048), password: 'big-rules' }),
    ).toBe(201);
    await sleep(2000);
    const usage = () => Number(cgroupFile(id, 'memory.usage_in_bytes'));
    const baseline = usage();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, usage());
    }, 50);
    // 400 connections to the container's own address (no docker-proxy between), each 64 KiB
    // of pipelined GETs of that user (1,771), never read: before, the container reached its
    // 1 GiB in about 25 s and the kernel killed a worker.
    const get = 'GET /user/big HTTP/1.1\r\nHost: x\r\n\r\n';
    const flood = get.repeat(Math.floor(65_536 / get.length));
    const sockets = Array.from({ length: 400 }, () => {
      const socket = net.connect(5000, address);
      socket.on('error', () => undefined);
      socket.write(flood);
      socket.pause();
      return socket;
    });
    const probes: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) {
      probes.push(probe(address, 5000, 240_000));
      await sleep(1000);
    }
    const answered = await Promise.all(probes);
    for (const socket of sockets) socket.destroy();
    clearInterval(sampler);
    const after = await probe(address, 5000, 10_000);
    const logs = await p.cli(['logs', 'usersvc']);
    const closed = logs.stdout
      .split('\n')
      .filter((line) => line.includes('closed the connections holding the most memory')).length;
    const oom = cgroupFile(id, 'memory.oom_control');
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    console.log(
      `container memory MiB: baseline ${mib(baseline)}, peak ${mib(peak)}; ` +
        `${closed} log lines of connections closed for memory; ${oom.replace(/\n/g, ' ')}`,
    );
    expect(oom).toMatch(/^oom_kill 0$/m);
    expect(logs.stdout).not.toContain('worker died');
    expect((await docker.getContainer(id).inspect()).RestartCount).toBe(info.RestartCount);
    expect(closed).toBeGreaterThan(0);
    // Two workers, each holding at most 48 MiB of connections and a 128 MiB heap.
    expect(peak).toBeLessThan(640 * 2 ** 20);
    expect(answered.every((status) => status === 200)).toBe(true);
    expect(after).toBe(200);
  });

  it('logins whose clients reset through the published port cost no hash', {
    timeout: 600_000,
  }, async () => {
    await using p = await step1Project('fault-reset');
    await upOk(p);
    const password = 'real-user-password';
    expect(await put(p.url(''), 'real', { fullname: 'Real', password })).toBe(201);
    const body = JSON.stringify({ password });
    const realLogin = async () => {
      const started = Date.now();
      const res = await request(p.url('/user/real/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: 600_000,
      });
      const answer = (await res.body.json()) as Record<string, unknown>;
      return { status: res.statusCode, answer, ms: Date.now() - started };
    };
    // What one login costs on this machine now, nothing else asking.
    const alone = await realLogin();
    expect(alone.status).toBe(200);
    // 300 logins of the real user, each on its own connection to 127.0.0.1 (docker-proxy),
    // reset at once: before, the service saw a FIN, hashed every one of them, and the real
    // user's login waited about 113 s behind them.
    const login =
      'POST /user/real/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    await Promise.all(
      Array.from(
        { length: 300 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(p.port, '127.0.0.1', () => {
              socket.write(login, () => {
                socket.resetAndDestroy();
                resolve();
              });
            });
            socket.on('error', () => resolve());
          }),
      ),
    );
    await sleep(500);
    const after = await realLogin();
    console.log(
      `the real user's login: alone ${alone.ms} ms; after 300 reset ones ${after.status} in ${after.ms} ms`,
    );
    expect(after.status).toBe(200);
    expect(after.answer).toMatchObject({ ok: true, fullname: 'Real' });
    // At most the hashes already running when it came, those of the resets whose FIN came
    // after their turn to hash, and its own: a few logins' worth, not 300 (before: 113 s).
    expect(after.ms).toBeLessThan(10 * alone.ms + 2000);
  });
});
