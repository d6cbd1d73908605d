/**
 * `up()` of esteps/testing, loaded on its first call (the entry stays small for every test
 * file that imports it): the stack's project loaded while the reaper is reached, a project
 * name and engine-picked host ports of the test's own, the project marked for the reaper,
 * then the `up` operation, which returns once every service is ready by the stack's own
 * readiness. A failed `up` removes what it made.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bothInOrder } from '../both-in-order.js';
import { connectEngine, type Engine, engineAddress } from '../engine/client.js';
import { projectFilter } from '../engine/labels.js';
import { EstepsError } from '../errors.js';
import type { OperationContext } from '../operations/context.js';
import { loadProjectFor, type ProjectInput } from '../operations/project-input.js';
import { type UpOutcome, up } from '../operations/up.js';
import { createProgress } from '../ui/progress.js';
import { addLiveStack, processSignal, removeLiveStack, setExitHook } from './live-stacks.js';
import { connectReaper, type Reaper } from './reaper-client.js';
import { downTestProject, stackHandle } from './stack-handle.js';
import { type TestPorts, testPorts, testProjectName } from './test-project.js';
import type { TestStack, UpOptions } from './types.js';

/** Projects this process brought up: up() may bring one of them up again by name. */
const broughtUp = new Set<string>();

export async function startStack(options: UpOptions): Promise<TestStack> {
  const given = options.env ?? {};
  const reuse = options.reuse ?? false;
  const base: OperationContext = {
    cwd: resolve(options.cwd ?? process.cwd()),
    env: { ...process.env, ...given },
    progress: createProgress(options.progress ? { stream: process.stderr } : { quiet: true }),
    signal: options.signal ? AbortSignal.any([options.signal, processSignal]) : processSignal,
    output: () => undefined,
  };
  const choice: ProjectInput = {
    ...(options.file !== undefined && {
      file: options.file instanceof URL ? fileURLToPath(options.file) : options.file,
    }),
    ...(options.stack !== undefined && { stack: options.stack }),
  };
  const watched = !reuse && base.env.ESTEPS_REAPER !== 'off';
  const [loaded, reaper] = await bothInOrder(
    loadProjectFor(base, {
      ...choice,
      ...(options.project !== undefined && { project: options.project }),
    }),
    watched ? testReaper(base.env) : Promise.resolve(undefined),
  );
  const project = testProjectName({
    ...(options.project !== undefined && { project: options.project }),
    ...(options.projectPrefix !== undefined && { prefix: options.projectPrefix }),
    reuse,
    stackName: loaded.stack.name,
  });
  const ports = testPorts(loaded.resolved, given);
  const ctx: OperationContext = { ...base, env: { ...base.env, ...ports.enginePicked } };
  const input: ProjectInput = { ...choice, project };
  const docker = async () => (await engineFor(base.env)).docker;
  if (options.project !== undefined && !reuse && !broughtUp.has(project)) {
    await refuseExisting(await docker(), project);
  }
  await reaper?.mark(project);
  broughtUp.add(project);

  const upping = upUntilUnlocked(
    ctx,
    { ...input, ...(options.scale && { scale: options.scale }) },
    reuse,
  );
  let removal: Promise<unknown> | undefined;
  const remove = () => {
    removal ??= upping
      .catch(() => undefined)
      .then(() => downTestProject({ ctx, input, docker }, true));
    return removal;
  };
  // A signal while `up` runs: it stops at its next safe point, then the project goes.
  const during = { project, teardown: async () => void (await remove()) };
  if (!reuse) addLiveStack(during);
  let outcome: UpOutcome;
  try {
    outcome = await upping;
  } catch (err) {
    // LOCKED: another process is working on this (explicit) project; nothing here made it.
    const theirs = err instanceof EstepsError && err.code === 'LOCKED';
    if (!reuse && !theirs) await remove().catch(() => undefined);
    throw withPortHint(err, ports);
  } finally {
    removeLiveStack(during);
  }
  return stackHandle({ ctx, input, stack: loaded.resolved, outcome, reuse, docker });
}

/**
 * `up`, waiting while another process holds the project's lock (with `reuse`, test files
 * started together bring up the same project: the first does the work, the others then find
 * it up).
 */
async function upUntilUnlocked(
  ctx: OperationContext,
  input: Parameters<typeof up>[1],
  reuse: boolean,
): Promise<UpOutcome> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      return await up(ctx, input);
    } catch (err) {
      const locked = err instanceof EstepsError && err.code === 'LOCKED';
      if (!reuse || !locked || Date.now() > deadline || ctx.signal.aborted) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** An explicit project that exists already would be removed at the end: refused instead. */
async function refuseExisting(docker: Engine['docker'], project: string): Promise<void> {
  const filters = projectFilter(project);
  const [containers, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
  ]);
  if (containers.length === 0 && (volumes.Volumes ?? []).length === 0) return;
  throw new EstepsError(
    'USAGE',
    `Project ${project} already exists on the engine, and up() would remove it at the end.`,
    {
      hint: 'Pass reuse: true to use it and leave it up, or leave project out for a project of the test’s own.',
    },
  );
}

/** PORT_IN_USE of a stack with host ports written as numbers: say how to make them the engine's. */
function withPortHint(err: unknown, ports: TestPorts): unknown {
  if (!(err instanceof EstepsError) || err.code !== 'PORT_IN_USE' || ports.literal.length === 0) {
    return err;
  }
  const paths = ports.literal.map((p) => `${p.path} (${p.hostPort})`).join(', ');
  return new EstepsError('PORT_IN_USE', err.message, {
    hint: `${paths} is a number in the stack, so one test at a time can publish it: write { env: 'SOME_PORT', default: '${ports.literal[0]!.hostPort}' } and each up() gets a port the engine picks.`,
    cause: err,
    ...(err.details && { details: err.details }),
  });
}

const engines = new Map<string, Promise<Engine>>();
const reapers = new Map<string, Promise<Reaper>>();
const reached: Reaper[] = [];

function engineFor(env: OperationContext['env']): Promise<Engine> {
  const key = engineAddress(env);
  let engine = engines.get(key);
  if (!engine) {
    engine = connectEngine(env, 10_000);
    engines.set(key, engine);
    engine.catch(() => engines.delete(key));
  }
  return engine;
}

/** This process's reaper on the engine `env` names: reached once, kept for the process. */
function testReaper(env: OperationContext['env']): Promise<Reaper> {
  const key = engineAddress(env);
  let reaper = reapers.get(key);
  if (!reaper) {
    reaper = engineFor(env).then((engine) =>
      connectReaper({ docker: engine.docker, endpoint: engine.endpoint, env }),
    );
    reapers.set(key, reaper);
    reaper.then(
      (r) => {
        reached.push(r);
        setExitHook(() => {
          for (const each of reached) each.done();
        });
      },
      () => reapers.delete(key),
    );
  }
  return reaper;
}
