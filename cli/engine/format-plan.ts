import type { Operation, Plan, WaitCondition } from './plan.js';
import { formatPlanSteps, type PlanStep } from './plan-step.js';

const conditionText: Record<WaitCondition, string> = {
  started: 'running',
  healthy: 'healthy',
  http: 'answering its HTTP probe',
};

/** One operation as a plan step (action, target, cause): what `up` prints and `--json` carries. */
export function describeOperation(op: Operation): PlanStep {
  return { kind: op.kind, ...describeAction(op) };
}

function describeAction(op: Operation): Omit<PlanStep, 'kind'> {
  switch (op.kind) {
    case 'create-network':
      return { action: 'create', target: `network ${op.name}`, cause: op.cause };
    case 'create-volume':
      return { action: 'create', target: `volume ${op.name}`, cause: op.cause };
    case 'pull-image':
      return { action: 'pull', target: `image ${op.image}`, cause: op.cause };
    case 'build-image':
      return { action: 'build', target: `image ${op.image}`, cause: op.cause };
    case 'create-container':
      return { action: 'create', target: `container ${op.name}`, cause: op.cause };
    case 'recreate-container':
      return { action: 'recreate', target: `container ${op.name}`, cause: op.cause };
    case 'start-container':
      return { action: 'start', target: `container ${op.name}`, cause: op.cause };
    case 'remove-container':
      return { action: 'remove', target: `container ${op.name}`, cause: op.cause };
    case 'wait':
      return {
        action: 'wait',
        target: `${op.service} ${conditionText[op.condition]}`,
        cause: op.cause,
      };
    case 'unchanged':
      return { action: 'unchanged', target: `${op.resource} ${op.name}`, cause: op.cause };
  }
}

/** The plan's steps, in its order. */
export function planSteps(plan: Plan): PlanStep[] {
  return plan.operations.map(describeOperation);
}

/** The plan as aligned lines, one per operation, each with its cause. */
export function formatPlan(plan: Plan): string {
  return formatPlanSteps(plan.project, planSteps(plan), plan.changed);
}
