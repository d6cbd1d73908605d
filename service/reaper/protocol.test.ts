import { describe, expect, it } from 'vitest';
import { answerHello, reaperProtocolVersion } from './protocol.js';

describe('answerHello', () => {
  it('accepts a hello of this version with a run id', () => {
    expect(answerHello(`hello ${reaperProtocolVersion} r1-ab12\n`)).toEqual({
      run: 'r1-ab12',
      reply: `ok ${reaperProtocolVersion}`,
    });
  });

  it('refuses another version, a malformed line and a run id that could widen a filter', () => {
    expect(answerHello('hello 99 r1')).toEqual({ error: 'protocol 99 is not 1' });
    expect(answerHello('hi')).toHaveProperty('error');
    expect(answerHello('hello 1 r1 extra')).toHaveProperty('error');
    expect(answerHello('hello 1 R1')).toHaveProperty('error');
    expect(answerHello('hello 1 a=b')).toHaveProperty('error');
    expect(answerHello('hello 1 ')).toHaveProperty('error');
  });
});
