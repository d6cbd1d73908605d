import { formatTable } from '../ui/table.js';
import type { SmokeCheck } from './run-smoke.js';

/** The checks as a table: name, result, time, and on failure what was expected and received. */
export function formatChecks(checks: readonly SmokeCheck[]): string {
  return formatTable(
    ['CHECK', 'RESULT', 'TIME', 'DETAIL'],
    checks.map((c) => [
      c.name,
      c.ok ? 'ok' : 'FAILED',
      `${c.durationMs} ms`,
      c.ok ? '' : `expected ${c.expected}, got ${c.received}`,
    ]),
  );
}
