import http from 'node:http';

/**
 * The Docker engine's API over its unix socket (mounted into the reaper's container), with
 * nothing but node:http: the reaper must run from a bare Node.js image. Unversioned paths:
 * the engine answers at its own API version (1.41 on our machines).
 */
export interface EngineSocket {
  /** GET a JSON document. */
  get<T>(path: string): Promise<T>;
  /** DELETE; resolves with the status (404 and 409 are the caller's to judge). */
  remove(path: string): Promise<number>;
}

export function engineSocket(socketPath: string, timeoutMs = 30_000): EngineSocket {
  const send = (method: string, path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
      req.on('error', reject);
      req.end();
    });
  return {
    async get<T>(path: string): Promise<T> {
      const { status, body } = await send('GET', path);
      if (status !== 200) throw new Error(`GET ${path}: ${status} ${body.trim()}`);
      return JSON.parse(body) as T;
    },
    async remove(path: string): Promise<number> {
      const { status, body } = await send('DELETE', path);
      if (status >= 300 && status !== 404 && status !== 409) {
        throw new Error(`DELETE ${path}: ${status} ${body.trim()}`);
      }
      return status;
    },
  };
}

/** `?filters=...` selecting what carries `label=value`. */
export function labelFilter(label: string, value?: string): string {
  const filter = value === undefined ? label : `${label}=${value}`;
  return `filters=${encodeURIComponent(JSON.stringify({ label: [filter] }))}`;
}
