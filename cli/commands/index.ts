import type { RegisterCommand } from '../command.js';

/** Commands in the order `esteps --help` lists them. */
export const commands: RegisterCommand[] = [];
