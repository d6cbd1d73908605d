/**
 * The stacks that ship with esteps (the tutorial's steps), by name: each is a stack file in
 * this folder, loaded and compiled like any user's. The first is the default when no stack
 * file is given or found.
 */
export const builtInStacks = {
  step1: 'step1.ts',
  step2: 'step2.ts',
  step3: 'step3.ts',
  step4: 'step4.ts',
} as const satisfies Record<string, string>;

export type BuiltInStack = keyof typeof builtInStacks;

export const defaultStackName: BuiltInStack = 'step1';

/** The file name esteps looks for in the working directory, as docker compose looks for compose.yaml. */
export const defaultStackFile = 'esteps.stack.ts';
