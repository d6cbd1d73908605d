/**
 * The database and table the service needs, created when missing. Every step is safe when
 * several replicas run it at once: the losers of a creation race get an error that the
 * caller treats as "try again", and the next attempt finds the object in place.
 */
import type { ClientBase } from 'pg';

/** The tutorial's table, plus the unique username the API promises. */
export const createTableSql = `CREATE TABLE IF NOT EXISTS users (
  uuid VARCHAR(64) NOT NULL PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  fullname VARCHAR(2048) NOT NULL,
  password VARCHAR(256) NOT NULL,
  CONSTRAINT users_username_key UNIQUE (username)
)`;

/** For a table made earlier without the constraint (e.g. by the tutorial's own code). */
export const createUsernameIndexSql =
  'CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username)';

/** SQLSTATEs that mean another replica created the same object at the same time. */
export const creationRaceCodes = new Set(['42P04', '23505', '42P07', '42710']);

/** Quotes an identifier for SQL text (CREATE DATABASE takes no parameters). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function ensureDatabase(maintenance: ClientBase, database: string): Promise<boolean> {
  const found = await maintenance.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (found.rowCount !== 0) return false;
  try {
    await maintenance.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    return true;
  } catch (err) {
    if (creationRaceCodes.has((err as { code?: string }).code ?? '')) return false;
    throw err;
  }
}

/**
 * Both statements in one round trip (the simple query protocol takes several): a new worker
 * runs this before it listens, so a reload waits for it.
 */
export async function ensureTable(client: ClientBase): Promise<void> {
  await client.query(`${createTableSql};\n${createUsernameIndexSql}`);
}
