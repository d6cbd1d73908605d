/**
 * Carries out a Swarm plan, in order: networks, secrets, then each service (dependencies
 * first), waiting for it to converge before the next; old secrets last. Decides nothing.
 */
import type Docker from 'dockerode';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import type { Progress } from '../../ui/progress.js';
import { labels } from '../labels.js';
import type { SwarmOperation, SwarmPlan } from './plan-swarm.js';
import { waitForSwarmService } from './wait-swarm-service.js';

export interface ApplySwarmInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  readonly plan: SwarmPlan;
  /** Secret name -> ID, as observed. */
  readonly secretIds: Readonly<Record<string, string>>;
  readonly secretValues: Readonly<Record<string, string>>;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export async function applySwarmPlan(input: ApplySwarmInput): Promise<void> {
  const { docker, stack, progress } = input;
  const ids: Record<string, string> = { ...input.secretIds };
  const last: SwarmOperation[] = [];
  for (const op of input.plan.operations) {
    switch (op.kind) {
      case 'create-network':
        progress.start(`create network ${op.name}`);
        await docker.createNetwork({
          Name: op.name,
          Driver: 'overlay',
          Attachable: true,
          Labels: { [labels.project]: stack.project },
        });
        break;
      case 'create-secret': {
        progress.start(`create secret ${op.name}`);
        const value = input.secretValues[op.secret] ?? '';
        const created = (await docker.createSecret({
          Name: op.name,
          Labels: { [labels.project]: stack.project, [labels.secret]: op.secret },
          Data: Buffer.from(value).toString('base64'),
        } as never)) as { id?: string; ID?: string };
        ids[op.name] = created.id ?? created.ID ?? '';
        break;
      }
      case 'create-service':
      case 'update-service': {
        const spec = withSecretIds(op.spec, ids);
        const verb = op.kind === 'create-service' ? 'create' : 'update';
        progress.start(`${verb} service ${op.service}`);
        let id: string;
        let updateStartedBefore: string | undefined;
        if (op.kind === 'create-service') {
          const created = (await docker.createService(spec as never)) as {
            id?: string;
            ID?: string;
          };
          id = created.id ?? created.ID ?? '';
        } else {
          const before = (await docker.getService(op.id).inspect()) as {
            UpdateStatus?: { StartedAt?: string };
          };
          updateStartedBefore = before.UpdateStatus?.StartedAt ?? '';
          await docker.getService(op.id).update({ version: op.versionIndex, ...spec } as never);
          id = op.id;
        }
        await waitForSwarmService({
          docker,
          id,
          service: op.service,
          ...(updateStartedBefore !== undefined && { updateStartedBefore }),
          ...(input.signal && { signal: input.signal }),
          onStatus: (text) => progress.update(text),
        });
        progress.succeed(`${verb} service ${op.service}: converged`);
        break;
      }
      case 'remove-secret':
        last.push(op);
        break;
    }
  }
  for (const op of last) {
    if (op.kind !== 'remove-secret' || !ids[op.name]) continue;
    // In use by a task that is still going away: the next `up --swarm` removes it.
    await docker
      .getSecret(ids[op.name]!)
      .remove()
      .catch(() => undefined);
  }
  progress.stop();
}

function withSecretIds(
  spec: Record<string, unknown>,
  ids: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const copy = structuredClone(spec) as {
    TaskTemplate: { ContainerSpec: { Secrets: { SecretName: string; SecretID: string }[] } };
  };
  for (const s of copy.TaskTemplate.ContainerSpec.Secrets) s.SecretID = ids[s.SecretName] ?? '';
  return copy as unknown as Record<string, unknown>;
}
