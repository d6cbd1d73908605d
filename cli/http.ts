import { request } from 'node:http';
import { request as requestTls } from 'node:https';

export interface HttpRequestOptions {
  /** @default 'GET' */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** ms until the status line and headers must have arrived. @default 10000 */
  readonly headersTimeout?: number;
  /** ms the body may then take. @default 10000 */
  readonly bodyTimeout?: number;
}

export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: { text(): Promise<string>; json(): Promise<unknown> };
}

/**
 * One HTTP request with Node's own client (one connection, closed after the answer). Not
 * undici: undici parses HTTP with a WebAssembly module whose background compilation Node
 * waits for when the process exits, 0.15 to 0.3 s after every command that made a request.
 * Errors carry the socket's `code` (ECONNREFUSED, ECONNRESET, ...) or `HEADERS_TIMEOUT` /
 * `BODY_TIMEOUT`.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const { method = 'GET', headers = {}, body, headersTimeout = 10_000 } = options;
  const bodyTimeout = options.bodyTimeout ?? 10_000;
  const send = url.startsWith('https:') ? requestTls : request;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method,
      agent: false,
      headers: {
        ...headers,
        connection: 'close',
        ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }),
      },
    });
    const fail = (code: string, message: string) =>
      req.destroy(Object.assign(new Error(message), { code }));
    const waitHeaders = setTimeout(
      () => fail('HEADERS_TIMEOUT', `no answer from ${url} within ${headersTimeout} ms`),
      headersTimeout,
    );
    req.on('error', (err) => {
      clearTimeout(waitHeaders);
      reject(err);
    });
    req.on('response', (res) => {
      clearTimeout(waitHeaders);
      const text = new Promise<string>((done, bodyFailed) => {
        const chunks: Buffer[] = [];
        const waitBody = setTimeout(
          () => res.destroy(Object.assign(new Error('body timeout'), { code: 'BODY_TIMEOUT' })),
          bodyTimeout,
        );
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(waitBody);
          done(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', (err) => {
          clearTimeout(waitBody);
          bodyFailed(err);
        });
        res.on('close', () => {
          clearTimeout(waitBody);
          if (!res.complete) bodyFailed(Object.assign(new Error('closed'), { code: 'ECONNRESET' }));
        });
      });
      // Read at once whether the caller asks or not, so the socket is always drained.
      text.catch(() => undefined);
      resolve({
        statusCode: res.statusCode ?? 0,
        headers: res.headers,
        body: { text: () => text, json: async () => JSON.parse(await text) as unknown },
      });
    });
    req.end(body);
  });
}
