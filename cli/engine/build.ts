import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { labels } from './labels.js';
import { type ProgressMessage, readProgressStream } from './progress-stream.js';

export interface BuildImageInput {
  /** Tag for the built image, e.g. esteps/step1-usersvc:latest. */
  readonly tag: string;
  /** The assembled, deterministic context archive. */
  readonly context: Buffer;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Labels on the image; the build hash among them lets `up` skip an unchanged build. */
  readonly labels: Readonly<Record<string, string>>;
  /** @default 600000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called with each `Step n/m : ...` line. */
  readonly onStep?: (step: string) => void;
  /** The next step when the build fails (stack-hints.ts). @default a generic one */
  readonly hint?: string;
}

/**
 * Builds through the engine's legacy build API (what dockerode's buildImage speaks; BuildKit
 * sessions are not available through it). An unchanged context and arguments reuse the
 * engine's layer cache. Returns the image ID.
 */
export async function buildImage(docker: Docker, input: BuildImageInput): Promise<string> {
  const timeoutMs = input.timeoutMs ?? 600_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
  const log = new BuildLog();
  try {
    const stream = await docker.buildImage(
      input.context as unknown as NodeJS.ReadableStream,
      {
        t: input.tag,
        dockerfile: input.dockerfile,
        buildargs: { ...input.buildArgs },
        labels: { ...input.labels, [labels.image]: input.tag },
        rm: true,
        forcerm: true,
        abortSignal: signal,
      } as Docker.ImageBuildOptions,
    );
    await readProgressStream(stream, (m) => log.add(m, input.onStep), signal);
  } catch (err) {
    if (input.signal?.aborted) {
      await removeStepContainers(docker, input.tag).catch(() => undefined);
      throw err;
    }
    if (timeout.aborted) {
      throw buildFailed(input, `took longer than ${timeoutMs / 1000} s`, log, err);
    }
    throw buildFailed(input, engineMessage(err), log, err);
  }
  if (log.error) throw buildFailed(input, log.error, log);
  const image = await docker.getImage(input.tag).inspect();
  return image.Id;
}

/**
 * After an interrupted build: the engine finishes the step it was running and only then
 * removes that step's container, which carries the image's labels (so the project's too)
 * and would outlive the command. Removed here, so an interrupted `up` leaves nothing behind
 * it; a service's container also carries the image label, but has a replica.
 */
async function removeStepContainers(docker: Docker, tag: string): Promise<void> {
  const steps = await docker.listContainers({
    all: true,
    filters: { label: [`${labels.image}=${tag}`] },
  });
  await Promise.all(
    steps
      .filter((c) => c.Labels[labels.replica] === undefined)
      .map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
  );
}

/** Keeps the current step and its output, and the first error the stream reports. */
class BuildLog {
  step = '';
  stepOutput: string[] = [];
  error: string | undefined;

  add(message: ProgressMessage, onStep?: (step: string) => void): void {
    if (message.error || message.errorDetail) {
      this.error ??= (message.errorDetail?.message ?? message.error ?? 'unknown error').trim();
      return;
    }
    const text = message.stream ?? message.status;
    if (!text) return;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      if (/^Step \d+\/\d+ :/.test(line)) {
        this.step = line.trim();
        this.stepOutput = [];
        onStep?.(this.step);
      } else {
        this.stepOutput.push(line);
        if (this.stepOutput.length > 200) this.stepOutput.shift();
      }
    }
  }
}

function buildFailed(
  input: BuildImageInput,
  reason: string,
  log: BuildLog,
  cause?: unknown,
): EstepsError {
  const tag = input.tag;
  const at = log.step ? ` at "${log.step}"` : '';
  return new EstepsError('BUILD_FAILED', `Building ${tag} failed${at}: ${reason}.`, {
    hint: input.hint ?? 'Fix the failing step of the Dockerfile, then run esteps up again.',
    cause,
    details: { image: tag, step: log.step, output: log.stepOutput.slice(-30).join('\n') },
  });
}
