/**
 * The reaper: esteps/testing's answer to a test process that dies without tearing its stacks
 * down (SIGKILL, a crash, a cancelled CI job). One runs per engine, in a container of its own
 * with the engine's socket mounted, shared by every test process on that engine. Each test
 * process holds a TCP connection to it (protocol.ts); when a process's connection drops and
 * stays gone, the reaper removes every project whose marker volume names that process's run,
 * and nothing else. It leaves when no process has been connected for a minute.
 *
 * Bundled into the reaper image (cli/testing/reaper-image.ts); imports nothing of esteps'.
 */
import { createServer, type Socket } from 'node:net';
import { engineSocket } from './engine-socket.js';
import {
  answerHello,
  reaperContainerPort,
  reaperGraceMs,
  reaperIdleMs,
  reaperSweepMs,
} from './protocol.js';
import { markedRuns, type ReaperLabels, removeProject, runProjects } from './remove-run.js';
import { RunTracker } from './run-tracker.js';

const env = process.env;
const labels: ReaperLabels = {
  project: env.REAPER_PROJECT_LABEL ?? 'com.esteps.project',
  testRun: env.REAPER_RUN_LABEL ?? 'com.esteps.test-run',
  image: env.REAPER_IMAGE_LABEL ?? 'com.esteps.image',
  lock: env.REAPER_LOCK_LABEL ?? 'com.esteps.lock',
};
const engine = engineSocket(env.REAPER_SOCKET ?? '/var/run/docker.sock');
const number = (value: string | undefined, fallback: number) =>
  value && Number.isFinite(Number(value)) ? Number(value) : fallback;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * Removes the run's projects, then looks at them again 2 and 10 s later: a build the killed
 * process had started may still finish a step or two (the engine stops it at a step's end),
 * and a container create it had sent may still land.
 */
async function reap(run: string): Promise<void> {
  const projects = await runProjects(engine, labels, run);
  for (const [pass, delayMs] of [0, 2000, 8000].entries()) {
    await new Promise((r) => setTimeout(r, delayMs));
    for (const project of projects) {
      const removed = await removeProject(engine, labels, project);
      const total = removed.containers + removed.networks + removed.volumes + removed.images;
      if (pass > 0 && total === 0) continue;
      log(
        `run ${run}: removed project ${project} (${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes, ${removed.images} images; pass ${pass + 1})`,
      );
    }
  }
}

const tracker = new RunTracker({
  graceMs: number(env.REAPER_GRACE_MS, reaperGraceMs),
  idleMs: number(env.REAPER_IDLE_MS, reaperIdleMs),
  reap,
  idle: () => {
    log('no test process connected: leaving');
    server.close();
    process.exit(0);
  },
  log,
});

function serve(socket: Socket): void {
  let run: string | undefined;
  let buffered = '';
  socket.setEncoding('utf8');
  socket.setKeepAlive(true, 5000);
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (run === undefined) {
        const hello = answerHello(line);
        if ('error' in hello) {
          socket.end(`error ${hello.error}\n`);
          return;
        }
        run = hello.run;
        tracker.connected(run, socket);
        socket.write(`${hello.reply}\n`);
      } else if (line.trim() === 'done') {
        tracker.done(run);
      }
    }
    if (buffered.length > 1024) socket.destroy();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (run !== undefined) tracker.closed(run, socket);
  });
}

const server = createServer(serve);
server.listen(reaperContainerPort, '0.0.0.0', () => {
  log(`watching on port ${reaperContainerPort}`);
});

// Runs marked on the engine whose process is gone while no reaper ran (the engine restarted,
// the reaper was removed): once live processes have had time to reconnect, reap the rest.
setTimeout(
  () => {
    markedRuns(engine, labels).then(
      (runs) => {
        for (const run of runs) tracker.reapIfGone(run);
      },
      (err: unknown) => log(`sweep failed: ${String(err)}`),
    );
  },
  number(env.REAPER_SWEEP_MS, reaperSweepMs),
);

process.on('SIGTERM', () => process.exit(0));
