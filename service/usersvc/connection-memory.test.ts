import { describe, expect, it } from 'vitest';
import { ConnectionMemory, type MemoryHolder } from './connection-memory.js';

/** A connection as the budget sees it; `hold` charges bytes as a pipeline does. */
class FakeConnection implements MemoryHolder {
  heldBytes = 0;
  reading = true;
  closed = false;
  constructor(private readonly memory: ConnectionMemory) {
    memory.join(this);
  }
  hold(bytes: number): void {
    this.heldBytes += bytes;
    this.memory.charge(this, bytes);
  }
  pauseForMemory(): void {
    this.reading = false;
  }
  resumeForMemory(): void {
    this.reading = true;
  }
  shed(): void {
    this.closed = true;
  }
  /** The socket closed: what it held is refunded, and it leaves. */
  gone(): void {
    const held = this.heldBytes;
    this.heldBytes = 0;
    this.memory.charge(this, -held);
    this.memory.leave(this);
  }
}

const MiB = 1024 * 1024;

describe('ConnectionMemory', () => {
  it('slows a connection holding more than its share once the total is over the bound', () => {
    const memory = new ConnectionMemory({ maxBytes: 10 * MiB });
    const small = new FakeConnection(memory);
    const greedy = new FakeConnection(memory);
    small.hold(MiB);
    greedy.hold(9 * MiB);
    expect([small.reading, greedy.reading]).toEqual([true, true]);
    greedy.hold(2 * MiB);
    expect(memory.totalBytes).toBe(12 * MiB);
    expect([small.reading, greedy.reading]).toEqual([true, false]);
    // Under the bound, still over three quarters of it: still held.
    greedy.hold(-4 * MiB);
    expect(greedy.reading).toBe(false);
    // Under three quarters: read again.
    greedy.hold(-MiB);
    expect(greedy.reading).toBe(true);
  });

  it('closes the greediest beyond 1.5 times the bound, stops all reading until they are gone', () => {
    const shed: number[] = [];
    const memory = new ConnectionMemory({
      maxBytes: 10 * MiB,
      onShed: (closed) => shed.push(closed),
    });
    const probe = new FakeConnection(memory);
    const floods = Array.from({ length: 4 }, () => new FakeConnection(memory));
    probe.hold(4096);
    for (const flood of floods) flood.hold(3 * MiB);
    expect(floods.some((f) => f.closed)).toBe(false);
    floods[0]!.hold(2 * MiB);
    floods[1]!.hold(2 * MiB);
    // 16 MiB + 4 KiB: over 15. The two greediest (5 MiB each) go: 6 MiB are left.
    expect(floods.map((f) => f.closed)).toEqual([true, true, false, false]);
    expect(probe.closed).toBe(false);
    expect(shed).toEqual([2]);
    // Until their sockets closed, nothing is read, not even a new connection.
    const late = new FakeConnection(memory);
    expect([probe.reading, floods[2]!.reading, late.reading]).toEqual([false, false, false]);
    floods[0]!.gone();
    expect(probe.reading).toBe(false);
    floods[1]!.gone();
    expect(memory.totalBytes).toBe(6 * MiB + 4096);
    expect([probe.reading, floods[2]!.reading, late.reading]).toEqual([true, true, true]);
  });

  it('lets the non-greedy read again while the greedy that never read their answers stay held', () => {
    const memory = new ConnectionMemory({ maxBytes: 10 * MiB });
    const stuck = Array.from({ length: 3 }, () => new FakeConnection(memory));
    for (const s of stuck) s.hold(4 * MiB);
    // 12 MiB with 3 connections: the first two to cross the bound held more than their share.
    const probe = new FakeConnection(memory);
    probe.hold(4096);
    probe.hold(-4096);
    expect(probe.reading).toBe(true);
    expect(stuck.filter((s) => !s.reading)).toHaveLength(1);
  });
});
