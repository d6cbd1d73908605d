/**
 * Steady load on a Swarm service during a rolling update, counted two ways: through the
 * nodes' published ports (from this machine), and from a client inside the overlay network
 * that resolves the service name per request (dnsrr: every task's address) and, as an edge
 * proxy does, retries a failed connection once on another address.
 */
import type Docker from 'dockerode';
import { labels } from '../../cli/engine/labels.js';
import { demultiplex } from '../../cli/engine/log-frames.js';

export interface LoadCount {
  readonly sent: number;
  /** Requests that got no 2xx answer (inside the overlay: after the one retry). */
  readonly failed: number;
  /** Inside the overlay: requests whose first attempt failed (the retry then answered). */
  readonly retried?: number;
  readonly durationMs: number;
}

export interface RunningLoad {
  stop(): Promise<LoadCount>;
}

/** `rate` requests a second, round-robin over `urls`, from this process. */
export function publishedLoad(urls: readonly string[], rate: number): RunningLoad {
  const started = Date.now();
  let sent = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  // Catch up with the schedule at every tick: timers fire late on a busy machine.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * rate) / 1000) - sent;
    for (let i = 0; i < due; i++) {
      const url = urls[sent % urls.length]!;
      sent++;
      const p = fetch(url, { signal: AbortSignal.timeout(3000) })
        .then(async (r) => {
          await r.arrayBuffer();
          if (!r.ok) failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      const durationMs = Date.now() - started;
      await Promise.all(inFlight);
      return { sent, failed, durationMs };
    },
  };
}

const client = (host: string, port: number, rate: number) => `
const dns = require('dns'), http = require('http');
let sent = 0, failed = 0, retried = 0, done = 0; const started = Date.now();
function once(avoid) {
  return new Promise((resolve) => dns.lookup(${JSON.stringify(host)}, { all: true }, (err, addrs) => {
    if (err || !addrs.length) return resolve({ ok: false });
    const pool = addrs.filter((a) => !avoid.includes(a.address)); const list = pool.length ? pool : addrs;
    const address = list[Math.floor(Math.random() * list.length)].address;
    const req = http.get({ host: address, port: ${port}, path: '/user/health', timeout: 3000, agent: false }, (res) => {
      res.resume(); res.on('end', () => resolve({ ok: res.statusCode < 300, address }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, address }));
  }));
}
async function one() {
  sent++;
  // Envoy's retry policy at the edge: retry_on connect-failure/5xx, num_retries 2, each on a
  // host not tried yet (the previous_hosts predicate).
  const tried = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) retried++;
    const answer = await once(tried);
    if (answer.ok) break;
    if (answer.address) tried.push(answer.address);
    if (attempt === 2) failed++;
  }
  done++;
}
const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - started) * ${rate}) / 1000) - sent;
  for (let i = 0; i < due; i++) one();
}, 10);
process.on('SIGTERM', () => {
  clearInterval(timer); const durationMs = Date.now() - started;
  const wait = setInterval(() => { if (done >= sent) { clearInterval(wait);
    console.log(JSON.stringify({ sent, failed, retried, durationMs })); process.exit(0); } }, 50);
});
`;

/** The client above in a container of `image` on the manager, attached to the overlay `network`. */
export async function overlayLoad(
  docker: Docker,
  options: {
    image: string;
    network: string;
    host: string;
    port: number;
    rate: number;
    project: string;
  },
): Promise<RunningLoad> {
  const container = await docker.createContainer({
    Image: options.image,
    Entrypoint: ['node', '-e', client(options.host, options.port, options.rate)],
    Cmd: [],
    Labels: { [labels.project]: options.project, [labels.test]: 'swarm-load' },
    HostConfig: { NetworkMode: options.network },
  } as Docker.ContainerCreateOptions);
  await container.start();
  // Let it resolve and warm up before the update starts.
  await new Promise((r) => setTimeout(r, 1000));
  return {
    async stop() {
      await container.kill({ signal: 'SIGTERM' }).catch(() => undefined);
      await container.wait();
      const out = demultiplex(
        (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer,
      );
      await container.remove({ force: true });
      const line = out.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as LoadCount;
      } catch {
        throw new Error(`the overlay client printed no count:\n${out}`);
      }
    },
  };
}
