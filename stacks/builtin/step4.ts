import { defineStack } from 'esteps';
import step2 from './step2.js';

const { postgres, usersvc, edge } = step2.services;

/**
 * Step 4 of the Envoy steps tutorial: step 2 (Envoy at the edge), and Envoy between the user
 * service and its database. The user-service image is Envoy-based for this: its container runs
 * an Envoy beside the service (templates/usersvc-envoy), and the service reaches Postgres
 * through it, at 127.0.0.1:5432 in the container; that Envoy passes each connection on to
 * `postgres` on network `appmesh` (a TCP proxy), and logs it. Its configuration is generated
 * from `envoy.tcpProxies` below and checked against Envoy's API like the edge's, and it is
 * built into the image. Running it needs an image with Envoy in it: `esteps up` refuses the
 * stand-in setup builds, for the edge and the user service alike.
 */
export default defineStack({
  name: 'step4',
  description:
    'Step 2, with Envoy between the user service and Postgres in its container (tutorial step 4)',
  services: {
    postgres,
    usersvc: {
      ...usersvc,
      build: { ...usersvc.build!, context: '../../templates/usersvc-envoy' },
      // The database is on the container's loopback now: Envoy's TCP proxy.
      environment: { ...usersvc.environment, PGHOST: '127.0.0.1', PGPORT: '5432' },
      envoy: {
        routes: [],
        tcpProxies: [{ listenerPort: 5432, service: 'postgres', port: 5432 }],
      },
    },
    edge,
  },
  networks: step2.networks,
  volumes: step2.volumes,
  secrets: step2.secrets,
  smoke: step2.smoke,
});
