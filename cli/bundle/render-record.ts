import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `esteps render -o` wrote into a folder, recorded beside it: the next render into that
 * folder replaces exactly those files (removing the ones it no longer writes) and refuses to
 * overwrite anything else, and no build context ever takes them in (a render into the stack's
 * own folder would otherwise copy itself into its next context, and `up` would send the
 * engine its secret files).
 */
export const renderRecordFile = '.esteps-render.json';

export interface RenderRecord {
  /** The files the last render wrote, relative to the record's folder, '/'-separated. */
  readonly files: readonly string[];
}

/** The record in `dir`, or an empty one when there is none (or it is not ours). */
export async function readRenderRecord(dir: string): Promise<RenderRecord> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, renderRecordFile), 'utf8')) as unknown;
    const files = (parsed as { files?: unknown }).files;
    if (Array.isArray(files) && files.every((f) => typeof f === 'string')) return { files };
  } catch {
    // None, or unreadable: nothing is known to be ours.
  }
  return { files: [] };
}

export function renderRecordText(files: readonly string[]): string {
  return `${JSON.stringify({ writtenBy: 'esteps render', files: [...files].sort() }, null, 2)}\n`;
}
