import { connect } from 'node:net';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.js';
import { execIn, step1Project, upOk } from './fault-support.js';

/**
 * Generated bad input against the running user service: fast-check builds requests of
 * random methods, targets, headers and bodies, half sent as raw bytes over a socket (so
 * nothing in between tidies them), half through undici. Seeded: a failure prints the seed
 * and the shrunk batch, and `FUZZ_SEED=<seed>` replays it.
 */
const seed = Number(process.env.FUZZ_SEED ?? 20261129);
const batch = 10;
/** Runs of each kind; each run sends `batch` requests at once. 2 x 500 x 10 = 10,000. */
const runs = 500;
/**
 * Bounds on the service's memory (its container's cgroup usage without page cache, as
 * `docker stats` shows it: supervisor and two workers). Under load each worker's heap grows
 * to a plateau (measured: 36 MiB idle, 53 to 105 MiB after the run); once there, another
 * 2,000 requests must not move it by more than `plateauGrowthBound`.
 */
const memoryBound = 192 * 2 ** 20;
const plateauGrowthBound = 48 * 2 ** 20;

const segment = fc.oneof(
  fc.webSegment(),
  fc.stringMatching(/^[a-z0-9_.-]{1,70}$/),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%', '%zz', '%00', 'user', 'login', 'health'),
);
const target = fc.oneof(
  fc.constant('/user/health'),
  segment.map((s) => `/user/${s}`),
  segment.map((s) => `/user/${s}/login`),
  fc.array(segment, { maxLength: 6 }).map((s) => `/${s.join('/')}`),
  fc
    .tuple(fc.array(segment, { maxLength: 3 }), fc.webQueryParameters())
    .map(([s, q]) => `/user/${s.join('/')}?${q}`),
  fc.webUrl({ withQueryParameters: true }),
  fc.constant('*'),
  fc.string({ maxLength: 40 }),
);
const methodToken = fc.oneof(
  fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'),
  fc.stringMatching(/^[A-Za-z]{1,12}$/),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'content-length',
    'transfer-encoding',
    'expect',
    'host',
    'connection',
    'accept',
    'upgrade',
    'x-forwarded-for',
  ),
  fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}$/),
);
const headerValue = fc.oneof(
  fc.constantFrom('application/json', 'text/plain', 'chunked', '100-continue', 'keep-alive'),
  fc.constantFrom('0', '-1', '1', '99999999999', 'websocket', 'gzip, chunked'),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
);
const userObject = fc.record(
  {
    fullname: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
    password: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(''),
  fc.json({ maxDepth: 3 }),
  userObject.map((u) => JSON.stringify(u)),
  fc.string({ maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
);

/** A request as raw bytes: the generated head and body, framed or deliberately not. */
const rawRequest = fc
  .record({
    method: fc.oneof(methodToken, fc.string({ maxLength: 8 })),
    target,
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x'),
    headers: fc.array(fc.tuple(headerName, fc.oneof(headerValue, fc.string({ maxLength: 20 }))), {
      maxLength: 8,
    }),
    body,
    framing: fc.constantFrom('length', 'chunked', 'none', 'as-generated'),
  })
  .map((r) => {
    const data = Buffer.from(r.body, 'latin1');
    const framing =
      r.framing === 'length'
        ? `content-length: ${data.length}\r\n`
        : r.framing === 'chunked'
          ? 'transfer-encoding: chunked\r\n'
          : '';
    const payload =
      r.framing === 'chunked'
        ? Buffer.concat([
            Buffer.from(data.length > 0 ? `${data.length.toString(16)}\r\n` : ''),
            data,
            Buffer.from(data.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n'),
          ])
        : r.framing === 'none'
          ? Buffer.alloc(0)
          : data;
    const head =
      `${r.method} ${r.target} ${r.version}\r\nhost: 127.0.0.1\r\n` +
      r.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') +
      `${framing}connection: close\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  });

/** A request undici can send (it refuses invalid header bytes and `expect` itself; the raw ones have them). */
const clientRequest = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  path: target.filter((t) => t.startsWith('/') && /^[\x21-\x7e]*$/.test(t)),
  headers: fc.dictionary(
    fc.constantFrom('content-type', 'accept', 'x-request-id', 'user-agent'),
    fc.constantFrom('application/json', 'text/plain', '*/*', 'x', ''),
    { maxKeys: 3 },
  ),
  body,
});

/** Every status line the server sent on one connection (several when input was pipelined). */
function statuses(answer: string): number[] {
  return [...answer.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Sends raw bytes, half-closes, reads to the end: what came back ('' for nothing). */
function sendRaw(port: number, bytes: Buffer): Promise<{ text: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    socket.setTimeout(10_000, () => {
      timedOut = true;
      socket.destroy();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut }));
    socket.end(bytes);
  });
}

/** One answer as it came on the wire: `body` undefined when it had none (a HEAD's). */
interface WireAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

/** The answers on one connection, in order, framed by their Content-Length. */
function wireAnswers(text: string): WireAnswer[] {
  const answers: WireAnswer[] = [];
  let at = 0;
  for (;;) {
    const line = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/.exec(text.slice(at));
    const end = text.indexOf('\r\n\r\n', at);
    if (!line || end < 0) return answers;
    const headers = text.slice(at + line[0].length, end).split('\r\n');
    const header = (name: string) =>
      headers
        .find((h) => h.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const length = Number(header('content-length') ?? 0);
    at = end + 4;
    let body: string | undefined;
    if (length > 0 && !text.startsWith('HTTP/1.', at)) {
      body = text.slice(at, at + length);
      at += length;
    }
    answers.push({ status: Number(line[1]), contentType: header('content-type'), body });
  }
}

/**
 * What is wrong with an answer, or undefined: a 5xx but the database's 503; an answer that is
 * not JSON (README: a JSON 4xx), a body-less one but to HEAD, an error without
 * `{"ok": false, "error": "..."}`. Interim answers (100 Continue) carry nothing.
 */
function answerProblem(answer: WireAnswer, head: boolean): string | undefined {
  const { status, contentType, body } = answer;
  if (status < 200) return undefined;
  if (status >= 500 && !(status === 503 && body?.includes('database unavailable')))
    return `${status}`;
  if (!/^application\/json\b/.test(contentType ?? '')) return `${status} as ${contentType}`;
  if (body === undefined || body === '') return head ? undefined : `${status} without a body`;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return `${status} with a body that is not JSON`;
  }
  if (status < 400) return undefined;
  const error = json as { ok?: unknown; error?: unknown };
  return error.ok === false && typeof error.error === 'string' && error.error !== ''
    ? undefined
    : `${status} without {"ok": false, "error"}`;
}

async function memoryUsage(id: string): Promise<number> {
  const { docker } = await testEngine();
  const stats = (await docker.getContainer(id).stats({ stream: false })) as {
    memory_stats: { usage: number; stats?: { cache?: number; inactive_file?: number } };
  };
  const { usage, stats: s } = stats.memory_stats;
  // As `docker stats` counts it: without reclaimable page cache.
  return usage - (s?.inactive_file ?? s?.cache ?? 0);
}

/**
 * `numRuns` batches of raw requests: each answered (no timeout), never a 5xx but 503, every
 * answer JSON (answerProblem).
 */
function rawProperty(
  port: number,
  runSeed: number,
  numRuns: number,
  count: (key: string) => void,
): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.array(rawRequest, { minLength: batch, maxLength: batch }),
      async (requests) => {
        const answers = await Promise.all(requests.map((bytes) => sendRaw(port, bytes)));
        for (const [i, answer] of answers.entries()) {
          const found = statuses(answer.text);
          const framed = wireAnswers(answer.text);
          const head = /(?:^|\r\n)HEAD /.test(requests[i]!.toString('latin1'));
          if (answer.timedOut) count('raw: timed out');
          else if (found.length === 0) count('raw: closed without an answer');
          for (const status of found) count(`raw: ${status}`);
          const bad = framed.flatMap((a) => answerProblem(a, head) ?? []);
          // Every status line begins an answer framed by its Content-Length.
          if (framed.length !== found.length) bad.push(`${found.length - framed.length} unframed`);
          if (answer.timedOut || bad.length > 0) {
            throw new Error(
              `${bad.join(',') || 'timeout'} for ${JSON.stringify(requests[i]!.toString('latin1'))}: ${answer.text.slice(0, 300)}`,
            );
          }
        }
      },
    ),
    { seed: runSeed, numRuns, endOnFailure: true },
  );
}

describe('the HTTP API under generated bad input', () => {
  it(`answers ${2 * runs * batch} random requests without a 5xx, a crash or memory growth`, async () => {
    await using p = await step1Project('fault-fuzz');
    await upOk(p);
    const usersvc = await p.container('usersvc');
    const workers = async () =>
      (
        JSON.parse(
          await execIn(usersvc.id, ['node', '/app/supervisor.js', 'status'], 'usersvc'),
        ) as { workers: { pid: number }[] }
      ).workers
        .map((w) => w.pid)
        .sort();
    const workersBefore = await workers();
    // Warm up (the first hashes allocate scrypt's memory), then measure.
    for (let i = 0; i < 4; i++)
      await sendRaw(p.port, Buffer.from('GET /user/health HTTP/1.1\r\nhost: x\r\n\r\n'));
    const memoryBefore = await memoryUsage(usersvc.id);

    const counts: Record<string, number> = {};
    const count = (key: string) => {
      counts[key] = (counts[key] ?? 0) + 1;
    };
    const started = Date.now();

    await rawProperty(p.port, seed, runs, count);

    const agent = new Agent({ connections: batch });
    await fc.assert(
      fc.asyncProperty(
        fc.array(clientRequest, { minLength: batch, maxLength: batch }),
        async (requests) => {
          await Promise.all(
            requests.map(async (r) => {
              const res = await request(`http://127.0.0.1:${p.port}${r.path}`, {
                dispatcher: agent,
                method: r.method,
                headers: r.headers,
                ...(r.method !== 'GET' && r.method !== 'HEAD' && { body: r.body }),
                headersTimeout: 10_000,
                bodyTimeout: 10_000,
              }).catch((err: Error) => {
                throw new Error(`no answer to ${JSON.stringify(r)}: ${err.message}`);
              });
              const text = await res.body.text();
              count(`undici: ${res.statusCode}`);
              const contentType = res.headers['content-type'];
              const problem = answerProblem(
                {
                  status: res.statusCode,
                  contentType: Array.isArray(contentType) ? contentType.join(', ') : contentType,
                  body: text,
                },
                r.method === 'HEAD',
              );
              if (problem !== undefined) {
                throw new Error(`${problem} for ${JSON.stringify(r)}: ${text.slice(0, 300)}`);
              }
            }),
          );
        },
      ),
      { seed: seed + 1, numRuns: runs, endOnFailure: true },
    );
    await agent.close();

    const memoryAfter = await memoryUsage(usersvc.id);
    await rawProperty(p.port, seed + 2, 200, count);
    const memoryPlateau = await memoryUsage(usersvc.id);
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `http-fuzz (seed ${seed}): ${Date.now() - started} ms, memory ${mib(memoryBefore)} idle, ` +
        `${mib(memoryAfter)} after 10,000, ${mib(memoryPlateau)} after 2,000 more; ${JSON.stringify(counts)}`,
    );
    const total = Object.entries(counts)
      .filter(([k]) => !k.startsWith('raw: closed') && !k.startsWith('raw: timed'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(total).toBeGreaterThanOrEqual((2 * runs + 200) * batch * 0.95);
    // No crash: the same container, never restarted, and the same workers.
    const after = await p.container('usersvc');
    expect([after.id, after.restartCount, after.state]).toEqual([
      usersvc.id,
      usersvc.restartCount,
      'running',
    ]);
    expect(await workers()).toEqual(workersBefore);
    expect(memoryAfter).toBeLessThan(memoryBound);
    expect(memoryPlateau).toBeLessThan(memoryBound);
    expect(memoryPlateau - memoryAfter).toBeLessThan(plateauGrowthBound);
  });
});
