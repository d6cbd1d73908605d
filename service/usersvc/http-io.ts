/**
 * Reading JSON request bodies with bounds, and writing JSON answers. Every failure here is a
 * client error with its own status, never an exception that reaches the server.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';

/** One answer: a status, a JSON body and any extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string> | undefined;
  /**
   * `body` already serialised (with its byte length), for an answer shared by many requests:
   * a user read by a whole batch, the health answer. See `withJson`.
   */
  readonly json?: { readonly text: string; readonly bytes: number } | undefined;
}

/** `reply` with its body serialised once, to be sent any number of times unchanged. */
export function withJson<R extends Reply>(reply: R): R {
  const text = JSON.stringify(reply.body);
  return { ...reply, json: { text, bytes: Buffer.byteLength(text) } };
}

/** A client mistake: becomes `{"ok": false, "error": message}` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Largest accepted body: a 2048-character fullname fully \u-escaped plus a password. */
export const maxBodyBytes = 32 * 1024;

export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every(
    (param) => !param.startsWith('charset=') || /^charset="?utf-8"?$/.test(param),
  );
}

function collect(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(
          new HttpError(413, `request body must be at most ${limit} bytes`, {
            connection: 'close',
          }),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new HttpError(400, 'request body was not received completely'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/** Reads and parses a JSON body; throws HttpError 415, 413 or 400. */
export async function readJsonBody(req: IncomingMessage, limit = maxBodyBytes): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(415, 'content type must be application/json');
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    throw new HttpError(413, `request body must be at most ${limit} bytes`, {
      connection: 'close',
    });
  }
  const body = await collect(req, limit);
  if (body.length === 0) throw new HttpError(400, 'request body is empty');
  const text = body.toString('utf8');
  if (text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(body)) {
    throw new HttpError(400, 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** True when the answer asks the client to open a new connection for its next request. */
export function closesConnection(reply: Reply): boolean {
  return reply.headers?.connection === 'close';
}

/**
 * A JSON error as raw bytes, for the socket itself when no ServerResponse exists (a request
 * Node could not parse, CONNECT). The connection closes after it.
 */
export function rawErrorAnswer(reply: Reply): string {
  const body = JSON.stringify(reply.body);
  const extra = Object.entries(reply.headers ?? {})
    .filter(([name]) => name !== 'connection')
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  // Date, as Node writes it on every other answer (RFC 9110 section 6.6.1).
  return (
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${extra}Connection: close\r\n\r\n${body}`
  );
}

/**
 * Writes one JSON answer. `close` (or a `connection: close` in `extraHeaders`) asks the
 * client to open a new connection for its next request.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  close: boolean,
  extraHeaders?: Record<string, string>,
  json?: Reply['json'],
): void {
  const text = json?.text ?? JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': json?.bytes ?? Buffer.byteLength(text),
  };
  if (extraHeaders !== undefined) Object.assign(headers, extraHeaders);
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
