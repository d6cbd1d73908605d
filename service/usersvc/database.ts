/**
 * The connection to Postgres and its state. The service listens before the database is
 * reachable: a background loop creates the database and table when missing, retrying with
 * capped backoff for as long as it takes, and again whenever the connection is lost. While
 * the state is `down`, queries fail at once with DatabaseUnavailable (a 503), so no request
 * waits on a dead database longer than the connect and statement bounds.
 */
import pg from 'pg';
import type { DatabaseConfig } from './config.js';
import { describeError, log } from './log.js';
import { ensureDatabase, ensureTable } from './schema.js';

export class DatabaseUnavailable extends Error {
  constructor(cause?: unknown) {
    super('database unavailable', cause === undefined ? undefined : { cause });
  }
}

/**
 * SQLSTATEs (by class or code) that mean "the database is not usable right now". 26000 (no
 * such prepared statement): a read pipelined behind the Parse of its statement, which failed
 * (the table was gone), finds no statement to bind; the Parse's own error says why.
 */
const unavailableStates = /^(08|53|57|3D000|42P01|26000)/;
/**
 * Errors of one request that do not say the whole database is gone: a statement or
 * connection that took too long under load, a write that found the disk full. A database that really went away is noticed
 * by the monitor's probe, which treats any failure as "down".
 */
const requestOnlyStates = new Set([
  '57014', // query_canceled: the statement timeout
  '53300', // too_many_connections
  '53100', // disk_full: that write fails; reads go on, and writes work once space is freed
]);
const requestOnlyMessages = /timeout|timed out/i;

function isRequestOnly(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined) return requestOnlyStates.has(state);
  return requestOnlyMessages.test(err instanceof Error ? err.message : String(err));
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when an error is about reaching the database rather than about the query itself. */
export function isUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  return state === undefined || unavailableStates.test(state);
}

const retryMinMs = 100;
const retryMaxMs = 2000;
const monitorEveryMs = 2000;

export class Database {
  private readonly pool: pg.Pool;
  private ready = false;
  private bootstrapping = false;
  private stopped = false;
  private monitorTimer: NodeJS.Timeout | undefined;
  private lastProblem = '';
  /** The connection for reads (see `onReader`), once asked for; undefined when dropped. */
  private reader: Promise<pg.Client> | undefined;
  private readonly readerClients = new Map<Promise<pg.Client>, pg.Client>();
  /** Ends the retry loop's current wait at once. */
  private wakeRetry: () => void = () => undefined;
  /** Callers waiting for the loop's next attempt to end, whatever its outcome. */
  private attemptWaiters: (() => void)[] = [];
  private firstAttemptDone: () => void = () => undefined;
  /** Settles once the first bootstrap attempt finished, whether or not it succeeded. */
  readonly firstAttempt = new Promise<void>((resolve) => {
    this.firstAttemptDone = resolve;
  });

  constructor(private readonly config: DatabaseConfig) {
    this.pool = new pg.Pool({
      ...this.clientConfig(config.database),
      max: config.poolMax,
      idleTimeoutMillis: 60_000,
    });
    this.pool.on('error', (err) => this.markDown(err));
  }

  get state(): 'up' | 'down' {
    return this.ready ? 'up' : 'down';
  }

  /** Starts the bootstrap loop; returns at once. */
  start(): void {
    void this.bootstrapLoop();
  }

