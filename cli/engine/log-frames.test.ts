import { describe, expect, it } from 'vitest';
import { demultiplex, LineSplitter, LogFrameParser } from './log-frames.js';

function frame(type: 1 | 2, text: string): Buffer {
  const data = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

describe('LogFrameParser', () => {
  it('splits stdout and stderr frames', () => {
    const frames = new LogFrameParser().push(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
    expect(frames.map((f) => [f.stream, f.data.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
    ]);
  });

  it('reassembles frames split across chunks, even inside the header', () => {
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'world\n')]);
    const parser = new LogFrameParser();
    const seen: string[] = [];
    const chunks = [all.subarray(0, 3), all.subarray(3, 9), all.subarray(9, 15), all.subarray(15)];
    for (const chunk of chunks) for (const f of parser.push(chunk)) seen.push(f.data.toString());
    expect(seen.join('')).toBe('hello world\n');
  });

  it('demultiplexes a whole buffer to text', () => {
    expect(demultiplex(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]))).toBe('a\nb\n');
  });
});

describe('LineSplitter', () => {
  it('keeps partial lines until they complete', () => {
    const s = new LineSplitter();
    expect(s.push('one\ntw')).toEqual(['one']);
    expect(s.push('o\nthree')).toEqual(['two']);
    expect(s.flush()).toEqual(['three']);
  });
});
