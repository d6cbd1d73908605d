import type { RegisterCommand } from '../command.js';
import { smoke } from '../operations/smoke.js';
import { formatChecks } from '../smoke/format-checks.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export const registerSmoke: RegisterCommand = (program, run) => {
  withTargetOption(
    withProjectOptions(
      program
        .command('smoke')
        .description(
          "Run the stack's smoke checks against it (step 1: the user story; step 2: through the edge)",
        ),
      'print one JSON document with a record per check',
    ),
    'run the checks against the project on the Swarm the engine is a manager of',
  ).action(
    run<ProjectOptions & TargetOptions>(async (ctx, options) => {
      const outcome = await smoke(ctx, projectInput(options));
      return { data: outcome, text: formatChecks(outcome.checks) };
    }),
  );
};
