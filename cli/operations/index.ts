/**
 * The operations: what every esteps command does, as typed functions of a context and an
 * input that return a typed outcome and throw EstepsError (a stable `code`) on failure. The
 * CLI's commands parse options into these inputs and format their outcomes; the programmatic
 * API (tests bringing stacks up) calls them directly.
 */
export type { OperationContext } from './context.js';
export { type DownInput, type DownOutcome, down } from './down.js';
export { type HotpatchInput, type HotpatchOutcome, hotpatch } from './hotpatch.js';
export { type InitInput, type InitOutcome, init } from './init.js';
export { type LogsInput, type LogsOutcome, logs } from './logs.js';
export type { ProjectInput } from './project-input.js';
export { type PsOutcome, ps } from './ps.js';
export { type RenderInput, type RenderOutcome, render } from './render.js';
export { type SmokeOutcome, smoke } from './smoke.js';
export { type UpInput, type UpOutcome, up } from './up.js';
export { type WatchInput, type WatchOutcome, watch } from './watch.js';
