import { engineTarget } from './engine/engine-target.js';
import { swarmTarget } from './swarm/swarm-target.js';
import type { Target, TargetKind } from './target.js';
import type { TargetOptions } from './target-options.js';

/** Every target, by the kind a command's options choose (`--swarm`: 'swarm'). */
const targets: Readonly<Record<TargetKind, (options: TargetOptions) => Target>> = {
  engine: engineTarget,
  swarm: swarmTarget,
};

/** The target of a kind; nothing is connected until it is used. */
export function openTarget(kind: TargetKind, options: TargetOptions): Target {
  return targets[kind](options);
}
