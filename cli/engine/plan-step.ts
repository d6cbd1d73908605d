/**
 * The one view of a plan, whatever the target: each step an action on a target with its
 * cause. `up` prints it as text and `--json` carries it; both come from here.
 */
export interface PlanStep {
  /** The target's own operation kind: `create-container`, `update-service`, ... */
  readonly kind: string;
  /** `create`, `recreate`, `start`, `build`, `push`, `update`, `remove`, `wait`, `unchanged`. */
  readonly action: string;
  /** What it acts on: `container step1-usersvc-1`, `service usersvc x3 (rolling)`, ... */
  readonly target: string;
  readonly cause: string;
}

/** The plan as aligned lines, one per step, each with its cause. */
export function formatPlanSteps(
  project: string,
  steps: readonly PlanStep[],
  changed: boolean,
): string {
  const actionWidth = Math.max(0, ...steps.map((s) => s.action.length));
  const targetWidth = Math.max(0, ...steps.map((s) => s.target.length));
  const lines = steps.map(
    (s) => `  ${s.action.padEnd(actionWidth)}  ${s.target.padEnd(targetWidth)}  ${s.cause}`,
  );
  return [`plan for project ${project}:`, ...lines, ...(changed ? [] : ['nothing to do'])].join(
    '\n',
  );
}
