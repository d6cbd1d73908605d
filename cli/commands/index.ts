import type { RegisterCommand } from '../command.js';
import { registerHotpatch } from './hotpatch.js';
import { registerRender } from './render.js';
import { registerSmoke } from './smoke.js';

/** Commands in the order `esteps --help` lists them. */
export const commands: RegisterCommand[] = [registerSmoke, registerHotpatch, registerRender];
