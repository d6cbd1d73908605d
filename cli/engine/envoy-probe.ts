import type Docker from 'dockerode';
import { readLogs } from './container-logs.js';
import { engineMessage, isGoneOrUnchanged } from './engine-errors.js';
import { labels } from './labels.js';
import type { EnvoyBinary } from './observed-state.js';

/** How long `envoy --version` may take, image start included. */
const probeTimeoutMs = 30_000;

/**
 * Asks an image whether it holds a working Envoy: runs `envoy --version` in a throw-away
 * container of it (no network, its entrypoint bypassed) and removes the container whatever
 * happened. It carries the project's label, so a probe left behind by a killed `up` is found
 * and removed like any container the stack no longer wants. Found: the version Envoy names.
 * Not found: why (no `envoy` on the image's PATH, or it exits non-zero, e.g. built for
 * another CPU). Never throws for the image's sake; engine failures other than the probe's own
 * are reported as not found, with the engine's message.
 */
export async function probeEnvoy(
  docker: Docker,
  image: string,
  project: string,
): Promise<EnvoyBinary> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: image,
      Entrypoint: ['envoy'],
      Cmd: ['--version'],
      Labels: { [labels.project]: project, [labels.probe]: 'envoy' },
      HostConfig: { NetworkMode: 'none' },
    });
  } catch (err) {
    return { found: false, reason: `no container could be made of it: ${engineMessage(err)}` };
  }
  try {
    try {
      await container.start();
    } catch (err) {
      // runc's "exec: \"envoy\": executable file not found in $PATH" lands here.
      return { found: false, reason: `\`envoy --version\` did not start: ${engineMessage(err)}` };
    }
    const exit = await Promise.race([
      container.wait() as Promise<{ StatusCode: number }>,
      new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), probeTimeoutMs).unref(),
      ),
    ]);
    const output = (await readLogs(docker, container.id, { tail: 20 }).catch(() => []))
      .map((l) => l.text)
      .join('\n')
      .trim();
    if (exit === undefined) {
      return {
        found: false,
        reason: `\`envoy --version\` did not finish within ${probeTimeoutMs / 1000} s`,
      };
    }
    if (exit.StatusCode !== 0) {
      return {
        found: false,
        reason: `\`envoy --version\` exited with code ${exit.StatusCode}${output ? `: ${output}` : ''}`,
      };
    }
    return { found: true, version: envoyVersion(output) };
  } finally {
    await container.remove({ force: true }).catch((err) => {
      if (!isGoneOrUnchanged(err)) throw err;
    });
  }
}

/**
 * The version out of `envoy --version`'s line, e.g. "envoy  version:
 * 6b9db09c69965d5bfb37bdd29693f8b7f9e9e9ec/1.32.3/Clean/RELEASE/BoringSSL" -> "1.32.3"; the
 * whole line when it has another form.
 */
export function envoyVersion(output: string): string {
  const line = output.split('\n').find((l) => l.includes('version:')) ?? output;
  return /\/(\d+\.\d+\.\d+[^/]*)\//.exec(line)?.[1] ?? line.trim();
}
