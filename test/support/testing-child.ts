/**
 * A test process of its own that uses esteps/testing as a user's test does (the built package,
 * `dist/testing.js`): it brings a stack up, says its project on stdout, then either idles
 * until it is signalled or killed (`idle`), or waits for one line on stdin and then lets its
 * event loop run dry (`drain`), with the stack still up.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { UpOptions } from '../../cli/testing/types.js';
import { repoRoot } from './engine.js';

export interface TestingChild {
  readonly child: ResultPromise;
  /** The project once `up` resolved; rejects if the child ends first. */
  readonly ready: Promise<string>;
}

export interface TestingChildOptions {
  /** What the child passes to up() (JSON: paths, not URLs; no signal). */
  readonly up: Omit<UpOptions, 'signal' | 'file'> & { file?: string };
  readonly mode: 'idle' | 'drain';
  /** Over the test process's environment. */
  readonly env?: Record<string, string>;
  /** A command to run the child under (e.g. nsenter and its arguments). */
  readonly wrapper?: readonly string[];
}

/** Every child started, for the test file's afterAll to kill. */
export const testingChildren: ResultPromise[] = [];

export function startTestingChild(options: TestingChildOptions): TestingChild {
  const entry = join(repoRoot, 'dist', 'testing.js');
  const after =
    options.mode === 'idle'
      ? 'setInterval(() => {}, 60_000);'
      : "process.stdin.once('data', () => process.stdin.destroy());";
  const script = `
    const { up } = await import(${JSON.stringify(entry)});
    const stack = await up(${JSON.stringify(options.up)});
    process.stdout.write(JSON.stringify({ project: stack.project }) + '\\n');
    ${after}
  `;
  const command = [...(options.wrapper ?? []), 'node', '--input-type=module', '-e', script];
  const child = execa(command[0]!, command.slice(1), {
    cwd: repoRoot,
    env: options.env ?? {},
    reject: false,
    buffer: { stdout: false, stderr: true },
    stdin: 'pipe',
    // A signal the test sends takes its course alone: execa's default SIGKILLs a child that
    // has not ended 5 s after `kill()`, well before the 30 s esteps/testing may take.
    forceKillAfterDelay: false,
  });
  testingChildren.push(child);
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { project: string }).project);
    });
    void child.then((r) =>
      reject(new Error(`child ended first (${r.exitCode ?? r.signal}): ${String(r.stderr)}`)),
    );
  });
  // A child that ends on purpose rejects `ready` too: only a test awaiting it cares.
  ready.catch(() => undefined);
  return { child, ready };
}

/** The kinds of what engineLeftovers lists (`container`, `network`, `volume`, `image`). */
export function leftoverKinds(leftovers: readonly string[]): string[] {
  return [...new Set(leftovers.map((l) => l.split(' ')[0]!))].sort();
}

/**
 * The remote TCP ports of the process's connected sockets (from /proc: the process's socket
 * inodes, matched in its network namespace's tcp tables).
 */
export async function tcpPeerPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [remote, inode] = [fields[2], fields[9]];
      if (remote && inode && inodes.has(inode))
        ports.push(Number.parseInt(remote.split(':')[1]!, 16));
    }
  }
  return ports;
}
