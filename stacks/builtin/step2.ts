import { defineStack } from 'esteps';
import { imageDefaults } from '../model/image-defaults.js';
import step1 from './step1.js';
import { userStory } from './user-story.js';

const { postgres, usersvc } = step1.services;
// Clients no longer reach the user service directly: only the edge does, on network appmesh.
const { ports: _publishedInStep1, ...usersvcBehindEdge } = usersvc;

/**
 * Step 2 of the Envoy steps tutorial: step 1, with Envoy at the edge. Clients talk to the
 * `edge` service (published on 127.0.0.1 only), which routes `/user` and everything under it
 * to the user service, found by name on network `appmesh` and health-checked with its own
 * readiness probe. The Envoy configuration is generated from the routes below, checked
 * against Envoy's API, and built into an image FROM the Envoy image (templates/edge). Running
 * it needs an image with Envoy in it: `esteps up` refuses the stand-in setup builds.
 */
export default defineStack({
  name: 'step2',
  description: 'Step 1 behind Envoy at the edge: /user goes through Envoy (tutorial step 2)',
  services: {
    postgres,
    usersvc: usersvcBehindEdge,
    edge: {
      image: 'esteps/{project}-edge:latest',
      build: {
        context: '../../templates/edge',
        args: {
          ENVOY_IMAGE: {
            env: 'ESTEPS_ENVOY_IMAGE',
            default: imageDefaults.ESTEPS_ENVOY_IMAGE.default,
          },
        },
      },
      envoy: { routes: [{ pathPrefix: '/user', service: 'usersvc' }] },
      ports: [
        {
          hostIp: '127.0.0.1',
          hostPort: { env: 'ESTEPS_EDGE_PORT', default: '8000' },
          containerPort: 8080,
        },
      ],
      // Envoy starts once the user service answers ready, so its first health checks pass.
      dependsOn: [{ service: 'usersvc', condition: 'healthy' }],
      restart: 'unless-stopped',
      networks: ['appmesh'],
    },
  },
  networks: step1.networks,
  volumes: step1.volumes,
  secrets: step1.secrets,
  // Step 1's user story, unchanged, now through the edge.
  smoke: { service: 'edge', checks: userStory },
});
