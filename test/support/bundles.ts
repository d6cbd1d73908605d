import { join } from 'node:path';
import { cacheRoot } from '../../cli/bundle/build-cache.js';
import { bundleAll } from '../../cli/bundle/bundle-code.js';
import { codeVersion } from '../../service/supervisor/contract.js';

/**
 * Step 1's user service and esteps' supervisor, bundled as `esteps up` bundles them (from
 * `root`/service, paths relative to `root`), for tests that run them without a stack.
 */
export async function bundleService(
  root: string,
): Promise<{ service: Buffer; supervisor: Buffer; version: string }> {
  const bundles = await bundleAll(
    {
      service: { entry: join(root, 'service', 'usersvc', 'main.ts'), target: 'node18' },
      supervisor: { entry: 'esteps/supervisor', target: 'node18' },
    },
    root,
    cacheRoot(process.env),
  );
  const service = bundles.service!;
  return { service, supervisor: bundles.supervisor!, version: codeVersion(service) };
}
