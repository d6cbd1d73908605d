// The user service's API written the way a fastify + pg application usually is, as the peer
// bench/service-bench.mjs measures the service against: the same routes and answers (health,
// a user by name, create, login), the same table and database, the same password hashes
// (scrypt N=2^17, r=8, p=1, stored as `scrypt$N$r$p$salt$key`, so either side logs in the
// users the other made), and as many processes (PEER_WORKERS, node:cluster). What it leaves
// to the frameworks: routing and body parsing (fastify), JSON schemas for input and output,
// one pg Pool of 10 connections per process (as the service), a statement per request.
// service-bench.mjs bundles it with fastify and pg into one file (esbuild) and runs it in a
// container of the service's own image, against the service's Postgres.
import cluster from 'node:cluster';
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import Fastify from 'fastify';
import pg from 'pg';

const workers = Number(process.env.PEER_WORKERS ?? 1);
const today = { N: 2 ** 17, r: 8, p: 1 };

function derive(password, salt, { N, r, p }, bytes) {
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, bytes, { N, r, p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await derive(password, salt, today, 32);
  return `scrypt$${today.N}$${today.r}$${today.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Unknown users cost a hash too, against one nobody knows the password of. */
const dummy = `scrypt$${today.N}$${today.r}$${today.p}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

async function verifyPassword(password, stored) {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(key, 'base64');
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  const derived = await derive(password, Buffer.from(salt, 'base64'), params, expected.length);
  return timingSafeEqual(derived, expected);
}

function start() {
  const pool = new pg.Pool({
    host: process.env.PGHOST ?? 'postgres',
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'users',
    max: 10,
  });
  let database = 'down';
  pool.query('SELECT 1').then(
    () => {
      database = 'up';
    },
    () => undefined,
  );
  pool.on('error', () => {
    database = 'down';
  });

  const app = Fastify({ logger: false });
  const name = {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } },
  };
  const user = {
    type: 'object',
    properties: { ok: { type: 'boolean' }, fullname: { type: 'string' }, uuid: { type: 'string' } },
  };
  const failure = {
    type: 'object',
    properties: { ok: { type: 'boolean' }, error: { type: 'string' } },
  };

  app.get('/user/health', async () => ({
    ok: true,
    msg: 'user health check OK',
    hostname: hostname(),
    version: 'fastify-peer',
    database,
    pid: process.pid,
  }));

  app.get(
    '/user/:name',
    { schema: { params: name, response: { 200: user, 404: failure } } },
    async (req, reply) => {
      const { rows } = await pool.query('SELECT uuid, fullname FROM users WHERE username = $1', [
        req.params.name,
      ]);
      if (rows.length === 0) return reply.code(404).send({ ok: false, error: 'user not found' });
      return { ok: true, fullname: rows[0].fullname, uuid: rows[0].uuid };
    },
  );

  app.put(
    '/user/:name',
    {
      schema: {
        params: name,
        body: {
          type: 'object',
          required: ['fullname', 'password'],
          properties: {
            fullname: { type: 'string', minLength: 1, maxLength: 2048 },
            password: { type: 'string', minLength: 8, maxLength: 256 },
          },
        },
        response: { 201: user, 409: failure },
      },
    },
    async (req, reply) => {
      const taken = await pool.query('SELECT 1 FROM users WHERE username = $1', [req.params.name]);
      if (taken.rowCount) return reply.code(409).send({ ok: false, error: 'user already exists' });
      const hash = await hashPassword(req.body.password);
      const uuid = randomUUID().replaceAll('-', '').toUpperCase();
      try {
        await pool.query(
          'INSERT INTO users (uuid, username, fullname, password) VALUES ($1, $2, $3, $4)',
          [uuid, req.params.name, req.body.fullname, hash],
        );
      } catch (err) {
        if (err.code === '23505') {
          return reply.code(409).send({ ok: false, error: 'user already exists' });
        }
        throw err;
      }
      return reply.code(201).send({ ok: true, fullname: req.body.fullname, uuid });
    },
  );

  app.post(
    '/user/:name/login',
    {
      schema: {
        params: name,
        body: {
          type: 'object',
          required: ['password'],
          properties: { password: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: user, 401: failure },
      },
    },
    async (req, reply) => {
      const { rows } = await pool.query(
        'SELECT uuid, fullname, password FROM users WHERE username = $1',
        [req.params.name],
      );
      const matches = await verifyPassword(req.body.password, rows[0]?.password ?? dummy);
      if (rows.length === 0 || !matches) {
        return reply.code(401).send({ ok: false, error: 'invalid username or password' });
      }
      return { ok: true, uuid: rows[0].uuid, fullname: rows[0].fullname };
    },
  );

  app.listen({ host: '0.0.0.0', port: Number(process.env.PORT ?? 5000) });
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
} else {
  start();
}
