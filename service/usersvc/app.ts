/**
 * The request handler: route, validate, run the operation, answer JSON. Every failure is
 * turned into a JSON error here; nothing a client sends can throw past this function.
 */
import { lookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { type Database, DatabaseUnavailable } from './database.js';
import { HttpError, type Reply, readJsonBody, withJson } from './http-io.js';
import { describeError, log } from './log.js';
import {
  ClientGone,
  Draining,
  type PasswordQueue,
  refuseUnwanted,
  type StillWanted,
} from './password-queue.js';
import type { ClientStatus } from './pipeline.js';
import { matchRoute } from './route.js';
import { createUser, deleteUser, getUser, login as loginUser, userReader } from './users.js';
import { checkLogin, checkNewUser, hostProblem } from './validate.js';

export interface AppOptions {
  readonly db: Database;
  readonly version: string;
  /** Where password work waits for its turn (password-queue.ts). */
  readonly passwords: PasswordQueue;
}

/**
 * The answer to one request, synchronously where no I/O is needed (health, route errors:
 * the hot paths). Never throws or rejects; the server writes the answer (see pipeline.ts).
 * What it returns must not hold on to `req` once the request's body is read: work waiting
 * for a hash or the database then keeps nothing of a closed connection alive.
 */
export type Handler = (req: IncomingMessage, client: ClientStatus) => Reply | Promise<Reply>;

/** The host's name and the address it resolves to, as the tutorial's health check shows. */
export async function resolveHostname(): Promise<{
  hostname: string;
  resolvedname: string | null;
}> {
  const name = hostname();
  try {
    return { hostname: name, resolvedname: (await lookup(name, { family: 4 })).address };
  } catch {
    return { hostname: name, resolvedname: null };
  }
}

/** How long a health answer may wait for a fresh look at a database this worker saw down. */
const healthRefreshMs = 1000;

interface Host {
  hostname: string;
  resolvedname: string | null;
}

/**
 * The health answer, serialised once per content: it changes only with the database's state
 * (read at every request) and once when the host's address is known.
 */
function healthAnswers(options: AppOptions) {
  let last: { host: Host; state: string; reply: Reply } | undefined;
  return (host: Host): Reply => {
    const state = options.db.state;
    if (last?.host === host && last.state === state) return last.reply;
    const reply = withJson({
      status: 200,
      body: {
        ok: true,
        msg: 'user health check OK',
        hostname: host.hostname,
        resolvedname: host.resolvedname,
        version: options.version,
        database: state,
        pid: process.pid,
      },
    });
    last = { host, state, reply };
    return reply;
  };
}

/** What the client's connection says about who reads the answer (see ClientStatus). */
function stillWanted(client: ClientStatus): StillWanted {
  return () => (client.gone ? 'gone' : client.halfClosed ? 'half-closed' : 'wanted');
}

/**
 * PUT and login: the body first, then the work, which holds nothing of `req`. Password work
 * is not done for a client that will not read the answer: one whose connection closed, or
 * half-closed (password-queue.ts says why), looked at again when its turn to hash comes.
 */
function withBody(
  req: IncomingMessage,
  client: ClientStatus,
  options: AppOptions,
  name: 'createUser' | 'login',
  username: string,
): Promise<Reply> {
  return readJsonBody(req).then((body) => {
    const wanted = stillWanted(client);
    refuseUnwanted(wanted());
    if (name === 'createUser') return create(body, options, username, wanted);
    const login = checkLogin(body);
    if (!login.ok) return { status: 400, body: { ok: false, error: login.error } };
    return loginUser(options.db, options.passwords, username, login.value.password, wanted);
  });
}

async function create(
  body: unknown,
  options: AppOptions,
  username: string,
  wanted: StillWanted,
): Promise<Reply> {
  const user = checkNewUser(body);
  if (!user.ok) return { status: 400, body: { ok: false, error: user.error } };
  const { db, passwords } = options;
  await db.refresh();
  if (db.state === 'down') throw new DatabaseUnavailable();
  return createUser(db, passwords, username, user.value, wanted);
}

function dispatch(
  req: IncomingMessage,
  client: ClientStatus,
  options: AppOptions,
  host: Host,
  reader: ReturnType<typeof userReader>,
  health: (host: Host) => Reply,
): Reply | Promise<Reply> {
  const badHost = hostProblem(
    req.rawHeaders,
    req.httpVersionMajor === 1 && req.httpVersionMinor === 1,
  );
  if (badHost !== undefined) return { status: 400, body: { ok: false, error: badHost } };
  const route = matchRoute(req.method ?? '', req.url ?? '');
  if (route.kind === 'error') {
    const headers: Record<string, string> | undefined = route.allow
      ? { allow: route.allow }
      : undefined;
    return { status: route.status, body: { ok: false, error: route.error }, headers };
  }
  switch (route.name) {
    case 'health':
      // Down here may only mean this worker is still backing off: look now, briefly.
      return options.db.state === 'up'
        ? health(host)
        : options.db.refresh(healthRefreshMs).then(() => health(host));
    case 'getUser':
      return getUser(reader, route.username);
    case 'deleteUser':
      return deleteUser(options.db, route.username);
    case 'createUser':
    case 'login':
      return withBody(req, client, options, route.name, route.username);
  }
}

/** What a failed request's log line names: its method and the first part of its path. */
interface Failed {
  readonly method: string | undefined;
  readonly route: string | undefined;
}

const draining: Reply = {
  status: 503,
  body: { ok: false, error: 'service restarting, retry' },
  headers: { 'retry-after': '1', connection: 'close' },
};

function failure(err: unknown, request: Failed): Reply {
  if (err instanceof HttpError) {
    return { status: err.status, body: { ok: false, error: err.message }, headers: err.headers };
  }
  if (err instanceof DatabaseUnavailable) {
    return {
      status: 503,
      body: { ok: false, error: 'database unavailable' },
      headers: { 'retry-after': '1' },
    };
  }
  if (err instanceof Draining) return draining;
  if (err instanceof ClientGone) {
    // Nobody to answer: the socket is gone, the write below is skipped.
    return { status: 499, body: { ok: false, error: err.message } };
  }
  log('error', 'request failed', { ...request, ...describeError(err) });
  return { status: 500, body: { ok: false, error: 'internal error' } };
}

export function createApp(options: AppOptions): Handler {
  let host: Host = { hostname: hostname(), resolvedname: null };
  void resolveHostname().then((resolved) => {
    host = resolved;
  });
  const reader = userReader(options.db);
  const health = healthAnswers(options);
  return (req, client) => {
    try {
      const reply = dispatch(req, client, options, host, reader, health);
      if (!(reply instanceof Promise)) return reply;
      // The method and route only: the failure path must not keep `req` alive.
      const request: Failed = { method: req.method, route: req.url?.split('/')[1] };
      return reply.catch((err: unknown) => failure(err, request));
    } catch (err) {
      return failure(err, { method: req.method, route: req.url?.split('/')[1] });
    }
  };
}
