/**
 * Positions in a compiled stack module, mapped back to the stack's own sources through the
 * module's inline source map, read only when a stack throws. (Turning Node's source maps on
 * while the module loads does the same for every load, thrown or not: about 10 ms of parsing
 * the map on each command.)
 */
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const inlineMap = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** `err.stack` with every `module:line:column` replaced by the source position it came from. */
export async function mapStackTrace(err: unknown, module: string): Promise<string | undefined> {
  const stack = err instanceof Error ? err.stack : undefined;
  if (stack === undefined) return undefined;
  let map: SourceMap;
  try {
    const found = inlineMap.exec(await readFile(module, 'utf8'));
    if (!found) return stack;
    map = new SourceMap(JSON.parse(Buffer.from(found[1]!, 'base64').toString('utf8')));
  } catch {
    return stack;
  }
  return stack.replace(
    /((?:file:\/\/)?\/[^\s():]+):(\d+):(\d+)/g,
    (whole, file: string, line: string, column: string) => {
      const path = file.startsWith('file://') ? fileURLToPath(file) : file;
      if (path !== module) return whole;
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (!entry.originalSource || entry.originalLine === undefined) return whole;
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(module), entry.originalSource);
      return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    },
  );
}
