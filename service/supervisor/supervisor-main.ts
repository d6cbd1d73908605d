/**
 * Entry point of the bundled supervisor (`esteps/supervisor` in a stack's bundles; step 1
 * puts it at /app/supervisor.js), the container's main process.
 *
 *   node supervisor.js                  run the service and serve the control socket
 *   node supervisor.js reload <file>    ask the running supervisor to switch to <file>
 *   node supervisor.js status           ask the running supervisor what it runs
 *
 * The two client forms print exactly one JSON line and exit 0 when it says `"ok": true`.
 */

import cluster from 'node:cluster';
import net from 'node:net';
import { resolve } from 'node:path';
import {
  type ControlAnswer,
  reloadTimeoutMs,
  sendControl,
  supervisorSocketPath,
} from './contract.js';
import { serveControl } from './control.js';
import { describeError, log } from './log.js';
import { runStandby, standbyVariable } from './standby.js';
import { Supervisor } from './supervisor.js';

type Env = Readonly<Record<string, string | undefined>>;

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

async function run(env: Env, socketPath: string): Promise<void> {
  const drainMs = positiveInt(env.DRAIN_TIMEOUT_MS, 8000);
  const supervisor = new Supervisor({
    serviceFile: env.SERVICE_FILE || '/app/service.js',
    workers: positiveInt(env.SERVICE_WORKERS, 1),
    readyTimeoutMs: positiveInt(env.READY_TIMEOUT_MS, 10_000),
    drainBoundMs: drainMs + 1500,
    ...(env.SUPERVISOR_STANDBY !== '0' && process.argv[1] && { standbyFile: process.argv[1] }),
  });
  try {
    await supervisor.start();
  } catch (err) {
    log('error', 'the service did not start', {
      ...describeError(err),
      output: (err as { output?: string }).output ?? '',
    });
    process.exit(1);
  }
  const control = await serveControl(socketPath, async (request) =>
    request.cmd === 'status' ? supervisor.status() : supervisor.reload(request.file),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    control.close();
    void supervisor.stop().then(() => {
      log('info', 'stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function client(args: string[], socketPath: string): Promise<void> {
  const [command, file] = args;
  let answer: ControlAnswer;
  if (command === 'status') {
    answer = await sendControl(net, socketPath, { cmd: 'status' }, 5000);
  } else if (command === 'reload' && file !== undefined && args.length === 2) {
    const request = { cmd: 'reload', file: resolve(file) } as const;
    answer = await sendControl(net, socketPath, request, reloadTimeoutMs);
  } else {
    answer = { ok: false, error: 'usage: supervisor.js [status | reload <file>]', output: '' };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(answer.ok ? 0 : 1));
}

const socketPath = supervisorSocketPath(process.env);
const args = process.argv.slice(2);
if (cluster.isWorker && process.env[standbyVariable] === '1') runStandby();
else if (args.length === 0) void run(process.env, socketPath);
else void client(args, socketPath);
