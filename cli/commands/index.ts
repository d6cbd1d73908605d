import type { RegisterCommand } from '../command.js';
import { registerRender } from './render.js';

/** Commands in the order `esteps --help` lists them. */
export const commands: RegisterCommand[] = [registerRender];
