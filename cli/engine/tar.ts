/**
 * A minimal, deterministic ustar writer for build contexts: entries sorted by path, fixed
 * mtime, uid/gid 0 unless given, no user names. Equal inputs give byte-equal archives, so the engine's
 * layer cache is reused for an unchanged context and the context digest is stable.
 */

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. At most 255 bytes (ustar). */
  readonly path: string;
  readonly data: Buffer;
  /** @default 0o644 */
  readonly mode?: number;
  /** Owner in the container (the engine's archive API keeps it on extraction). @default 0 */
  readonly uid?: number;
  /** @default 0 */
  readonly gid?: number;
  /**
   * A symbolic link to this target (as written, relative or absolute; at most 100 bytes, the
   * ustar field): `data` is then ignored. Docker keeps a context's links as links.
   */
  readonly linkTarget?: string;
}

/** 2000-01-01T00:00:00Z: any fixed time works; zero upsets some tools. */
const FIXED_MTIME = 946684800;

export function createTar(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blocks: Buffer[] = [];
  for (const entry of sorted) {
    blocks.push(header(entry));
    if (entry.linkTarget !== undefined) continue;
    blocks.push(entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function header(entry: TarEntry): Buffer {
  const { name, prefix } = splitPath(entry.path);
  const h = Buffer.alloc(512);
  name.copy(h, 0);
  prefix.copy(h, 345);
  const link = entry.linkTarget === undefined ? undefined : Buffer.from(entry.linkTarget, 'utf8');
  if (link && link.length > 100) {
    throw new Error(
      `symbolic link target too long for a build context (ustar keeps 100 bytes): ${entry.path} -> ${entry.linkTarget}`,
    );
  }
  octal(h, 100, 8, entry.mode ?? (link ? 0o777 : 0o644));
  octal(h, 108, 8, entry.uid ?? 0);
  octal(h, 116, 8, entry.gid ?? 0);
  octal(h, 124, 12, link ? 0 : entry.data.length);
  octal(h, 136, 12, FIXED_MTIME);
  h.fill(' ', 148, 156);
  h.write(link ? '2' : '0', 156, 'ascii');
  link?.copy(h, 157);
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return h;
}

/** ustar keeps a path of up to 255 bytes as a prefix (155) and a name (100), split at a '/'. */
function splitPath(path: string): { name: Buffer; prefix: Buffer } {
  const whole = Buffer.from(path, 'utf8');
  if (whole.length <= 100) return { name: whole, prefix: Buffer.alloc(0) };
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const prefix = Buffer.from(path.slice(0, i), 'utf8');
    const name = Buffer.from(path.slice(i + 1), 'utf8');
    if (prefix.length <= 155 && name.length <= 100) return { name, prefix };
  }
  throw new Error(`tar path too long for a build context (ustar keeps 255 bytes): ${path}`);
}

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, 'ascii');
}
