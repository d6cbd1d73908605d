/**
 * The service's settings, from the environment (and the database password from the file it
 * names), read once at start-up. Unset or unreadable values fall back to their defaults,
 * except a password file that cannot be read: the service does not start without the
 * password it was told to use.
 */
import { readFileSync } from 'node:fs';

export interface ServiceConfig {
  /** Listening address. @default '0.0.0.0' (env HOST) */
  readonly host: string;
  /** Listening port. @default 5000 (env PORT) */
  readonly port: number;
  /** The running code's version, set by the supervisor. @default 'dev' (env SERVICE_VERSION) */
  readonly version: string;
  readonly db: DatabaseConfig;
  /** Advertised and enforced idle keep-alive time. @default 5000 (env KEEP_ALIVE_TIMEOUT_MS) */
  readonly keepAliveTimeoutMs: number;
  /**
   * Wait for the first database attempt (bounded by this) before listening, so a reloaded
   * generation takes traffic with its pool ready. The supervisor sets it for reloads only.
   * @default 0 (env WAIT_DB_BEFORE_LISTEN_MS)
   */
  readonly waitDbBeforeListenMs: number;
  /** Longest a drain (SIGTERM or reload) waits before closing what is left. @default 8000 */
  readonly drainTimeoutMs: number;
  /**
   * Bound on the memory all connections of the process hold together: requests waiting on
   * them and answers not yet taken by the kernel (connection-memory.ts). @default 33554432
   * (32 MiB; env CONNECTION_MEMORY_BYTES)
   */
  readonly connectionMemoryBytes: number;
}

export interface DatabaseConfig {
  /** @default 'postgres' (env PGHOST) */
  readonly host: string;
  /** @default 5432 (env PGPORT) */
  readonly port: number;
  /** @default 'postgres' (env PGUSER) */
  readonly user: string;
  /**
   * The contents of the file env PGPASSWORD_FILE names (trailing newlines stripped), else
   * env PGPASSWORD. @default ''
   */
  readonly password: string;
  /** Database holding the users table, created when missing. @default 'users' (env PGDATABASE) */
  readonly database: string;
  /** Database connected to for CREATE DATABASE. @default 'postgres' (env PGMAINTENANCE_DB) */
  readonly maintenanceDatabase: string;
  /** Connections per process. @default 10 (env PGPOOL_MAX) */
  readonly poolMax: number;
  /** Bound on connecting or waiting for a pooled connection. @default 5000 (env PGCONNECT_TIMEOUT_MS) */
  readonly connectTimeoutMs: number;
  /** Bound on one statement, server and client side. @default 5000 (env PGSTATEMENT_TIMEOUT_MS) */
  readonly statementTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The configuration cannot be used; the message names the setting, never a secret. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/** Reads a whole file as UTF-8; throws as fs does. */
export type ReadFile = (path: string) => string;

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * The database password: from the file PGPASSWORD_FILE names when it is set (a secret
 * mounted at /run/secrets/...), trailing newlines stripped as the postgres image does for its
 * own *_FILE variables, so both ends read the same password from the same file; else
 * PGPASSWORD; else empty.
 */
function passwordFrom(env: Env, readFile: ReadFile): string {
  const file = env.PGPASSWORD_FILE;
  if (file === undefined || file === '') return env.PGPASSWORD ?? '';
  try {
    return readFile(file).replace(/\n+$/, '');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : 'unreadable';
    throw new ConfigError(
      `cannot read the database password file PGPASSWORD_FILE=${file} (${reason})`,
    );
  }
}

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return fallback;
  const value = Number(raw);
  return value >= min && value <= max ? value : fallback;
}

function textFrom(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** The settings; throws ConfigError when PGPASSWORD_FILE is set and cannot be read. */
export function readConfig(env: Env, readFile: ReadFile = readUtf8): ServiceConfig {
  return {
    host: textFrom(env, 'HOST', '0.0.0.0'),
    port: intFrom(env, 'PORT', 5000, 0, 65535),
    version: textFrom(env, 'SERVICE_VERSION', 'dev'),
    keepAliveTimeoutMs: intFrom(env, 'KEEP_ALIVE_TIMEOUT_MS', 5000, 1000, 60_000),
    drainTimeoutMs: intFrom(env, 'DRAIN_TIMEOUT_MS', 8000, 1000, 120_000),
    connectionMemoryBytes: intFrom(
      env,
      'CONNECTION_MEMORY_BYTES',
      32 * 1024 * 1024,
      1024 * 1024,
      4 * 1024 * 1024 * 1024,
    ),
    waitDbBeforeListenMs: intFrom(env, 'WAIT_DB_BEFORE_LISTEN_MS', 0, 0, 60_000),
    db: {
      host: textFrom(env, 'PGHOST', 'postgres'),
      port: intFrom(env, 'PGPORT', 5432, 1, 65535),
      user: textFrom(env, 'PGUSER', 'postgres'),
      password: passwordFrom(env, readFile),
      database: textFrom(env, 'PGDATABASE', 'users'),
      maintenanceDatabase: textFrom(env, 'PGMAINTENANCE_DB', 'postgres'),
      poolMax: intFrom(env, 'PGPOOL_MAX', 10, 1, 1000),
      connectTimeoutMs: intFrom(env, 'PGCONNECT_TIMEOUT_MS', 5000, 100, 60_000),
      statementTimeoutMs: intFrom(env, 'PGSTATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    },
  };
}
