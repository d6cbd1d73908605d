/**
 * A node's engine shares this machine's cgroup tree (/sys/fs/cgroup is bound into the node,
 * cgroup v1) and puts its containers under /<node name> (see nodeCgroupParent). When a node
 * is killed its containers die with it, but their empty cgroup directories stay: removed
 * here, by node name, once the node's container is gone. Best effort: on a machine where
 * /sys/fs/cgroup is not ours to clean nothing is done.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeCgroupParent } from './container-config.js';

const cgroupRoot = '/sys/fs/cgroup';

export async function removeNodeCgroups(nodeNames: readonly string[]): Promise<void> {
  let controllers: string[];
  try {
    controllers = await readdir(cgroupRoot);
  } catch {
    return;
  }
  const dirs = controllers.flatMap((c) =>
    nodeNames.map((n) => join(cgroupRoot, c, nodeCgroupParent(n))),
  );
  await Promise.all(dirs.map((dir) => removeTree(dir, 10)));
}

/** rmdir depth-first; a cgroup whose last process is still exiting is retried briefly. */
async function removeTree(dir: string, attempts: number): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) return;
  } catch {
    return;
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => removeTree(join(dir, e.name), attempts)),
  );
  for (let i = 0; i < attempts; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
