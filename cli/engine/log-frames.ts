/**
 * The engine multiplexes a container's stdout and stderr on one stream when the container
 * has no TTY: frames of an 8-byte header (stream type, three zero bytes, big-endian length)
 * followed by the payload. This parser is incremental: feed it chunks as they arrive, frames
 * may span chunks.
 */

export interface LogFrame {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

export class LogFrameParser {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: LogFrame[] = [];
    while (this.#pending.length >= 8) {
      const type = this.#pending[0];
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + length) break;
      frames.push({
        stream: type === 2 ? 'stderr' : 'stdout',
        data: this.#pending.subarray(8, 8 + length),
      });
      this.#pending = this.#pending.subarray(8 + length);
    }
    return frames;
  }
}

/** All frames of a complete multiplexed buffer, as text (stdout and stderr interleaved). */
export function demultiplex(buffer: Buffer): string {
  return new LogFrameParser()
    .push(buffer)
    .map((f) => f.data.toString('utf8'))
    .join('');
}

/** Splits streamed text into complete lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  #partial = '';

  push(text: string): string[] {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    return parts;
  }

  flush(): string[] {
    const rest = this.#partial;
    this.#partial = '';
    return rest ? [rest] : [];
  }
}
