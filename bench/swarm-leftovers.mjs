// What bench/swarm-bench.mjs leaves behind when it is stopped before its end (it cleans up
// only when it ends, also on failure, but not on a signal): its projects (`bsw-<tag>-<run>`,
// deployed by `esteps up --swarm`), its stacks (`<project>-stk`, by `docker stack deploy`)
// and their volumes on the test Swarm, its images on this machine's engine, its work folder.
// bench/all.mjs takes a snapshot before the bench starts and, if it has to stop it, removes
// what appeared since, as the bench's own clean-up would.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { root } from './support.mjs';

async function swarmNames(facts) {
  const docker = (args) =>
    execa('docker', ['-H', facts.dockerHost, ...args], { reject: false, timeout: 60_000 });
  const ids = (await docker(['service', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  const projects = new Set();
  const stacks = new Set();
  if (ids.length > 0) {
    const labels = await docker([
      'service',
      'inspect',
      '--format',
      '{{index .Spec.Labels "com.esteps.project"}} {{index .Spec.Labels "com.docker.stack.namespace"}}',
      ...ids,
    ]);
    for (const line of labels.stdout.split('\n')) {
      const [project, stack] = line.split(' ');
      if (project?.startsWith('bsw-')) projects.add(project);
      if (stack?.startsWith('bsw-')) stacks.add(stack);
    }
  }
  const dirs = (await readdir(join(root, '.esteps')).catch(() => [])).filter((d) =>
    d.startsWith('tmp-swarm-bench-'),
  );
  return { projects, stacks, dirs: new Set(dirs), docker };
}

export async function swarmLeftovers(facts) {
  const before = await swarmNames(facts);
  return {
    async removeNew() {
      const now = await swarmNames(facts);
      const env = { DOCKER_HOST: facts.dockerHost };
      for (const project of now.projects) {
        if (before.projects.has(project)) continue;
        await execa(
          'node',
          [
            join(root, 'dist', 'esteps.js'),
            'down',
            '--swarm',
            '--volumes',
            '--stack',
            'step3',
            '-p',
            project,
          ],
          { cwd: root, env, reject: false, timeout: 300_000 },
        );
        const local = await execa(
          'docker',
          ['images', '-q', '--filter', `label=com.esteps.project=${project}`],
          { reject: false, env: { DOCKER_HOST: '' } },
        );
        const images = [...new Set(local.stdout.split('\n').filter(Boolean))];
        if (images.length > 0) {
          await execa('docker', ['rmi', '-f', ...images], {
            reject: false,
            env: { DOCKER_HOST: '' },
          });
        }
      }
      const manager = facts.nodes.find((n) => n.role === 'manager');
      for (const stack of now.stacks) {
        if (before.stacks.has(stack)) continue;
        await now.docker(['stack', 'rm', stack]);
        const on = (args) =>
          execa('docker', ['-H', manager.dockerHost, ...args], { reject: false, timeout: 60_000 });
        for (let i = 0; i < 120; i++) {
          const left = await on([
            'ps',
            '-aq',
            '--filter',
            `label=com.docker.stack.namespace=${stack}`,
          ]);
          if (left.stdout.trim() === '') break;
          await new Promise((r) => setTimeout(r, 500));
        }
        await on(['volume', 'rm', `${stack}_pgdata`]);
      }
      for (const dir of now.dirs) {
        if (!before.dirs.has(dir))
          await rm(join(root, '.esteps', dir), { recursive: true, force: true });
      }
    },
  };
}
