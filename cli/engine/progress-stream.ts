/**
 * The engine's build and pull answers are streams of JSON objects, one per line. The request
 * succeeds even when the build fails: the failure is an `error`/`errorDetail` object inside
 * the stream, which dockerode's followProgress does not turn into an error
 * (https://github.com/apocas/dockerode/issues/639). So every line is parsed and scanned here.
 */
export interface ProgressMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string; readonly Digest?: string };
}

/** Splits a JSON-lines stream into messages; calls `onMessage` for each, in order. */
export function readProgressStream(
  stream: NodeJS.ReadableStream,
  onMessage: (message: ProgressMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  let partial = '';
  const emit = (line: string) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    try {
      onMessage(JSON.parse(trimmed) as ProgressMessage);
    } catch {
      onMessage({ stream: `${trimmed}\n` });
    }
  };
  return new Promise((resolve, reject) => {
    const abort = () => {
      (stream as unknown as { destroy?: (e?: Error) => void }).destroy?.();
      reject(signal?.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line);
    });
    stream.on('end', () => {
      signal?.removeEventListener('abort', abort);
      emit(partial);
      resolve();
    });
    stream.on('error', (err) => {
      signal?.removeEventListener('abort', abort);
      reject(err);
    });
  });
}
