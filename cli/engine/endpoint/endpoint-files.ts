import { readFile, stat } from 'node:fs/promises';

/**
 * The file reads that finding the engine makes, passed in so that tests can point them at a
 * temporary DOCKER_CONFIG and home folder, and say which sockets exist.
 */
export interface EndpointFiles {
  /** The file's bytes; `undefined` when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** True when `path` exists and is a unix socket. */
  isSocket(path: string): Promise<boolean>;
}

/** This machine's files. */
export const machineFiles: EndpointFiles = {
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  },
  async isSocket(path) {
    try {
      return (await stat(path)).isSocket();
    } catch (err) {
      if (isMissing(err) || (err as { code?: string }).code === 'EACCES') return false;
      throw err;
    }
  },
};

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
