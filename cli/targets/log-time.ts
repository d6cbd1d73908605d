import type { LogLine } from '../engine/container-logs.js';

/**
 * Splits the engine's RFC 3339 timestamp off a log line, normalised to sort as text (nine
 * digits of fraction), so replicas' lines merge in time order.
 */
export function splitLogTime(line: LogLine): LogLine & { time: string } {
  const space = line.text.indexOf(' ');
  const stamp = space > 0 ? line.text.slice(0, space) : '';
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(stamp);
  if (!m) return { ...line, time: '' };
  return {
    ...line,
    text: line.text.slice(space + 1),
    time: `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`,
  };
}
