import { describe, expect, it } from 'vitest';
import { parseReloadAnswer, reloadWhenToldScript } from './hotpatch.js';

describe('parseReloadAnswer', () => {
  it('reads the one JSON line the supervisor prints', () => {
    expect(
      parseReloadAnswer(
        '{"ok":true,"version":"abcdef012345","previousVersion":"0123456789ab","durationMs":12}\n',
      ),
    ).toEqual({
      ok: true,
      version: 'abcdef012345',
      previousVersion: '0123456789ab',
      durationMs: 12,
    });
  });

  it('takes the last line when something was printed before it', () => {
    expect(parseReloadAnswer('warming up\n{"ok":false,"error":"boom","output":"trace"}\n')).toEqual(
      {
        ok: false,
        error: 'boom',
        output: 'trace',
      },
    );
  });

  it('returns undefined for empty, non-JSON, or JSON without a boolean ok', () => {
    expect(parseReloadAnswer('')).toBeUndefined();
    expect(parseReloadAnswer('  \n')).toBeUndefined();
    expect(parseReloadAnswer('Error: Cannot find module')).toBeUndefined();
    expect(parseReloadAnswer('null')).toBeUndefined();
    expect(parseReloadAnswer('{"ok":"yes"}')).toBeUndefined();
    expect(parseReloadAnswer('[1,2]')).toBeUndefined();
  });
});

describe('reloadWhenToldScript', () => {
  it('is valid JavaScript that runs the contract command: supervisor.js reload <path>', () => {
    expect(() => new Function('require', 'process', reloadWhenToldScript)).not.toThrow();
    expect(reloadWhenToldScript).toContain("'/app/supervisor.js','reload'");
    expect(reloadWhenToldScript).not.toContain('\n');
  });
});
