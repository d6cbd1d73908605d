import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { LogFrameParser } from './log-frames.js';

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** @default the container's user */
  readonly user?: string;
  /** The command is abandoned (and reported) after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/** Runs a command in a running container through the engine's exec API and collects its output. */
export async function execInContainer(
  container: Docker.Container,
  cmd: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    const exec = await container.exec({
      Cmd: [...cmd],
      AttachStdout: true,
      AttachStderr: true,
      ...(options.user ? { User: options.user } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const parser = new LogFrameParser();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error(`\`${cmd.join(' ')}\` did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('data', (chunk: Buffer) => {
        for (const frame of parser.push(chunk))
          (frame.stream === 'stderr' ? err : out).push(frame.data);
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const { ExitCode } = await exec.inspect();
    return {
      exitCode: ExitCode ?? -1,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  } catch (cause) {
    throw new EstepsError(
      'HOTPATCH_FAILED',
      `Running \`${cmd.join(' ')}\` in ${container.id.slice(0, 12)} failed: ${engineMessage(cause)}.`,
      { hint: 'Check that the container is running (esteps ps), then retry.', cause },
    );
  }
}
