import { describe, expect, it } from 'vitest';
import step3 from '../builtin/step3.js';
import { resolveStack } from '../resolve/resolve-stack.js';
import { renderSwarmStack, type SwarmStackOptions } from './render-swarm-stack.js';

const stack = resolveStack(step3, { file: '/repo/stacks/stack.ts', project: 'demo', env: {} });
const render = (
  modes: Pick<SwarmStackOptions, 'endpointMode' | 'publishMode'> = {
    endpointMode: 'dnsrr',
    publishMode: 'host',
  },
) => renderSwarmStack(stack, { registry: 'registry:5000', ...modes });

describe('renderSwarmStack', () => {
  it('writes tmpfs mounts as long-syntax volumes: docker stack deploy drops a tmpfs: key', () => {
    const { document, notes } = render();
    const usersvc = document.services.usersvc!;
    expect(usersvc.tmpfs).toBeUndefined();
    expect(usersvc.read_only).toBe(true);
    expect(usersvc.volumes).toEqual([
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 16 * 1024 * 1024 } },
    ]);
    // The stack's uid and gid have no place in format 3.8: said in the file's header.
    expect(notes).toEqual([
      'usersvc: tmpfs /tmp is mode 1777, owned by root (format 3.8 has no tmpfs mode, uid or gid)',
    ]);
    expect(document.services.postgres!.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
  });

  it('takes the endpoint and publish modes it is given, and the built image from the registry', () => {
    const { document } = render({ endpointMode: 'vip', publishMode: 'ingress' });
    const usersvc = document.services.usersvc!;
    expect(document.version).toBe('3.8');
    expect(usersvc.image).toBe('registry:5000/esteps/demo-usersvc:latest');
    expect(usersvc.build).toBeUndefined();
    expect(usersvc.deploy).toMatchObject({
      replicas: 3,
      endpoint_mode: 'vip',
      placement: { max_replicas_per_node: 1 },
      update_config: { order: 'start-first', failure_action: 'rollback' },
    });
    expect(usersvc.ports).toEqual([
      {
        target: 5000,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable
        published: '${ESTEPS_USERSVC_PORT:-30000}',
        protocol: 'tcp',
        mode: 'ingress',
      },
    ]);
    expect(document.services.postgres!.deploy).toMatchObject({
      placement: { constraints: ['node.role==manager'] },
      update_config: { order: 'stop-first' },
    });
  });
});
