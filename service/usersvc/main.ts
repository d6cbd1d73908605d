/**
 * Entry point of the bundled service (/app/service.js). Listens at once, then brings the
 * database up in the background. Under the supervisor (a cluster worker with an IPC
 * channel) it reports `esteps:ready` once listening and drains on `esteps:drain`; alone
 * it drains on SIGTERM or SIGINT. Either way it exits 0 once drained.
 */

import { ipcMessages as messages } from '../supervisor/contract.js';
import { createApp } from './app.js';
import { readConfig, type ServiceConfig } from './config.js';
import { Database } from './database.js';
import { describeError, log } from './log.js';
import { PasswordQueue } from './password-queue.js';
import { createServer, drainSweepMs } from './server.js';
import { cores, hashSlots, maxPendingHashes } from './users.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drains once, on the first of SIGTERM, SIGINT, the supervisor's word or its departure.
 * Password work waiting then starts only if it can end before the drain's last answers
 * (`drainBy`); the rest is answered 503 with Retry-After at once.
 */
function stopOnRequest(
  drain: () => Promise<void>,
  db: Database,
  drainBy: (deadlineMs: number) => void,
  drainTimeoutMs: number,
): void {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'draining', { reason });
    drainBy(Date.now() + drainTimeoutMs - drainSweepMs);
    void drain()
      .then(() => Promise.all([Promise.race([db.stop(), sleep(1000)]), released()]))
      .then(() => {
        log('info', 'drained, exiting');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown })?.type === messages.drain) stop('supervisor');
  });
  process.on('disconnect', () => stop('supervisor gone'));
}

/**
 * Under the supervisor: says it is drained and resolves once the supervisor answers (at most
 * 1 s), so that a connection handed over just before the server closed is declined and
 * goes to another worker rather than lost with this process (contract.ts, `drained`).
 */
function released(): Promise<void> {
  if (!process.send || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    const timer = setTimeout(done, 1000);
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown })?.type === messages.released) done();
    };
    process.on('message', onMessage);
    process.send?.({ type: messages.drained }, (err: Error | null) => {
      if (err) done();
    });
  });
}

function main(): void {
  let config: ServiceConfig;
  try {
    config = readConfig(process.env);
  } catch (err) {
    log('error', 'cannot start', describeError(err));
    process.exit(1);
  }
  const db = new Database(config.db);
  const passwords = new PasswordQueue({
    slots: hashSlots(cores(), process.env.SERVICE_WORKERS),
    maxWaiting: maxPendingHashes,
  });
  const { server, drain } = createServer(
    createApp({ db, version: config.version, passwords }),
    config,
  );
  stopOnRequest(drain, db, (deadlineMs) => passwords.drainBy(deadlineMs), config.drainTimeoutMs);
  server.on('error', (err) => {
    log('error', 'cannot listen', { host: config.host, port: config.port, ...describeError(err) });
    process.exit(1);
  });
  db.start();
  const listen = () => {
    server.listen(config.port, config.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      log('info', 'listening', { host: config.host, port, version: config.version });
      process.send?.({ type: messages.ready, version: config.version, port });
    });
  };
  if (config.waitDbBeforeListenMs === 0) listen();
  else void Promise.race([db.firstAttempt, sleep(config.waitDbBeforeListenMs)]).then(listen);
}

main();
