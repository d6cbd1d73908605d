import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../../cli/engine/labels.js';
import { removeTestResources, stackImage, testEngine, testLabels } from '../support/engine.js';
import {
  execIn,
  isJson,
  missingUsers,
  readLoad,
  sleep,
  step1Project,
  upOk,
  waitDatabaseUp,
  writeLoad,
} from './fault-support.js';

afterAll(removeTestResources);

/**
 * The database's volume runs out of space. The project's `pgdata` volume is made before the
 * first `up` as a size-limited one (tmpfs, 96 MiB), labelled as esteps labels its volumes, so
 * `up` finds it and uses it as it would any volume it made. A helper container keeps it
 * mounted throughout (a tmpfs volume lives as long as some container mounts it) and is the one
 * that fills it with a file and deletes the file again.
 */
describe("the database's volume runs out of space", () => {
  it('fails writes with a JSON 503, loses nothing acknowledged, and writes again once space returns', async () => {
    await using p = await step1Project('fault-diskfull');
    const { docker } = await testEngine();
    const volume = `${p.project}_pgdata`;
    await docker.createVolume({
      Name: volume,
      Driver: 'local',
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=96m' },
      Labels: { [labels.project]: p.project, [labels.stack]: 'step1', ...testLabels() },
    });
    const holder = await docker.createContainer({
      name: `${p.project}-volume-holder`,
      Image: stackImage('ESTEPS_POSTGRES_IMAGE'),
      Entrypoint: ['sleep', 'infinity'],
      User: 'root',
      Labels: testLabels(),
      HostConfig: { Binds: [`${volume}:/data`] },
    });
    await holder.start();
    await upOk(p);
    const postgresBefore = await p.container('postgres');

    // Acknowledged before the disk fills.
    const before = writeLoad(p.url(''), { perSecond: 1.5, prefix: 'b', fullnameChars: 1900 });
    await sleep(4000);
    const beforeReport = await before.stop();
    expect(beforeReport.created.length).toBeGreaterThan(3);

    // Fill the volume: dd stops at "No space left on device".
    await execIn(holder.id, [
      'sh',
      '-c',
      'dd if=/dev/zero of=/data/filler bs=1M 2>/dev/null; df -k /data | tail -1',
    ]);
    const full = writeLoad(p.url(''), { perSecond: 1.5, prefix: 'f', fullnameChars: 1900 });
    const reads = readLoad(p.url(''), 10, beforeReport.created);
    await sleep(12_000);
    const fullReport = await full.stop();
    const readReport = await reads.stop();
    console.log(
      `disk-full: while full, writes ${JSON.stringify(fullReport.counts)}, reads ${JSON.stringify(readReport.counts)}`,
    );
    // A full disk fails writes, not the database: every read is answered, from the data.
    expect(readReport.counts).toEqual({ '200': readReport.answers.length });
    // Rows of about 2 KB (a long random fullname) fill the table's last page within a few
    // writes; once it is used up, every write fails, each with a JSON error a
    // client can act on; no request goes unanswered.
    const failed = fullReport.answers.filter((a) => a.status !== 201);
    expect(failed.length).toBeGreaterThan(0);
    for (const a of fullReport.answers) {
      expect(
        a.status === 201 || (a.status === 503 && a.retryAfter !== undefined && isJson(a.detail)),
        `${a.status} ${a.detail}`,
      ).toBe(true);
    }
    const last = fullReport.answers.slice(-10);
    expect(last.filter((a) => a.status === 201)).toEqual([]);

    // Space returns: writes succeed again, by themselves.
    await execIn(holder.id, ['rm', '-f', '/data/filler']);
    const spaceBackAt = Date.now();
    const recoveredMs = await waitDatabaseUp(p.url(''), 20_000);
    const after = writeLoad(p.url(''), { perSecond: 1.5, prefix: 'a' });
    await sleep(4000);
    const afterReport = await after.stop();
    console.log(
      `disk-full: after the space returned ${JSON.stringify(afterReport.counts)}; health up ${recoveredMs} ms, ` +
        `load ${Date.now() - spaceBackAt} ms`,
    );
    expect(afterReport.created.length).toBeGreaterThan(3);
    expect(afterReport.answers.slice(-5).map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);

    // Nothing acknowledged is lost, before, during or after.
    const acknowledged = [...beforeReport.created, ...fullReport.created, ...afterReport.created];
    expect(await missingUsers(p.url(''), acknowledged)).toEqual([]);
    // Postgres refused the writes and kept running: no crash, no restart.
    const postgresAfter = await p.container('postgres');
    expect([postgresAfter.state, postgresAfter.restartCount]).toEqual([
      'running',
      postgresBefore.restartCount,
    ]);
    // With v: the Postgres image gave the holder an anonymous volume of its own.
    await holder.remove({ force: true, v: true });
  });
});