  /**
   * One statement on a pooled connection. Waiting for the connection and the statement
   * share one bound, `connectTimeoutMs` (5 s): a database that hangs (accepts, never
   * answers) costs a request no more than that, then a 503. The statement may still take
   * effect later, once such a database wakes up; the connection it ran on is discarded.
   */
  async query<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.guarded(() => this.bounded<R>({ name, text, values }));
  }

  /**
   * One read on the connection kept for reads (see `reader`), its rows as arrays of column
   * values. The same bounds as `query`: connecting and the statement share `connectTimeoutMs`.
   */
  readRows(name: string, text: string, values: unknown[]): Promise<unknown[][]> {
    return this.guarded(() => this.onReader(name, text, values));
  }

  private async guarded<T>(run: () => Promise<T>): Promise<T> {
    if (!this.ready) await this.nextAttempt();
    if (!this.ready) throw new DatabaseUnavailable();
    try {
      return await run();
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      if (!isRequestOnly(err)) this.markDown(err);
      throw new DatabaseUnavailable(err);
    }
  }

  /**
   * While down, a request does not wait for the loop's back-off: it asks for an attempt now
   * and waits for its outcome, within the connect bound. So a worker whose database came back
   * while it was backing off serves at once (another worker may already have said the
   * database is up), and a database that is really away still costs a request no more than
   * the bound before its 503.
   */
  private nextAttempt(maxWaitMs = this.config.connectTimeoutMs): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, maxWaitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.attemptWaiters.push(done);
      if (!this.bootstrapping && !this.stopped) void this.bootstrapLoop();
      this.wakeRetry();
    });
  }

  /**
   * While down: asks for a connection attempt now and waits for its outcome, at most
   * `maxWaitMs`, so `state` is fresh. Another worker of the same container may already know
   * the database is up; this one must not say otherwise for the length of its back-off.
   */
  async refresh(maxWaitMs?: number): Promise<void> {
    if (!this.ready) await this.nextAttempt(maxWaitMs);
  }

  private attemptEnded(): void {
    const waiters = this.attemptWaiters;
    this.attemptWaiters = [];
    for (const done of waiters) done();
  }

  private async bounded<R extends pg.QueryResultRow>(
    query: pg.QueryConfig,
  ): Promise<pg.QueryResult<R>> {
    const deadline = Date.now() + this.config.connectTimeoutMs;
    // Bounded by connectionTimeoutMillis, the same bound, whether it waits or connects.
    const client = await this.checkout();
    try {
      const remainingMs = deadline - Date.now();
      if (remainingMs < 1) throw new Error('database request timed out');
      const result = await client.query<R>({
        ...query,
        query_timeout: remainingMs,
      } as pg.QueryConfig);
      checkin(client);
      return result;
    } catch (err) {
      // A connection whose statement timed out may still answer it later: never reuse it.
      checkin(client, err);
      throw err;
    }
  }

  /**
   * The reads of a batch go over one connection of their own, in pg's pipeline mode: no pool
   * checkout and check-in per query, and batches that overlap are written back to back
   * without waiting for each other's answers. A statement that outlives its bound makes pg
   * destroy the connection (what it answers later must not reach a later read); any failure
   * of the connection drops it, and the next read connects again.
   */
  private async onReader(name: string, text: string, values: unknown[]): Promise<unknown[][]> {
    const deadline = Date.now() + this.config.connectTimeoutMs;
    const reader = this.reader ?? this.connectReader();
    const client = await reader;
    const remainingMs = deadline - Date.now();
    if (remainingMs < 1) throw new Error('database request timed out');
    return new Promise((resolve, reject) => {
      const query = { name, text, values, rowMode: 'array', query_timeout: remainingMs };
      client.query(query as pg.QueryConfig, (err: Error | null, result: pg.QueryResult) => {
        if (err === null) {
          resolve(result.rows as unknown[][]);
          return;
        }
        if (sqlState(err) !== undefined) {
          reject(err);
          return;
        }
        // Ended because a statement before this one on the connection outlived its bound
        // (its own error is the timeout): a slow request, not a database gone.
        if (this.reader !== reader && !isRequestOnly(err)) {
          reject(new Error('database request timed out', { cause: err }));
          return;
        }
        // Not an answer of Postgres to this statement: the connection is not to be trusted.
        this.dropReader(reader);
        reject(err);
      });
    });
  }

  private connectReader(): Promise<pg.Client> {
    const client = new pg.Client({
      ...this.clientConfig(this.config.database),
      query_timeout: undefined,
      pipeline: true,
    } as pg.ClientConfig);
    const reader = client.connect().then(() => client);
    this.reader = reader;
    reader.catch(() => this.dropReader(reader));
    client.on('error', (err) => {
      this.dropReader(reader);
      this.markDown(err);
    });
    client.on('end', () => this.dropReader(reader));
    this.readerClients.set(reader, client);
    return reader;
  }

  /** Forgets the read connection `reader` (all of them: undefined) and closes it. */
  private dropReader(reader = this.reader): void {
    if (reader === undefined) return;
    if (this.reader === reader) this.reader = undefined;
    const client = this.readerClients.get(reader);
    if (client === undefined) return;
    this.readerClients.delete(reader);
    client.end().catch(() => undefined);
  }

  /**
   * A pooled connection, listened to while it is out of the pool: pg emits a connection
   * reset (Postgres killed mid-query) as an 'error' event as well as the query's rejection,
   * and the pool listens only to the connections it holds; unheard, it ends the process.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    client.on('error', ignoreError);
    return client;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.monitorTimer);
    this.dropReader();
    await this.pool.end().catch(() => undefined);
  }

  private clientConfig(database: string): pg.ClientConfig {
    const { config } = this;
    return {
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database,
      application_name: 'usersvc',
      connectionTimeoutMillis: config.connectTimeoutMs,
      statement_timeout: config.statementTimeoutMs,
      query_timeout: config.statementTimeoutMs + 1000,
      keepAlive: true,
    };
  }

  private markDown(err: unknown): void {
    if (this.ready) log('warn', 'database connection lost', describeError(err));
    this.ready = false;
    clearTimeout(this.monitorTimer);
    // A connection of a database that went away would fail the first read after it is back.
    this.dropReader();
    if (!this.stopped) void this.bootstrapLoop();
  }

  private async bootstrapLoop(): Promise<void> {
    if (this.bootstrapping) return;
    this.bootstrapping = true;
    let delayMs = retryMinMs;
    while (!this.stopped && !this.ready) {
      try {
        await this.bootstrap();
        this.ready = true;
        this.lastProblem = '';
        log('info', 'database ready', { host: this.config.host, database: this.config.database });
        this.scheduleMonitor();
        this.firstAttemptDone();
        this.attemptEnded();
      } catch (err) {
        this.firstAttemptDone();
        this.attemptEnded();
        const problem = describeError(err);
        if (problem.error !== this.lastProblem)
          log('warn', 'database not ready, retrying', problem);
        this.lastProblem = problem.error;
        if (this.attemptWaiters.length > 0) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeRetry = () => undefined;
        delayMs = Math.min(delayMs * 2, retryMaxMs);
      }
    }
    this.bootstrapping = false;
  }

  /**
   * One attempt: make sure the database and the table exist. The table check runs on a
   * pooled connection, which then serves the first requests: one connection set-up, not two.
   */
  private async bootstrap(): Promise<void> {
    try {
      await this.withPooledClient(ensureTable);
    } catch (err) {
      if (sqlState(err) !== '3D000') throw err;
      const created = await this.withClient(this.config.maintenanceDatabase, (client) =>
        ensureDatabase(client, this.config.database),
      );
      if (created) log('info', 'database created', { database: this.config.database });
      await this.withPooledClient(ensureTable);
    }
  }

  private async withPooledClient(use: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.checkout();
    try {
      await use(client);
      checkin(client);
    } catch (err) {
      // A connection that failed mid-way is not handed to a request.
      checkin(client, err);
      throw err;
    }
  }

  private async withClient<T>(database: string, use: (client: pg.Client) => Promise<T>) {
    const client = new pg.Client(this.clientConfig(database));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await use(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** While up, a cheap query every few seconds notices a database that went away. */
  private scheduleMonitor(): void {
    this.monitorTimer = setTimeout(async () => {
      try {
        await this.bounded({ text: 'SELECT 1' });
        if (this.ready) this.scheduleMonitor();
      } catch (err) {
        this.markDown(err);
      }
    }, monitorEveryMs);
    this.monitorTimer.unref();
  }
}

function ignoreError(): void {}

/**
 * Back to the pool without the listener `checkout` added (the pool listens again), or
 * discarded after `err`, still listened to while it closes.
 */
function checkin(client: pg.PoolClient, err?: unknown): void {
  if (err !== undefined) {
    client.release(err instanceof Error ? err : true);
    return;
  }
  client.off('error', ignoreError);
  client.release();
}
