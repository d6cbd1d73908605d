import { describe, expect, it } from 'vitest';
import { describeHolder, holderState, type LockHolder, parseHolder } from './lock-holder.js';

const holder: LockHolder = { command: 'up', pid: 4242, host: 'dev', boot: 'b1', heartbeatMs: 1000 };
const here = (alive: boolean, host = 'dev', boot = 'b1') => ({
  host,
  boot,
  isAlive: () => alive,
});
const seen = (beatMs: number, engineNowMs: number, h: LockHolder | null = holder) => ({
  holder: h ?? undefined,
  createdMs: 1_000_000,
  beatMs,
  engineNowMs: 1_000_000 + engineNowMs,
});

describe('holderState', () => {
  it('keeps a lock whose holder beats', () => {
    expect(holderState(seen(4000, 5000), here(true))).toEqual({ stale: false, heardAgoMs: 1000 });
  });

  it('takes over at once from a holder on this machine whose process is gone', () => {
    expect(holderState(seen(0, 100), here(false))).toEqual({
      stale: true,
      heardAgoMs: 100,
      reason: 'process 4242 no longer runs',
    });
  });

  it('never looks up the pid of a holder on another machine, or before a reboot', () => {
    expect(holderState(seen(0, 100), here(false, 'ci-7')).stale).toBe(false);
    expect(holderState(seen(0, 100), here(false, 'dev', 'b2')).stale).toBe(false);
  });

  it('takes over from any holder that missed five beats', () => {
    expect(holderState(seen(2000, 7000), here(true, 'ci-7')).stale).toBe(false);
    expect(holderState(seen(2000, 7001), here(true, 'ci-7'))).toEqual({
      stale: true,
      heardAgoMs: 5001,
      reason: 'not heard from for 5.0 s',
    });
    // A live pid on this machine that stopped beating is a reused pid, or a hung holder.
    expect(holderState(seen(0, 60_000), here(true)).stale).toBe(true);
  });

  it('reads an unknown holder with the default interval', () => {
    expect(holderState(seen(0, 14_000, null), here(true)).stale).toBe(false);
    expect(holderState(seen(0, 15_001, null), here(true)).stale).toBe(true);
  });
});

describe('parseHolder and describeHolder', () => {
  it('reads its own label and nothing else', () => {
    expect(parseHolder(JSON.stringify(holder))).toEqual(holder);
    expect(parseHolder('{"command":"up"}')).toBeUndefined();
    expect(parseHolder('not json')).toBeUndefined();
    expect(parseHolder(undefined)).toBeUndefined();
  });

  it('says where the holder runs', () => {
    expect(describeHolder(holder, here(true))).toBe('esteps up (pid 4242 on this machine)');
    expect(describeHolder(holder, here(true, 'laptop'))).toBe('esteps up (pid 4242 on host dev)');
    expect(describeHolder(undefined, here(true))).toBe('an unknown holder');
  });
});
