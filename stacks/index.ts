import type { StackSpec } from './model.js';
import { step1 } from './step1.js';
import { didYouMean } from './suggest.js';

/** Every stack esteps knows, by name. The first is the default of `--stack`. */
export const stacks: Readonly<Record<string, StackSpec>> = { step1 };

export const defaultStackName = 'step1';

/** The stack called `name`, or undefined; `unknownStackMessage()` says what to do instead. */
export function findStack(name: string): StackSpec | undefined {
  return Object.hasOwn(stacks, name) ? stacks[name] : undefined;
}

export function unknownStackMessage(name: string): string {
  const suggestion = didYouMean(name, Object.keys(stacks));
  return suggestion ? `No stack "${name}"${suggestion}` : `No stack "${name}".`;
}
