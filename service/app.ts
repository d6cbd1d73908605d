/**
 * The request handler: route, validate, run the operation, answer JSON. Every failure is
 * turned into a JSON error here; nothing a client sends can throw past this function.
 */
import { lookup } from 'node:dns/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { type Database, DatabaseUnavailable } from './database.js';
import { HttpError, readJsonBody, sendJson } from './http-io.js';
import { describeError, log } from './log.js';
import { matchRoute } from './route.js';
import {
  type Answer,
  ClientGone,
  createUser,
  deleteUser,
  getUser,
  login,
  userReader,
} from './users.js';
import { checkLogin, checkNewUser } from './validate.js';

export interface AppOptions {
  readonly db: Database;
  readonly version: string;
  /** True once the process drains: every answer then carries `Connection: close`. */
  readonly draining: () => boolean;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

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

function health(options: AppOptions, host: { hostname: string; resolvedname: string | null }) {
  return {
    status: 200,
    body: {
      ok: true,
      msg: 'user health check OK',
      hostname: host.hostname,
      resolvedname: host.resolvedname,
      version: options.version,
      database: options.db.state,
      pid: process.pid,
    },
  };
}

async function answer(
  req: IncomingMessage,
  options: AppOptions,
  host: { hostname: string; resolvedname: string | null },
  reader: ReturnType<typeof userReader>,
): Promise<Answer & { headers?: Record<string, string> }> {
  const route = matchRoute(req.method ?? '', req.url ?? '');
  if (route.kind === 'error') {
    const headers: Record<string, string> = route.allow ? { allow: route.allow } : {};
    return { status: route.status, body: { ok: false, error: route.error }, headers };
  }
  const { db } = options;
  switch (route.name) {
    case 'health':
      return health(options, host);
    case 'getUser':
      return getUser(reader, route.username);
    case 'deleteUser':
      return deleteUser(db, route.username);
    case 'createUser': {
      const user = checkNewUser(await readJsonBody(req));
      if (!user.ok) return { status: 400, body: { ok: false, error: user.error } };
      if (db.state === 'down') throw new DatabaseUnavailable();
      return createUser(db, route.username, user.value, () => !req.socket.destroyed);
    }
    case 'login': {
      const body = checkLogin(await readJsonBody(req));
      if (!body.ok) return { status: 400, body: { ok: false, error: body.error } };
      return login(db, route.username, body.value.password, () => !req.socket.destroyed);
    }
  }
}

function failure(
  err: unknown,
  req: IncomingMessage,
): Answer & { headers?: Record<string, string> } {
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
  let host = { hostname: hostname(), resolvedname: null as string | null };
  void resolveHostname().then((resolved) => {
    host = resolved;
  });
  const reader = userReader(options.db);
  return (req, res) => {
    answer(req, options, host, reader)
      .catch((err: unknown) => failure(err, req))
      .then(({ status, body, headers }) => {
        const close = options.draining() || headers?.connection === 'close';
        const { connection: _, ...rest } = headers ?? {};
        if (!res.headersSent && !res.destroyed) sendJson(res, status, body, close, rest);
      })
      .catch(() => res.destroy());
  };
}
