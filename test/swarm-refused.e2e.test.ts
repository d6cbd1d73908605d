/**
 * Every `--swarm` command is refused the same way when the engine is not a Swarm manager (this
 * machine's engine is not part of a Swarm): SWARM_UNAVAILABLE, exit 16, as one JSON document
 * with --json, and nothing changed. One check, in the Swarm target, for every command: `logs
 * --swarm` used to read the engine without it.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { testEngine, uniqueName } from './support/engine.js';

const project = uniqueName('esteps-noswarm');

describe('--swarm against an engine that is not a Swarm manager', () => {
  it.each([['up'], ['up', '--dry-run'], ['down'], ['ps'], ['logs'], ['smoke'], ['hotpatch']])(
    'esteps %s --swarm is SWARM_UNAVAILABLE (exit 16) and changes nothing',
    async (...args) => {
      const { docker } = await testEngine();
      const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
      // The premise: this machine's engine is in no Swarm (the test Swarm's engines are others).
      expect(info.Swarm?.LocalNodeState ?? 'inactive').toBe('inactive');
      const run = await runCli([...args, '--swarm', '-p', project, '--json']);
      expect(run.exitCode, run.stderr).toBe(16);
      expect(run.json).toMatchObject({ ok: false, error: { code: 'SWARM_UNAVAILABLE' } });
      expect(run.stderr).toContain('is not part of a Swarm');
      const labelled = await docker.listVolumes({
        filters: { label: [`com.esteps.project=${project}`] },
      });
      expect(labelled.Volumes ?? []).toEqual([]);
    },
  );
});
