import type { RegisterCommand } from '../command.js';
import { registerDown } from './down.js';
import { registerEnvoy } from './envoy.js';
import { registerHotpatch } from './hotpatch.js';
import { registerInit } from './init.js';
import { registerLogs } from './logs.js';
import { registerPs } from './ps.js';
import { registerRender } from './render.js';
import { registerSmoke } from './smoke.js';
import { registerUp } from './up.js';
import { registerWatch } from './watch.js';

/** Commands in the order `esteps --help` lists them. */
export const commands: RegisterCommand[] = [
  registerUp,
  registerDown,
  registerPs,
  registerLogs,
  registerSmoke,
  registerHotpatch,
  registerWatch,
  registerRender,
  registerInit,
  registerEnvoy,
];
