import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { type RunningExec, startExec } from './exec.js';

/**
 * Writes one file inside a running container by a small `node` process started there as the
 * file's owner: the file goes wherever the container sees that path, a tmpfs of a container
 * whose root filesystem is read-only included (the engine's archive API, `docker cp`, writes
 * to the container's root filesystem and cannot reach its tmpfs mounts). The data travels as
 * one JSON line on stdin (path and base64 data), is written beside the target and renamed onto it, and the process
 * answers one JSON line. Started ahead of time (`start`), so `node` is up when the data is.
 */
export interface ContainerFileWriter {
  /** Sends the file (absolute path in the container); resolves once it is in place. */
  write(file: string, data: Buffer): Promise<void>;
  cancel(): void;
  /** Settles once the writing process ended. */
  readonly result: Promise<unknown>;
}

const writerScript = `
const fs = require('node:fs');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
  const end = input.indexOf('\\n');
  if (end < 0) return;
  try {
    const { path, data } = JSON.parse(input.slice(0, end));
    const temporary = path + '.' + process.pid + '.tmp';
    fs.writeFileSync(temporary, Buffer.from(data, 'base64'), { mode: 0o644 });
    fs.renameSync(temporary, path);
    process.stdout.write(JSON.stringify({ ok: true }) + '\\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.message) }) + '\\n');
  }
  process.exit(0);
});
`;

export async function startFileWriter(
  container: Docker.Container,
  owner: { readonly uid: number; readonly gid: number },
  timeoutMs: number,
): Promise<ContainerFileWriter> {
  const exec: RunningExec = await startExec(container, ['node', '-e', writerScript], {
    user: `${owner.uid}:${owner.gid}`,
    timeoutMs,
    failure: 'HOTPATCH_FAILED',
  });
  return {
    async write(file, data) {
      void exec.write(`${JSON.stringify({ path: file, data: data.toString('base64') })}\n`);
      const line = (await exec.firstLine) ?? '';
      let answer: { ok?: boolean; error?: string } = {};
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        // Reported below with what came instead.
      }
      if (!answer.ok) {
        const result = await exec.result.catch(() => undefined);
        throw new EstepsError(
          'HOTPATCH_FAILED',
          `Writing ${file} in ${container.id.slice(0, 12)} failed: ${answer.error ?? (`${line}${result?.stderr ?? ''}`.trim() || 'no answer')}.`,
          {
            hint: `Check that ${file}'s folder exists and is writable by ${owner.uid}:${owner.gid} (a tmpfs on a read-only root filesystem).`,
          },
        );
      }
    },
    cancel: () => exec.cancel(),
    result: exec.result,
  };
}
