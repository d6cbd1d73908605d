import { defineStack } from 'esteps';
import step1 from '../../stacks/builtin/step1.js';

/**
 * Step 1 for an engine on another machine: its user service published on all the engine
 * host's addresses (step 1 publishes on 127.0.0.1, which on a remote engine answers only
 * there), at ESTEPS_USERSVC_PORT. This folder sits as deep as stacks/builtin/, so step 1's
 * relative build paths mean the same files from here.
 */
const { usersvc } = step1.services;

export default defineStack({
  ...step1,
  name: 'remote-step1',
  services: {
    ...step1.services,
    usersvc: {
      ...usersvc,
      ports: [
        {
          hostIp: '0.0.0.0',
          hostPort: { env: 'ESTEPS_USERSVC_PORT', default: '5000' },
          containerPort: 5000,
        },
      ],
    },
  },
});
