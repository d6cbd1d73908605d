/**
 * The user operations behind the routes. Each takes already validated input and returns the
 * status and JSON body to send; DatabaseUnavailable and HttpError propagate to the caller.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { BatchLookup } from './batch-lookup.js';
import type { Database } from './database.js';
import { type Reply, withJson } from './http-io.js';
import { describeError, log } from './log.js';
import { dummyHash, hashPassword, verifyLogin } from './password.js';
import { ClientGone, type PasswordQueue, type StillWanted } from './password-queue.js';
import type { NewUser } from './validate.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** 32 upper-case hex digits, as the tutorial shows. */
export function newUuid(): string {
  return randomUUID().replaceAll('-', '').toUpperCase();
}

/** Cores this process may use (os.availableParallelism arrived in Node 18.14). */
export function cores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

/**
 * Hashes one process may run at once: one per core, at most two, shared among the
 * supervisor's workers (SERVICE_WORKERS, which each worker inherits), at least one each.
 *
 * Password work is the expensive part of a request: 128 MiB and a few hundred ms of CPU per
 * hash, on libuv's thread pool (4 threads), which pg also needs (SCRAM authentication of new
 * connections) as does DNS. One hash per core runs at once, at most two, leaving threads
 * free for those: so a container's hashes hold at most 2 × 128 MiB (256 MiB) with one or two
 * workers. Waiting work holds no hash memory; beyond 256 waiting (password-queue.ts), a
 * client gets 429 rather than an ever-longer queue.
 */
export function hashSlots(cores: number, workers: string | undefined): number {
  const count = Number(workers);
  const perContainer = Math.max(1, Math.min(2, cores));
  return Math.max(1, Math.floor(perContainer / (Number.isInteger(count) && count > 0 ? count : 1)));
}

/** Password work waiting beyond which a client gets 429. */
export const maxPendingHashes = 256;

const userExists: Answer = { status: 409, body: { ok: false, error: 'user already exists' } };

const sql = {
  exists: 'SELECT 1 FROM users WHERE username = $1',
  insert: 'INSERT INTO users (uuid, username, fullname, password) VALUES ($1, $2, $3, $4)',
  selectMany: 'SELECT username, uuid, fullname FROM users WHERE username = ANY($1::varchar[])',
  selectForLogin: 'SELECT uuid, fullname, password FROM users WHERE username = $1',
  delete: 'DELETE FROM users WHERE username = $1 RETURNING uuid',
  // Only if the row still holds the hash that was verified: a user deleted and made again
  // meanwhile keeps the new password.
  rehash: 'UPDATE users SET password = $1 WHERE username = $2 AND password = $3',
};

/**
 * How long the second look at a name, once a PUT's turn to hash came, may take: it only
 * spares a hash, so a database slow to answer is not waited for in the hashing slot.
 */
const recheckMs = 250;

async function nameTaken(db: Database, username: string): Promise<boolean> {
  const taken = await db.query('user-exists', sql.exists, [username]);
  return (taken.rowCount ?? 0) > 0;
}

export async function createUser(
  db: Database,
  passwords: PasswordQueue,
  username: string,
  user: NewUser,
  wanted: StillWanted,
): Promise<Answer> {
  // A name already taken needs no hash. The first look runs before the queue for the
  // hashing slot, under the request's own database bound: when Postgres hangs, every PUT
  // gets its 503 within that bound, rather than each waiting for the timeouts of those
  // ahead of it in the slot. The second, once the request's turn to hash comes, makes a
  // burst of PUTs of one name cost one or two hashes, not a queue of them; it is bounded
  // tight and skipped when slow. The unique constraint still decides a race between two
  // that both hashed.
  if (await nameTaken(db, username)) return userExists;
  const hash = await passwords.run(async () => {
    const again = nameTaken(db, username);
    const takenNow = await Promise.race([again, sleep(recheckMs).then(() => false)]);
    return takenNow ? undefined : hashPassword(user.password);
  }, wanted);
  if (hash === undefined) return userExists;
  // Nobody reads the answer (or a drain already answered 503, "not done"): not done then.
  if (wanted() === 'gone') throw new ClientGone('client went away');
  for (let attempt = 0; ; attempt++) {
    const uuid = newUuid();
    try {
      await db.query('insert-user', sql.insert, [uuid, username, user.fullname, hash]);
      return { status: 201, body: { ok: true, fullname: user.fullname, uuid } };
    } catch (err) {
      const { code, constraint } = err as { code?: string; constraint?: string };
      if (code !== '23505') throw err;
      // A primary-key clash needs two equal random UUIDs: try once more, then give up.
      if (constraint === 'users_pkey' && attempt === 0) continue;
      return userExists;
    }
  }
}

/** The columns of `sql.selectMany`, in order. */
type UserRow = [username: string, uuid: string, fullname: string];

/**
 * A batch of reads waits up to 1 ms for the clients of the batch before it to come back (see
 * BatchLookup): under a steady load one query then serves all of a worker's connections
 * rather than half of them, for at most 1 ms more latency; at low load it waits for nothing.
 */
const readBatching = { gatherMs: 1 };

/**
 * Reads users by name, many concurrent GETs per query (see BatchLookup). Every GET of one
 * name in a batch gets the same answer, serialised once: the rows of that one query.
 */
export function userReader(db: Database): BatchLookup<Reply> {
  return new BatchLookup<Reply>(async (usernames) => {
    const rows = await db.readRows('select-users', sql.selectMany, [usernames]);
    const found = new Map<string, Reply>();
    for (const [username, uuid, fullname] of rows as UserRow[]) {
      found.set(username, withJson({ status: 200, body: { ok: true, fullname, uuid } }));
    }
    return found;
  }, readBatching);
}

const userNotFound: Reply = withJson({ status: 404, body: { ok: false, error: 'user not found' } });

export function getUser(reader: BatchLookup<Reply>, username: string): Promise<Reply> {
  return reader.get(username).then((answer) => answer ?? userNotFound);
}

export async function deleteUser(db: Database, username: string): Promise<Answer> {
  const result = await db.query<{ uuid: string }>('delete-user', sql.delete, [username]);
  const row = result.rows[0];
  if (row === undefined) return { status: 404, body: { ok: false, error: 'user not found' } };
  return { status: 200, body: { ok: true, uuid: row.uuid } };
}

const loginFailed: Answer = {
  status: 401,
  body: { ok: false, error: 'invalid username or password' },
};

export async function login(
  db: Database,
  passwords: PasswordQueue,
  username: string,
  password: string,
  wanted: StillWanted,
): Promise<Answer> {
  const result = await db.query<{ uuid: string; fullname: string; password: string }>(
    'login-user',
    sql.selectForLogin,
    [username],
  );
  const row = result.rows[0];
  // Unknown users cost one verification too, against a hash nobody knows the password of.
  const stored = row?.password ?? dummyHash();
  const check = await passwords.run(() => verifyLogin(password, stored), wanted);
  if (row === undefined || !check.matches) return loginFailed;
  if (check.rehashed !== undefined) await storeRehash(db, username, stored, check.rehashed);
  return { status: 200, body: { ok: true, uuid: row.uuid, fullname: row.fullname } };
}

/** Replaces a hash of an older cost; the login succeeds whether or not this is stored. */
async function storeRehash(db: Database, username: string, old: string, rehashed: string) {
  try {
    await db.query('rehash-user', sql.rehash, [rehashed, username, old]);
  } catch (err) {
    log('warn', 'password re-hash not stored, kept the older one', describeError(err));
  }
}
