import { randomBytes } from 'node:crypto';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { nameProblem, showName } from '../../stacks/validate/names.js';
import { EstepsError } from '../errors.js';

/**
 * The project a test brings up: the one given; with `reuse`, the prefix alone (the same
 * project in every test file and run); else the prefix and a random part, so that the same
 * stack runs in several test processes at once.
 */
export function testProjectName(options: {
  readonly project?: string;
  readonly prefix?: string;
  readonly reuse: boolean;
  readonly stackName: string;
}): string {
  if (options.project !== undefined) return options.project;
  const prefix = options.prefix ?? `${options.stackName.slice(0, 49)}-test`;
  // Room for `-` and 8 hex digits within the 63 characters of a project name.
  const problem =
    prefix.length > 54 ? 'is longer than 54 characters' : nameProblem(prefix, 'project');
  if (problem) {
    throw new EstepsError('USAGE', `The projectPrefix ${showName(prefix)} ${problem}.`, {
      hint: 'Use lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 54 characters.',
    });
  }
  return options.reuse ? prefix : `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** What the stack's host ports are made of, for a test that must not clash with another. */
export interface TestPorts {
  /** `{ VARIABLE: '0' }` for each host-port variable the caller did not set: the engine picks. */
  readonly enginePicked: Readonly<Record<string, string>>;
  /** Host ports written in the stack as numbers (not 0): one test at a time can have each. */
  readonly literal: readonly { readonly path: string; readonly hostPort: number }[];
}

const portPath = /^services\.([^.]+)\.ports\[(\d+)\]\.hostPort$/;

/** The stack's host ports: from variables (engine-picked unless `fixed` sets them) or literal. */
export function testPorts(
  stack: ResolvedStack,
  fixed: Readonly<Record<string, string>>,
): TestPorts {
  const enginePicked: Record<string, string> = {};
  for (const [path, origin] of Object.entries(stack.origins)) {
    if (portPath.test(path) && !Object.hasOwn(fixed, origin.variable)) {
      enginePicked[origin.variable] = '0';
    }
  }
  const literal = stack.services.flatMap((s) =>
    s.ports.flatMap((p, i) => {
      const path = `services.${s.name}.ports[${i}].hostPort`;
      return stack.origins[path] === undefined && p.hostPort !== 0
        ? [{ path, hostPort: p.hostPort }]
        : [];
    }),
  );
  return { enginePicked, literal };
}
