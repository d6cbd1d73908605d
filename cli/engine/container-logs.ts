import type Docker from 'dockerode';
import { LineSplitter, LogFrameParser } from './log-frames.js';

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** The last `lines` log lines of a container, demultiplexed; '' when it has none. */
export async function containerLogTail(
  docker: Docker,
  containerId: string,
  lines = 30,
): Promise<string> {
  try {
    const lines_ = await readLogs(docker, containerId, { tail: lines });
    return lines_.map((l) => l.text).join('\n');
  } catch {
    // Only used to enrich another error: a failure here must not hide that error.
    return '';
  }
}

/** A container's logs up to now, as lines. */
export async function readLogs(
  docker: Docker,
  containerId: string,
  options: { tail?: number; timestamps?: boolean } = {},
): Promise<LogLine[]> {
  const buffer = (await docker.getContainer(containerId).logs({
    stdout: true,
    stderr: true,
    follow: false,
    timestamps: options.timestamps ?? false,
    ...(options.tail !== undefined && { tail: options.tail }),
  })) as unknown as Buffer;
  return framesToLines(buffer);
}

function framesToLines(buffer: Buffer): LogLine[] {
  const out: LogLine[] = [];
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  for (const frame of new LogFrameParser().push(buffer)) {
    for (const text of splitters[frame.stream].push(frame.data.toString('utf8'))) {
      out.push({ stream: frame.stream, text });
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    for (const text of splitters[stream].flush()) out.push({ stream, text });
  }
  return out;
}

/**
 * Follows a container's logs, calling `onLine` for each complete line, until the container
 * stops or `signal` aborts.
 */
export async function followLogs(
  docker: Docker,
  containerId: string,
  options: { tail?: number; signal?: AbortSignal },
  onLine: (line: LogLine) => void,
): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.getContainer(containerId).logs({
      stdout: true,
      stderr: true,
      follow: true,
      ...(options.tail !== undefined && { tail: options.tail }),
      ...(options.signal && { abortSignal: options.signal }),
    })) as unknown as NodeJS.ReadableStream;
  } catch (err) {
    // Aborted before the engine answered (Ctrl-C, or stdout closed while another
    // container's stream was still opening): nothing to follow, not a failure.
    if (options.signal?.aborted) return;
    throw err;
  }
  if (options.signal?.aborted) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    return;
  }
  const parser = new LogFrameParser();
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      resolve();
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        for (const text of splitters[frame.stream].push(frame.data.toString('utf8'))) {
          onLine({ stream: frame.stream, text });
        }
      }
    });
    stream.on('end', () => {
      for (const stream_ of ['stdout', 'stderr'] as const) {
        for (const text of splitters[stream_].flush()) onLine({ stream: stream_, text });
      }
      resolve();
    });
    stream.on('error', (err) => (options.signal?.aborted ? resolve() : reject(err)));
  });
}
