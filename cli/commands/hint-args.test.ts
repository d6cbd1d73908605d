import { describe, expect, it } from 'vitest';
import { qualifyHint } from './hint-args.js';

describe('qualifyHint', () => {
  it("puts the user's -f and -p after every command the hint names", () => {
    expect(
      qualifyHint('Bring it up with `esteps up -p shop`, then retry.', {
        file: 'app/stack.ts',
        project: 'shop',
      }),
    ).toBe('Bring it up with `esteps up -f app/stack.ts -p shop`, then retry.');
    expect(
      qualifyHint('Start over: esteps down --volumes -p shop.', { file: 'app/stack.ts' }),
    ).toBe('Start over: esteps down -f app/stack.ts --volumes.');
    expect(
      qualifyHint('Fix the cause, then run esteps up again; esteps ps shows it.', {
        stack: 'step2',
      }),
    ).toBe(
      'Fix the cause, then run esteps up --stack step2 again; esteps ps --stack step2 shows it.',
    );
  });

  it('says --file for logs, whose -f follows', () => {
    expect(
      qualifyHint("Look at the services' logs: esteps logs -p shop.", {
        file: 'my stack.ts',
        project: 'shop',
      }),
    ).toBe("Look at the services' logs: esteps logs --file 'my stack.ts' -p shop.");
  });

  it('leaves a hint alone when the user chose nothing, and other commands always', () => {
    const hint = 'Run esteps up -p shop; esteps init DIR writes a stack.';
    expect(qualifyHint(hint, {})).toBe(hint);
    expect(qualifyHint('esteps init DIR', { file: 'x.ts' })).toBe('esteps init DIR');
  });
});
