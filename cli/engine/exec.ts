import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { type ErrorCode, EstepsError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { LogFrameParser } from './log-frames.js';

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** The code of the error a failed exec becomes: what the caller was doing (HOTPATCH_FAILED, ...). */
  readonly failure: ErrorCode;
  /** @default the container's user */
  readonly user?: string;
  /** The command is abandoned (and reported) after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/** A command started in a container whose stdin stays open until `write` or `cancel`. */
export interface RunningExec {
  /** Sends `data` on the command's stdin; resolves once the engine's connection took it. */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes the connection: the command sees its stdin end (and is expected to exit). */
  cancel(): void;
  /** Settles once the command exited, with its output. */
  readonly result: Promise<ExecResult>;
  /**
   * The first complete line on stdout, as soon as it arrives (before the command exits and
   * the engine reports its exit code); undefined when the output ended without one.
   */
  readonly firstLine: Promise<string | undefined>;
}

/** Runs a command in a running container through the engine's exec API and collects its output. */
export async function execInContainer(
  container: Docker.Container,
  cmd: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const running = await startExec(container, cmd, { ...options, stdin: false });
  return running.result;
}

/**
 * Starts a command through the exec API and returns at once, so the process can start up
 * while the caller prepares what to send it (a hot patch starts `node` in the container
 * while it bundles and copies). Timeouts and engine errors surface through `result`.
 */
export async function startExec(
  container: Docker.Container,
  cmd: readonly string[],
  options: ExecOptions & { readonly stdin?: boolean },
): Promise<RunningExec> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stdin = options.stdin ?? true;
  const failed = (cause: unknown) =>
    new EstepsError(
      options.failure,
      `Running \`${cmd.join(' ')}\` in ${container.id.slice(0, 12)} failed: ${engineMessage(cause)}.`,
      { hint: 'Check that the container is running (esteps ps), then retry.', cause },
    );
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: [...cmd],
      AttachStdin: stdin,
      AttachStdout: true,
      AttachStderr: true,
      ...(options.user ? { User: options.user } : {}),
    });
    stream = (await exec.start({ hijack: true, stdin })) as Duplex;
  } catch (cause) {
    throw failed(cause);
  }
  let cancelled = false;
  let lineSeen: (line: string | undefined) => void = () => undefined;
  const firstLine = new Promise<string | undefined>((resolve) => {
    lineSeen = resolve;
  });
  const result = collect(stream, cmd, timeoutMs, lineSeen)
    .then(async ({ stdout, stderr }) => {
      // Nobody waits for the exit code of a cancelled command: spare the engine the call.
      if (cancelled) return { exitCode: -1, stdout, stderr };
      const { ExitCode } = await exec.inspect();
      return { exitCode: ExitCode ?? -1, stdout, stderr };
    })
    .catch((cause: unknown) => {
      throw failed(cause);
    })
    .finally(() => lineSeen(undefined));
  // Nobody may be awaiting `result` yet (the caller is still bundling): no unhandled rejection.
  result.catch(() => undefined);
  return {
    write: (data) =>
      new Promise((resolve) => {
        // A failed write shows as the stream's error, in `result`.
        stream.write(data, () => resolve());
      }),
    cancel: () => {
      cancelled = true;
      stream.destroy();
    },
    result,
    firstLine,
  };
}

function collect(
  stream: Duplex,
  cmd: readonly string[],
  timeoutMs: number,
  onFirstLine: (line: string) => void,
): Promise<{ stdout: string; stderr: string }> {
  const parser = new LogFrameParser();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`\`${cmd.join(' ')}\` did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    stream.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        (frame.stream === 'stderr' ? err : out).push(frame.data);
        if (frame.stream === 'stdout' && frame.data.includes(10)) {
          const text = Buffer.concat(out).toString('utf8');
          onFirstLine(text.slice(0, text.indexOf('\n')));
        }
      }
    });
    stream.on('end', done);
    // A cancelled exec closes without 'end'.
    stream.on('close', done);
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
