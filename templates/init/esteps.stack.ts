import { defineStack } from 'esteps';

/**
 * A stack of your own: one Node.js HTTP service, built from this folder, hot-patchable.
 * `esteps up` builds and starts it, `esteps hotpatch` (or `esteps watch`) takes an edit of
 * service/ into the running container without dropping a request, `esteps render -o FILE`
 * ejects it for docker compose. Paths here are relative to this file.
 */
export default defineStack({
  name: 'esteps-init-name',
  services: {
    web: {
      image: '{project}-web:latest',
      build: {
        context: '.',
        args: {
          // The Node.js image; `npm run setup` of esteps points it at a local stand-in when
          // no registry serves the official one.
          NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
        },
        bundles: {
          // Your code, bundled into one file (no node_modules in the image)...
          'app/service.js': { entry: './service/main.ts' },
          // ...run by esteps' supervisor, which swaps it for new code on a hot patch.
          'app/supervisor.js': { entry: 'esteps/supervisor' },
        },
      },
      ports: [{ hostPort: { env: 'APP_PORT', default: '8080' }, containerPort: 8080 }],
      // Ready once GET /health answers 2xx; its `version` field names the running code.
      httpProbe: { path: '/health', containerPort: 8080 },
      user: '10001:10001',
      hotpatch: { bundle: 'app/service.js', path: '/app/service.js', owner: '10001:10001' },
    },
  },
  // `esteps smoke` runs these against the running stack.
  smoke: {
    service: 'web',
    checks: async (t) => {
      await t.check('hello', '200 with a greeting', async () => {
        const reply = await t.request('GET', '/');
        if (reply.status !== 200) throw new Error(`${reply.status} ${reply.text}`);
      });
    },
  },
});
