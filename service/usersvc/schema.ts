/**
 * The database and table the service needs, created when missing. Every step is safe when
 * several replicas (or a supervisor's workers) run it at once: the loser of a creation race
 * gets an error once the winner has committed, so it looks again at once and finds the
 * object in place.
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
  const sql = `${createTableSql};\n${createUsernameIndexSql}`;
  try {
    await client.query(sql);
  } catch (err) {
    // Two workers' CREATE TABLE IF NOT EXISTS at the same moment: the second fails (23505 on
    // pg_type) when the first commits. Not a database that is down: no back-off.
    if (!creationRaceCodes.has((err as { code?: string }).code ?? '')) throw err;
    await client.query(sql);
  }
}
