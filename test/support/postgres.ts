/**
 * A disposable Postgres container from the stack's own image (ESTEPS_POSTGRES_IMAGE), with a
 * generated password, published on a free 127.0.0.1 port. `await using pg = await startPostgres()`
 * removes it when the scope ends, failed test or not.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import pg from 'pg';
import { freePort, stackImage, testEngine, testLabels, uniqueName } from './engine.js';

export interface PostgresFixture extends AsyncDisposable {
  readonly container: Docker.Container;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Connection settings for `pg` from the host. */
  readonly connection: pg.ClientConfig;
  /** Waits (bounded) until pg_isready inside the container says yes. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export interface PostgresOptions {
  /** Network to attach to, with alias `postgres`. */
  network?: string;
  /** Host port to publish on. @default a free port */
  port?: number;
  /** Wait for readiness before returning. @default true */
  wait?: boolean;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresFixture> {
  const { docker } = await testEngine();
  const name = uniqueName('esteps-test-pg');
  const password = randomBytes(12).toString('hex');
  const port = options.port ?? (await freePort());
  const container = await docker.createContainer({
    name,
    Image: stackImage('ESTEPS_POSTGRES_IMAGE'),
    Env: [`POSTGRES_PASSWORD=${password}`, 'POSTGRES_USER=postgres'],
    Labels: testLabels(),
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: {
      PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      ...(options.network ? { NetworkMode: options.network } : {}),
    },
    ...(options.network
      ? { NetworkingConfig: { EndpointsConfig: { [options.network]: { Aliases: ['postgres'] } } } }
      : {}),
  });
  const fixture: PostgresFixture = {
    container,
    name,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    connection: { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' },
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await pgIsReady(container)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${name}: pg_isready did not say yes within ${timeoutMs} ms`);
    },
    stop: async () => {
      await container.stop({ t: 5 }).catch(() => undefined);
    },
    start: async () => {
      await container.start();
    },
    remove: async () => {
      await container.remove({ force: true, v: true }).catch(() => undefined);
    },
    async [Symbol.asyncDispose]() {
      await fixture.remove();
    },
  };
  try {
    await container.start();
    if (options.wait !== false) await fixture.waitReady();
  } catch (err) {
    await fixture.remove();
    throw err;
  }
  return fixture;
}

/** pg_isready over TCP inside the container: during init the server listens on the socket only. */
async function pgIsReady(container: Docker.Container): Promise<boolean> {
  const exec = await container.exec({
    Cmd: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1', '-q'],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
  });
  const { ExitCode } = await exec.inspect();
  return ExitCode === 0;
}

/** Runs one query through `pg` from the test process. */
export async function queryPostgres(
  connection: pg.ClientConfig,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
