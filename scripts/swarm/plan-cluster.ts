/**
 * What `npm run swarm:up` must do, decided from what it observed, with a cause for every step.
 * Pure, in two stages: the containers on this machine's engine (planContainers), then, once
 * every node's engine answers, the Swarm they form (planSwarm). Applying decides nothing.
 */
import type { DesiredContainer } from './container-config.js';

/** A container carrying the cluster's label, as the machine's engine reports it. */
export interface ObservedContainer {
  readonly id: string;
  readonly name: string;
  readonly configHash: string | undefined;
  readonly running: boolean;
  /** IDs of the networks it is attached to. */
  readonly networkIds: readonly string[];
}

export type ContainerAction =
  | {
      readonly kind: 'remove';
      readonly target: string;
      readonly id: string;
      readonly cause: string;
    }
  | { readonly kind: 'create-volume'; readonly target: string; readonly cause: string }
  | { readonly kind: 'remove-volume'; readonly target: string; readonly cause: string }
  | {
      readonly kind: 'create';
      readonly target: string;
      readonly container: DesiredContainer;
      readonly cause: string;
    }
  | {
      readonly kind: 'start';
      readonly target: string;
      readonly id: string;
      readonly cause: string;
    };

export interface ContainerPlanInput {
  readonly desired: readonly DesiredContainer[];
  readonly observed: readonly ObservedContainer[];
  /** ID of the cluster network as it is now (just created, or kept). */
  readonly networkId: string;
  /** Names of the volumes carrying the cluster's label. */
  readonly volumes: readonly string[];
}

/**
 * Removes before creates before starts; the order within each kind is the spec's. A node's
 * volume outlives its container: a recreated node keeps its images and its Swarm identity.
 */
export function planContainers(input: ContainerPlanInput): ContainerAction[] {
  const removes: ContainerAction[] = [];
  const creates: ContainerAction[] = [];
  const starts: ContainerAction[] = [];
  const byName = new Map(input.observed.map((c) => [c.name, c]));
  for (const want of input.desired) {
    const have = byName.get(want.name);
    byName.delete(want.name);
    const recreate = (cause: string) => {
      if (have) removes.push({ kind: 'remove', target: want.name, id: have.id, cause });
      creates.push({ kind: 'create', target: want.name, container: want, cause });
    };
    if (!have) recreate('no container');
    else if (have.configHash !== want.configHash) recreate('configuration changed');
    else if (!have.networkIds.includes(input.networkId)) recreate('its network was recreated');
    else if (!have.running)
      starts.push({ kind: 'start', target: want.name, id: have.id, cause: 'stopped' });
  }
  for (const extra of byName.values()) {
    removes.push({ kind: 'remove', target: extra.name, id: extra.id, cause: 'not in this layout' });
  }
  const wanted = new Set(input.desired.map((d) => d.volume));
  const volumes: ContainerAction[] = [
    ...input.volumes
      .filter((v) => !wanted.has(v))
      .map(
        (v): ContainerAction => ({ kind: 'remove-volume', target: v, cause: 'not in this layout' }),
      ),
    ...input.desired
      .filter((d) => !input.volumes.includes(d.volume))
      .map(
        (d): ContainerAction => ({ kind: 'create-volume', target: d.volume, cause: 'no volume' }),
      ),
  ];
  return [...removes, ...volumes, ...creates, ...starts];
}

/** Docker's LocalNodeState. */
export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface ObservedEngine {
  readonly name: string;
  readonly state: LocalNodeState;
  /** The engine's Swarm node ID ('' when in no Swarm). */
  readonly nodeId: string;
  /** True on a manager. */
  readonly controlAvailable: boolean;
}

/** A node of the Swarm as its manager lists it. */
export interface SwarmMember {
  readonly id: string;
  readonly hostname: string;
  /** 'ready', 'down', 'unknown', 'disconnected'. */
  readonly state: string;
}

export interface ObservedSwarm {
  readonly manager: ObservedEngine;
  readonly workers: readonly ObservedEngine[];
  /** The manager's node list (empty when the manager manages no Swarm). */
  readonly members: readonly SwarmMember[];
}

export type SwarmAction =
  | { readonly kind: 'leave'; readonly target: string; readonly cause: string }
  | { readonly kind: 'init'; readonly target: string; readonly cause: string }
  | { readonly kind: 'join'; readonly target: string; readonly cause: string }
  | {
      readonly kind: 'remove-node';
      readonly target: string;
      readonly id: string;
      readonly cause: string;
    };

/**
 * A manager that manages a Swarm is kept, with every worker that is a member of it; a worker
 * in no Swarm, in another one, or in error leaves and joins; nodes the manager lists that no
 * engine of the cluster is (left behind by a recreated node) are removed. A manager that
 * manages no Swarm starts a new one, and every worker joins it.
 */
export function planSwarm(observed: ObservedSwarm): SwarmAction[] {
  const { manager, workers, members } = observed;
  const actions: SwarmAction[] = [];
  const leaveThenJoin = (engine: ObservedEngine, leaveCause: string, joinCause: string) => {
    if (engine.state !== 'inactive') {
      actions.push({
        kind: 'leave',
        target: engine.name,
        cause: `${leaveCause} (${engine.state})`,
      });
    }
    actions.push({ kind: 'join', target: engine.name, cause: joinCause });
  };

  if (manager.state !== 'active' || !manager.controlAvailable) {
    if (manager.state !== 'inactive') {
      actions.push({
        kind: 'leave',
        target: manager.name,
        cause: `not a manager (${manager.state})`,
      });
    }
    actions.push({ kind: 'init', target: manager.name, cause: 'manages no Swarm' });
    for (const w of workers) leaveThenJoin(w, 'in a former Swarm', 'new Swarm');
    return actions;
  }

  const memberIds = new Set(members.map((m) => m.id));
  const kept = new Set([manager.nodeId]);
  for (const w of workers) {
    const isMember = memberIds.has(w.nodeId);
    if ((w.state === 'active' || w.state === 'pending') && isMember) kept.add(w.nodeId);
    else if (w.state === 'inactive') leaveThenJoin(w, '', 'in no Swarm');
    else if (isMember) leaveThenJoin(w, 'Swarm state', 'rejoin');
    else leaveThenJoin(w, 'in another Swarm', 'not a member');
  }
  for (const m of members) {
    if (!kept.has(m.id)) {
      actions.push({
        kind: 'remove-node',
        target: m.hostname,
        id: m.id,
        cause: `stale (${m.state}): no engine of the cluster has this node ID`,
      });
    }
  }
  return actions;
}

/** Why the Swarm is not ready yet, or undefined when every node is a ready member. */
export function swarmNotReady(
  nodeNames: readonly string[],
  members: readonly SwarmMember[],
): string | undefined {
  const problems: string[] = [];
  for (const name of nodeNames) {
    const found = members.filter((m) => m.hostname === name);
    if (found.length === 0) problems.push(`${name} is not a member`);
    else if (!found.some((m) => m.state === 'ready')) {
      problems.push(`${name} is ${found.map((m) => m.state).join('/')}`);
    }
  }
  const strangers = members.filter((m) => !nodeNames.includes(m.hostname));
  if (strangers.length > 0)
    problems.push(`unknown members ${strangers.map((m) => m.hostname).join(', ')}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** One line per step, as swarm:up prints it: `join esteps-swarm-worker-1 (in no Swarm)`. */
export function describeAction(action: ContainerAction | SwarmAction): string {
  return `${action.kind} ${action.target} (${action.cause})`;
}
