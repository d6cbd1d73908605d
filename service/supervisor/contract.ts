/**
 * The hot-patch contract between esteps (cli/engine/patch-replica.ts) and the supervisor it
 * runs in a container (service/supervisor/), in one module that both sides import:
 *
 * - A service's code is one bundle; its version is the first 12 hex digits of its SHA-256
 *   (`codeVersion`). The supervisor gives each worker its version in SERVICE_VERSION, and a
 *   hot-patchable service names it in its readiness answer.
 * - A patch is copied to `releases/service-<version>.js` beside the service file
 *   (`releaseFile`), owned by the container's user; then a control request
 *   `{"cmd":"reload","file":...}` on the supervisor's unix socket starts it beside the old
 *   code, switches once it is ready, drains the old, and answers one `ControlAnswer` line,
 *   with `persisted: false` and a `warning` when a restart of the container would not run
 *   the new code (releases.ts).
 * - Workers and supervisor talk over the cluster IPC channel (`ipcMessages`).
 *
 * It must stay free of imports beyond node's own: the supervisor's bundle and the CLI both
 * carry it, and `sendControl` is shipped as source into `node -e` (reloadClientScript).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** Messages between the supervisor and a service worker over the cluster IPC channel. */
export const ipcMessages = {
  /**
   * Worker → supervisor, once listening: `{type, version, port}`. Optional: a worker that
   * listens (the cluster's 'listening' event) is ready too.
   */
  ready: 'esteps:ready',
  /**
   * Supervisor → worker: stop accepting, finish what is open, exit 0. A worker that does not
   * handle it is disconnected (its servers close) and killed after the drain bound.
   */
  drain: 'esteps:drain',
  /**
   * Worker → supervisor, once drained: about to exit. The supervisor answers `released`.
   * A connection the supervisor handed over just before the worker stopped listening is still
   * on its way; the worker exits only once it got the answer (or after a bound), so that it
   * had that connection in hand and declined it, and the supervisor gave it to another
   * worker. Exiting at once loses it: the client waits forever.
   */
  drained: 'esteps:drained',
  /** Supervisor → worker: everything sent to you before this arrived; exit now. */
  released: 'esteps:released',
} as const;

/** The environment variable naming the code version a worker runs. */
export const versionVariable = 'SERVICE_VERSION';

/** Default path of the supervisor's control socket; env SUPERVISOR_SOCKET overrides it. */
export const defaultSocketPath = '/tmp/esteps-supervisor.sock';

/** The environment variable that moves the supervisor's control socket. */
export const socketVariable = 'SUPERVISOR_SOCKET';

/** Where the supervisor's control socket is, given the container's environment. */
export function supervisorSocketPath(env: Readonly<Record<string, string | undefined>>): string {
  return env[socketVariable] || defaultSocketPath;
}

/** How long a reload may take, as both sides bound it. */
export const reloadTimeoutMs = 60_000;

export type ControlRequest = { cmd: 'reload'; file: string } | { cmd: 'status' };

/** The supervisor's one-line answer to a control request. */
export interface ControlAnswer {
  readonly ok: boolean;
  /** The version serving after the request. */
  readonly version?: string | null;
  readonly previousVersion?: string;
  /** The supervisor's own time for a reload. */
  readonly durationMs?: number;
  /** The version already served: nothing changed. */
  readonly unchanged?: boolean;
  /** Why the request failed. */
  readonly error?: string;
  /** The new code's output when it failed to start. */
  readonly output?: string;
  /** A reload: whether a restart of the container runs the new code (releases.ts). */
  readonly persisted?: boolean;
  /** Set when it would not: why, in one sentence. */
  readonly warning?: string;
  readonly [extra: string]: unknown;
}

/** The code version of a bundle, as the supervisor and the service's readiness answer report it. */
export function codeVersion(code: Uint8Array | string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 12);
}

/** Where a patch of `version` lands for a service run from `servicePath` (posix, in the container). */
export function releaseFile(servicePath: string, version: string): string {
  return posix.join(posix.dirname(servicePath), 'releases', `service-${version}.js`);
}

