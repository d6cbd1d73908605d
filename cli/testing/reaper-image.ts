import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { cacheRoot } from '../bundle/build-cache.js';
import { bundleCode } from '../bundle/bundle-code.js';
import { buildImage } from '../engine/build.js';
import { statusCode } from '../engine/engine-errors.js';
import { labels } from '../engine/labels.js';
import { createTar } from '../engine/tar.js';
import { packageRoot } from '../package-root.js';

/**
 * The reaper's image, made on first need on the engine that runs the tests, as the volume
 * helper's is (no registry): FROM the Node.js image the stacks use (`ESTEPS_NODE_IMAGE`, a
 * local stand-in where no registry serves `node`), with the reaper (service/reaper/, bundled
 * into one file) added. Its tag carries a hash of both, so a changed reaper is a new image.
 */
const dockerfile = `ARG NODE_IMAGE
FROM \${NODE_IMAGE}
COPY reaper.js /esteps-reaper/reaper.js
USER 0
CMD ["/usr/local/bin/node", "/esteps-reaper/reaper.js"]
`;

export async function ensureReaperImage(docker: Docker, nodeImage: string): Promise<string> {
  const root = packageRoot();
  const code = await bundleCode(
    { entry: join(root, 'service', 'reaper', 'reaper-main.ts'), target: 'node18' },
    root,
    { cacheDir: cacheRoot(process.env) },
  );
  const hash = createHash('sha256').update(dockerfile).update(nodeImage).update(code);
  const tag = `esteps/reaper:${hash.digest('hex').slice(0, 12)}`;
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  // Two processes may build at once: the same inputs give the same image, and the tag goes to
  // whichever finishes last.
  await buildImage(docker, {
    tag,
    context: createTar([
      { path: 'Dockerfile', data: Buffer.from(dockerfile) },
      { path: 'reaper.js', data: code },
    ]),
    dockerfile: 'Dockerfile',
    buildArgs: { NODE_IMAGE: nodeImage },
    labels: { [labels.version]: 'reaper' },
    timeoutMs: 120_000,
  });
  return tag;
}
