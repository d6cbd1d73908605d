import { defineStack } from 'esteps';
import step1 from './step1.js';
import { userStory } from './user-story.js';

const { postgres, usersvc } = step1.services;

/**
 * Step 3 of the Envoy steps tutorial: the user service scaled out. Step 1 with the user
 * service at 3 replicas, at most one per node, for a Swarm (`esteps up --swarm --stack
 * step3`): each replica publishes the service on its own node in host mode, on
 * ESTEPS_USERSVC_PORT (30000: the first port each node of the test Swarm offers on
 * 127.0.0.1). The database stays one task, pinned to the node that holds its volume.
 */
export default defineStack({
  name: 'step3',
  description:
    'Step 1 with the user service at 3 replicas spread over Swarm nodes (tutorial step 3)',
  services: {
    postgres,
    usersvc: {
      ...usersvc,
      replicas: 3,
      maxReplicasPerNode: 1,
      ports: [
        {
          hostIp: '127.0.0.1',
          hostPort: { env: 'ESTEPS_USERSVC_PORT', default: '30000' },
          containerPort: 5000,
        },
      ],
    },
  },
  networks: { appmesh: {} },
  volumes: { pgdata: {} },
  secrets: step1.secrets ?? {},
  smoke: { service: 'usersvc', checks: userStory },
});