/** Reads the answer line a reload client printed; undefined when there is none. */
export function parseControlAnswer(stdout: string): ControlAnswer | undefined {
  const line = stdout.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as ControlAnswer;
    return parsed !== null && typeof parsed.ok === 'boolean' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends one control request and resolves with the answer; connection problems become
 * `{ok: false}`. Self-contained (`net` is passed in) because its source is also run by
 * `node -e` in containers: see reloadClientScript.
 */
export function sendControl(
  net: typeof import('node:net'),
  socketPath: string,
  request: ControlRequest,
  timeoutMs: number,
): Promise<ControlAnswer> {
  return new Promise((resolve) => {
    let buffered = '';
    let settled = false;
    const socket = net.connect(socketPath);
    const settle = (answer: ControlAnswer) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(answer);
    };
    const fail = (error: string) => settle({ ok: false, error, output: '' });
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () =>
      fail(`no answer from the supervisor within ${timeoutMs} ms`),
    );
    socket.on('error', (err) => fail(`supervisor not reachable at ${socketPath}: ${err.message}`));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) {
        if (buffered.length > 1024 * 1024) fail('answer from the supervisor too long');
        return;
      }
      try {
        settle(JSON.parse(buffered.slice(0, end)) as ControlAnswer);
      } catch {
        settle({ ok: false, error: 'unreadable answer from the supervisor', output: buffered });
      }
    });
    socket.on('end', () => fail('the supervisor closed the connection without answering'));
  });
}

/**
 * What esteps sends a reload client on its stdin (both clients read it: the one without Node,
 * reload-client.ts, and `reloadClientScript`): one header line, `reload <file>` when the
 * release is in place, or `write <size> <file>` followed by exactly `size` bytes of code,
 * which the client writes to `file` first (beside it, then renamed onto it, mode 0644), so
 * one process in the container does both when it runs as the release's owner.
 */
export function reloadClientInput(file: string, code?: Uint8Array): Buffer {
  if (code === undefined) return Buffer.from(`reload ${file}\n`);
  return Buffer.concat([Buffer.from(`write ${code.length} ${file}\n`), code]);
}

/**
 * A `node -e` script esteps may start in the container before the patch is ready: it waits
 * for its input on stdin (reloadClientInput), writes the code when given, sends the reload
 * request, prints the answer line and exits 0 when it says ok. Stdin closing first means the
 * patch was abandoned: it exits 2 without asking for anything. The fallback of the client
 * that needs no Node start (reload-client.ts), for images without perl or sh.
 *
 * When it wrote the code, its answer carries `writeMs`; a write that fails answers
 * `{ok: false, writeFailed: true, error}` and asks for nothing.
 */
export function reloadClientScript(socketPath?: string): string {
  // Without a path, the client finds the socket where the supervisor does: from the
  // container's environment (an exec inherits it), so a stack that moves the socket is served.
  const socket =
    socketPath === undefined
      ? `process.env[${JSON.stringify(socketVariable)}]||${JSON.stringify(defaultSocketPath)}`
      : JSON.stringify(socketPath);
  return [
    `const send=${sendControl.toString()};`,
    'let b=Buffer.alloc(0);',
    "process.stdin.on('end',()=>process.exit(2));",
    "const say=(a)=>process.stdout.write(JSON.stringify(a)+'\\n',()=>process.exit(a.ok?0:1));",
    "process.stdin.on('data',(c)=>{b=Buffer.concat([b,c]);const i=b.indexOf(10);if(i<0)return;",
    "const h=b.subarray(0,i).toString().split(' '),n=h[0]==='write'?Number(h[1]):-1;",
    'if(b.length<i+1+n)return;',
    'process.stdin.removeAllListeners();process.stdin.pause();',
    "let file=h.slice(n<0?1:2).join(' '),w;if(n>=0){",
    "const t=Date.now(),fs=require('fs'),tmp=file+'.'+process.pid+'.tmp';",
    'try{fs.writeFileSync(tmp,b.subarray(i+1,i+1+n),{mode:0o644});fs.renameSync(tmp,file);}',
    "catch(e){return say({ok:false,writeFailed:true,error:String(e&&e.message),output:''});}w=Date.now()-t;}",
    `send(require('net'),${socket},{cmd:'reload',file},${reloadTimeoutMs})`,
    '.then((a)=>say(w===undefined?a:{...a,writeMs:w}));});',
  ].join('');
}
