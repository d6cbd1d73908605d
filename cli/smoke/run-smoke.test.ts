/**
 * runSmoke with checks that misbehave as a stack's own code can: each ends as a failed check
 * naming what hung or threw, within the stack's timeout, and the cleanups still run. Requests
 * go to a real HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedService, SmokeContext } from '../../stacks/model/model.js';
import { checksCodeName, probeCheck, runSmoke } from './run-smoke.js';

let server: Server;
let baseUrl: string;
const requests: string[] = [];
/** What `PUT /slow/NAME` made (after 300 ms, as a slow create does) and DELETE did not remove. */
const made = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const slow = /^\/slow\/(.+)$/.exec(req.url ?? '')?.[1];
    if (slow && req.method === 'PUT') {
      setTimeout(() => {
        made.add(slow);
        res.writeHead(201).end();
      }, 300);
      return;
    }
    if (slow && req.method === 'DELETE') {
      res.writeHead(made.delete(slow) ? 200 : 404).end();
      return;
    }
    res.writeHead(req.url === '/down' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: req.url !== '/down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const never = () => new Promise<never>(() => undefined);

describe('runSmoke', () => {
  it('fails a check that never settles after the timeout, goes on, and cleans up', async () => {
    const cleaned: string[] = [];
    const started = performance.now();
    const checks = await runSmoke({
      baseUrl,
      timeoutMs: 200,
      checks: async (t) => {
        t.cleanup(async () => {
          await t.request('DELETE', '/made');
          cleaned.push('made');
        });
        await t.check('hangs', '200', never);
        await t.check('answers', '200', async () => {
          const r = await t.request('GET', '/ok');
          if (r.status !== 200) throw new Error(String(r.status));
        });
      },
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(checks.map(({ durationMs: _, ...c }) => c)).toEqual([
      { name: 'hangs', ok: false, expected: '200', received: 'no result within 200 ms' },
      { name: 'answers', ok: true },
    ]);
    expect(cleaned).toEqual(['made']);
  });

  it('reports code that throws outside t.check as a failed check', async () => {
    const checks = await runSmoke({
      baseUrl,
      checks: async (t) => {
        await t.check('first', 'ok', async () => undefined);
        throw new TypeError("Cannot read properties of undefined (reading 'uuid')");
      },
    });
    expect(checks.at(-1)).toMatchObject({
      name: checksCodeName,
      ok: false,
      received: "Cannot read properties of undefined (reading 'uuid')",
    });
  });

  it('reports code that stalls between checks, naming the check before', async () => {
    const checks = await runSmoke({
      baseUrl,
      timeoutMs: 200,
      checks: async (t) => {
        await t.check('first', 'ok', async () => undefined);
        await never();
      },
    });
    expect(checks.at(-1)).toMatchObject({
      name: 'checks (after "first")',
      ok: false,
      received: 'nothing happened for 200 ms',
    });
  });

  it('ends the running check on abort (Ctrl-C) and still runs the cleanups, bounded', async () => {
    const abort = new AbortController();
    const cleaned: string[] = [];
    setTimeout(() => abort.abort(), 100);
    const started = performance.now();
    const checks = await runSmoke({
      baseUrl,
      timeoutMs: 300,
      signal: abort.signal,
      checks: async (t: SmokeContext) => {
        t.cleanup(async () => {
          cleaned.push('quick');
        });
        t.cleanup(never);
        await t.check('long', '200', never);
        await t.check('never runs', '200', async () => undefined);
      },
    });
    // Interrupted at 100 ms, then the hung cleanup's bound of 300 ms.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(checks).toEqual([
      expect.objectContaining({ name: 'long', ok: false, received: 'interrupted (Ctrl-C)' }),
    ]);
    expect(cleaned).toEqual(['quick']);
  });

  it('on abort, runs the cleanups only once the requests already sent are answered, and sends no more', async () => {
    // Ctrl-C while a create is on its way: a cleanup that overtook it would find nothing to
    // delete, and the create would land after it.
    const abort = new AbortController();
    const sent: string[] = [];
    const checks = await runSmoke({
      baseUrl,
      signal: abort.signal,
      checks: async (t) => {
        t.cleanup(() => t.request('DELETE', '/slow/a'));
        t.cleanup(() => t.request('DELETE', '/slow/b'));
        await t.check('create a, then b', '201', async () => {
          setTimeout(() => abort.abort(), 50);
          sent.push(String((await t.request('PUT', '/slow/a')).status));
          sent.push(
            await t.request('PUT', '/slow/b').then(
              (r) => String(r.status),
              (e: Error) => e.message,
            ),
          );
        });
      },
    });
    // Whatever was still on its way has landed by now.
    await new Promise((r) => setTimeout(r, 400));
    expect([...made], 'what the interrupted check created is gone').toEqual([]);
    expect(checks).toEqual([
      expect.objectContaining({ name: 'create a, then b', received: 'interrupted (Ctrl-C)' }),
    ]);
    expect(sent).toEqual(['201', 'interrupted (Ctrl-C): no request is sent after it']);
    expect(requests.filter((r) => r.startsWith('PUT /slow/'))).toEqual(['PUT /slow/a']);
  });

  it('fails a readiness probe that answers but does not pass', async () => {
    const service = (path: string) =>
      ({ name: 'web', httpProbe: { path, expectJson: {} } }) as unknown as ResolvedService;
    const down = await runSmoke({ baseUrl, checks: probeCheck(service('/down')) });
    expect(down).toEqual([
      expect.objectContaining({ ok: false, expected: '2xx', received: '503 {"ok":false}' }),
    ]);
    const up = await runSmoke({ baseUrl, checks: probeCheck(service('/up')) });
    expect(up).toEqual([expect.objectContaining({ ok: true })]);
  });
});
