/**
 * README's "Which test proves which promise" table names real tests: every `*.test.ts` path in
 * it exists, every quoted name after a path is the title of a `describe`, `it` or `test` in
 * that file, every section link leads to a heading of the README, and every row lists a test
 * but the last, "Not tested here". A renamed or deleted test fails here, not in a reader's
 * hands. Pure reading of files: no engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tableHeading = '### Which test proves which promise';
const notTestedRow = '**Not tested here.**';

interface TableRow {
  promise: string;
  where: string;
  tests: string;
}

/** A file's text by its path from the repository root, or undefined when there is none. */
type ReadRepoFile = (path: string) => string | undefined;

const readRepoFile: ReadRepoFile = (path) => {
  const file = join(repoRoot, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

/** The cells of a table line, split on the pipes markdown reads as cell borders. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll('\\|', '|'));
}

/** The rows of the table under the heading (empty when there is none). */
function readTestsTable(readme: string): TableRow[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(tableHeading);
  if (start < 0) return [];
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  if (first < 0) return [];
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  const [header, , ...body] = lines.slice(first, end < 0 ? undefined : end).map(cells);
  if (header?.join(' / ') !== 'Promise / Where in this README / Tests') return [];
  return body.map(([promise = '', where = '', tests = '']) => ({ promise, where, tests }));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of the README's headings, fenced code left out. */
function headingAnchors(readme: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (!inFence && heading) anchors.add(anchorOf(heading[1]!));
  }
  return anchors;
}

/**
 * The titles of a test file's `describe`, `it` and `test` calls (with `.each(...)`, `.skip`
 * and the like), as written in its string literals.
 */
function testTitles(source: string): Set<string> {
  const call =
    /\b(?:describe|it|test)(?:\.(?:only|skip|concurrent|sequential|fails|todo))*(?:\.each\((?:[^()]|\([^()]*\))*\))?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  return new Set([...source.matchAll(call)].map((m) => m[2]!.replace(/\\(.)/g, '$1')));
}

/** Every problem of the table, each naming its row: empty when the table is true. */
function tableProblems(readme: string, read: ReadRepoFile): string[] {
  const rows = readTestsTable(readme);
  if (rows.length === 0) return [`no table under "${tableHeading}"`];
  const anchors = headingAnchors(readme);
  const problems: string[] = [];
  rows.forEach((row, index) => {
    const name = `row ${index + 1} (${row.promise.slice(0, 40)})`;
    const last = index === rows.length - 1;
    if (last !== row.promise.startsWith(notTestedRow)) {
      problems.push(`${name}: "${notTestedRow}" must be the last row, and only it`);
    }
    for (const [, anchor] of row.where.matchAll(/\]\(#([^)]+)\)/g)) {
      if (!anchors.has(anchor!)) problems.push(`${name}: no heading for the link #${anchor}`);
    }
    if (!/\]\(#/.test(row.where)) problems.push(`${name}: no section link`);
    // Test files named anywhere in the row (the last row names partial tests in its text).
    for (const [, path] of `${row.promise} ${row.tests}`.matchAll(/`([^`\s]+\.test\.ts)`/g)) {
      if (read(path!) === undefined) problems.push(`${name}: no file ${path}`);
    }
    problems.push(...testsCellProblems(name, row.tests, last, read));
  });
  return problems;
}

/**
 * The Tests cell: `path` entries, each followed by the quoted titles it holds; nothing else
 * but separators, or `none` in the last row.
 */
function testsCellProblems(name: string, tests: string, last: boolean, read: ReadRepoFile) {
  if (last) return tests === 'none' ? [] : [`${name}: the last row's tests must be "none"`];
  const problems: string[] = [];
  const entries = [...tests.matchAll(/`([^`]+)`([^`]*)/g)];
  if (entries.length === 0) problems.push(`${name}: no test file`);
  for (const [, path, after] of entries) {
    if (!path!.endsWith('.test.ts')) problems.push(`${name}: ${path} is not a test file`);
    const titles = testTitles(read(path!) ?? '');
    for (const [, title] of after!.matchAll(/"([^"]+)"/g)) {
      if (!titles.has(title!)) problems.push(`${name}: no test "${title}" in ${path}`);
    }
    if (after!.replace(/"[^"]+"/g, '').replace(/[\s;,]/g, '') !== '') {
      problems.push(`${name}: after ${path}, only quoted test names: ${after!.trim()}`);
    }
  }
  if (entries.length > 0 && tests.replace(/`[^`]+`[^`]*/g, '').trim() !== '') {
    problems.push(`${name}: the cell must start with a test file`);
  }
  return problems;
}

describe("the README's table of promises and their tests", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

  it('names only test files and tests that exist, and headings of this README', () => {
    expect(readTestsTable(readme).length).toBeGreaterThan(20);
    expect(tableProblems(readme, readRepoFile)).toEqual([]);
  });
});

describe('tableProblems', () => {
  const readme = (rows: string[]) =>
    [
      '## Run',
      tableHeading,
      '',
      '| Promise | Where in this README | Tests |',
      '| --- | --- | --- |',
      ...rows,
      `| ${notTestedRow} Nothing | [Run](#run) | none |`,
      '',
    ].join('\n');
  const files: Record<string, string> = {
    'test/a.e2e.test.ts': "describe('a', () => {\n  it(\n    'does \\'a\\' | well',\n",
    'test/b.e2e.test.ts': 'it.each(cases)(`by $signal`, () => {});',
  };
  const read: ReadRepoFile = (path) => files[path];

  it('accepts a true table: paths, titles of it, it.each and describe, an escaped pipe', () => {
    const rows = [
      '| A | [Run](#run) | `test/a.e2e.test.ts` "a", "does \'a\' \\| well"; `test/b.e2e.test.ts` "by $signal" |',
    ];
    expect(tableProblems(readme(rows), read)).toEqual([]);
  });

  it('finds a file that does not exist, a test it does not hold, and a link to no heading', () => {
    const rows = [
      '| A | [Run](#run) | `test/nope.e2e.test.ts` |',
      '| B | [Gone](#gone) | `test/a.e2e.test.ts` "does a well" |',
    ];
    expect(tableProblems(readme(rows), read)).toEqual([
      'row 1 (A): no file test/nope.e2e.test.ts',
      'row 2 (B): no heading for the link #gone',
      'row 2 (B): no test "does a well" in test/a.e2e.test.ts',
    ]);
  });

  it('finds a row without a test, a name outside quotes, and a misplaced last row', () => {
    const rows = [
      '| A | [Run](#run) | none |',
      '| B | [Run](#run) | `test/a.e2e.test.ts` a |',
      `| ${notTestedRow} X | [Run](#run) | none |`,
    ];
    expect(tableProblems(readme(rows), read)).toEqual([
      'row 1 (A): no test file',
      'row 2 (B): after test/a.e2e.test.ts, only quoted test names: a',
      `row 3 (${notTestedRow} X): "${notTestedRow}" must be the last row, and only it`,
      `row 3 (${notTestedRow} X): no test file`,
    ]);
  });

  it('says when the table is missing', () => {
    expect(tableProblems('## Run\n', read)).toEqual([`no table under "${tableHeading}"`]);
  });
});
