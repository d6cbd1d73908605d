import { defineStack } from 'esteps';
import { imageDefaults } from '../model/image-defaults.js';
import { userStory } from './user-story.js';

/**
 * Step 1 of the Envoy steps tutorial: Postgres and the user service on network `appmesh`.
 * The user service is built from templates/usersvc (FROM the Envoy image, with Node.js and
 * the bundled service added) and published on 127.0.0.1 only; the database is never
 * published. The database password is a per-project secret kept on the engine and read by
 * both services as a file (/run/secrets/db_password), never an environment variable. Both
 * containers are hardened: see README "Security".
 */
export default defineStack({
  name: 'step1',
  description: 'Postgres and the user service on network appmesh (tutorial step 1)',
  services: {
    postgres: {
      image: { env: 'ESTEPS_POSTGRES_IMAGE', default: imageDefaults.ESTEPS_POSTGRES_IMAGE.default },
      environment: {
        POSTGRES_USER: 'postgres',
        POSTGRES_PASSWORD_FILE: '/run/secrets/db_password',
        POSTGRES_DB: 'postgres',
      },
      // The entrypoint starts as root to own the data folder, then drops to postgres (999).
      secrets: [{ secret: 'dbPassword', owner: '999:999' }],
      volumes: [{ volume: 'pgdata', target: '/var/lib/postgresql/data' }],
      healthcheck: {
        // TCP on purpose: while initialising, postgres listens on its unix socket only, so a
        // socket check would report healthy before the server accepts network clients.
        test: ['CMD-SHELL', 'pg_isready -U postgres -h 127.0.0.1'],
        intervalMs: 1000,
        timeoutMs: 3000,
        retries: 60,
      },
      restart: 'unless-stopped',
      networks: ['appmesh'],
      // Only what the entrypoint needs as root before it drops to postgres (999): CHOWN and
      // FOWNER to own and chmod the data folder, DAC_OVERRIDE to walk it (mode 0700, another
      // user's), SETUID and SETGID to switch to postgres. The server itself then runs with none.
      capDrop: ['ALL'],
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
      noNewPrivileges: true,
      limits: { pids: 512, memoryBytes: 1024 * 1024 * 1024 },
    },
    usersvc: {
      image: 'esteps/{project}-usersvc:latest',
      build: {
        context: '../../templates/usersvc',
        args: {
          ENVOY_IMAGE: {
            env: 'ESTEPS_ENVOY_IMAGE',
            default: imageDefaults.ESTEPS_ENVOY_IMAGE.default,
          },
          NODE_IMAGE: {
            env: 'ESTEPS_NODE_IMAGE',
            default: imageDefaults.ESTEPS_NODE_IMAGE.default,
          },
        },
        bundles: {
          'app/service.js': { entry: '../../service/usersvc/main.ts' },
          'app/supervisor.js': { entry: 'esteps/supervisor' },
        },
      },
      environment: {
        PGHOST: 'postgres',
        PGUSER: 'postgres',
        PGPASSWORD_FILE: '/run/secrets/db_password',
        PGDATABASE: 'users',
        PORT: '5000',
      },
      ports: [
        {
          hostIp: '127.0.0.1',
          hostPort: { env: 'ESTEPS_USERSVC_PORT', default: '5000' },
          containerPort: 5000,
        },
      ],
      // The service listens at once and says in its health answer when its database is ready.
      httpProbe: {
        path: '/user/health',
        containerPort: 5000,
        expectJson: { ok: true, database: 'up' },
      },
      dependsOn: [{ service: 'postgres', condition: 'healthy' }],
      restart: 'unless-stopped',
      networks: ['appmesh'],
      secrets: ['dbPassword'],
      // The image's Dockerfile creates usersvc as 10001:10001 and runs the supervisor.
      user: '10001:10001',
      // Nothing of the image can change: the supervisor's socket lives in /tmp, in memory;
      // hot patches land in /app/releases, a volume of the container (the image's VOLUME),
      // so that a restart runs the patched code.
      readOnlyRootFilesystem: true,
      tmpfs: [{ target: '/tmp', sizeBytes: 16 * 1024 * 1024 }],
      capDrop: ['ALL'],
      noNewPrivileges: true,
      limits: { pids: 256, memoryBytes: 1024 * 1024 * 1024 },
      hotpatch: { bundle: 'app/service.js', path: '/app/service.js', owner: '10001:10001' },
    },
  },
  networks: { appmesh: {} },
  volumes: { pgdata: {} },
  secrets: { dbPassword: {} },
  smoke: { service: 'usersvc', checks: userStory },
});
