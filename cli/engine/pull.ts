import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { readProgressStream } from './progress-stream.js';

/**
 * Pulls an image the engine lacks. Like builds, pull failures may arrive inside the
 * progress stream (apocas/dockerode#639), so every line is scanned. No registry answers on
 * machines like ours: then the answer is IMAGE_MISSING with the set-up step that builds
 * local stand-ins.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  options: {
    signal?: AbortSignal;
    timeoutMs?: number;
    /** The next step when it cannot be pulled (stack-hints.ts). @default setup's */
    hint?: string;
  } = {},
): Promise<void> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let error: string | undefined;
  try {
    const stream = await docker.pull(ref, { abortSignal: signal });
    await readProgressStream(
      stream,
      (m) => {
        if (m.error || m.errorDetail) error ??= m.errorDetail?.message ?? m.error;
      },
      signal,
    );
  } catch (err) {
    if (options.signal?.aborted) throw err;
    error = timeout.aborted ? 'the pull timed out' : engineMessage(err);
  }
  if (error) {
    throw new EstepsError(
      'IMAGE_MISSING',
      `Image ${ref} is not on the engine and cannot be pulled (${error.trim()}).`,
      {
        hint:
          options.hint ??
          'Run `npm run setup` to build the local stand-in images and write .env, or point the ESTEPS_*_IMAGE variable at an image the engine has.',
        details: { image: ref },
      },
    );
  }
}
