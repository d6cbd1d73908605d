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
import { matchRoute } from './route.js';
import {
  ClientGone,
  createUser,
  deleteUser,
  getUser,
  login as loginUser,
  userReader,
} from './users.js';
import { checkLogin, checkNewUser } from './validate.js';

export interface AppOptions {
  readonly db: Database;
  readonly version: string;
}

/**
 * The answer to one request, synchronously where no I/O is needed (health, route errors:
 * the hot paths). Never throws or rejects; the server writes the answer (see pipeline.ts).
 */
export type Handler = (req: IncomingMessage) => Reply | Promise<Reply>;

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

async function withBody(
  req: IncomingMessage,
  options: AppOptions,
  name: 'createUser' | 'login',
  username: string,
): Promise<Reply> {
  const { db } = options;
  // A client that half-closed (shut its write side) still waits for the answer: only a
  // connection that is gone (reset, error, timeout) means nobody does.
  const wanted = () => !req.socket.destroyed;
  const body = await readJsonBody(req);
  if (name === 'createUser') {
    const user = checkNewUser(body);
    if (!user.ok) return { status: 400, body: { ok: false, error: user.error } };
    await db.refresh();
    if (db.state === 'down') throw new DatabaseUnavailable();
    return createUser(db, username, user.value, wanted);
  }
  const login = checkLogin(body);
  if (!login.ok) return { status: 400, body: { ok: false, error: login.error } };
  return loginUser(db, username, login.value.password, wanted);
}

function dispatch(
  req: IncomingMessage,
  options: AppOptions,
  host: Host,
  reader: ReturnType<typeof userReader>,
  health: (host: Host) => Reply,
): Reply | Promise<Reply> {
  if (req.headers.host === undefined && req.httpVersionMinor === 1) {
    return { status: 400, body: { ok: false, error: 'missing Host header' } };
  }
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
      return withBody(req, options, route.name, route.username);
  }
}

function failure(err: unknown, req: IncomingMessage): Reply {
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
  if (err instanceof ClientGone) {
    // Nobody to answer: the socket is gone, the write below is skipped.
    return { status: 499, body: { ok: false, error: err.message } };
  }
  log('error', 'request failed', {
    method: req.method,
    route: req.url?.split('/')[1],
    ...describeError(err),
  });
  return { status: 500, body: { ok: false, error: 'internal error' } };
}

export function createApp(options: AppOptions): Handler {
  let host: Host = { hostname: hostname(), resolvedname: null };
  void resolveHostname().then((resolved) => {
    host = resolved;
  });
  const reader = userReader(options.db);
  const health = healthAnswers(options);
  return (req) => {
    try {
      const reply = dispatch(req, options, host, reader, health);
      return reply instanceof Promise ? reply.catch((err: unknown) => failure(err, req)) : reply;
    } catch (err) {
      return failure(err, req);
    }
  };
}
