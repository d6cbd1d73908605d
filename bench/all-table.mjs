// bench/all.mjs's table: one row per comparison of the README's Speed table, read from the
// benches' JSON documents. A ratio is the median of the pairs' own ratios (each pair ran
// side by side, minutes apart at most), not a ratio of medians.
import { median } from './support.mjs';

export const allCases = ['start', 'ps', 'noop', 'up', 'hotpatch', 'watch', 'service', 'swarm'];

const ms = (x) =>
  x === undefined ? '' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`;
const ratio = (x) => (x === undefined || Number.isNaN(x) ? '' : `${x.toFixed(2)}x`);
const rps = (x) => (x === undefined ? '' : `${Math.round(x)} req/s`);
const plus = (x) => (x === undefined ? '' : `${x >= 0 ? '+' : ''}${Math.round(x)} ms`);

function commandRows(doc, baseline) {
  const s = doc.summary;
  const p = doc.pairMedians;
  const rows = [];
  const row = (what, target, name, peerName, peerLabel, pairOf, format) => {
    if (s[name] === undefined) return;
    rows.push({
      what,
      target,
      esteps: ms(s[name]),
      peer: `${peerLabel} ${ms(s[peerName])}`,
      ratio: format(p[`${name} : ${pairOf}`]),
      ...(baseline && {
        before: ms(s[name.replace(/^esteps/, 'before')]),
        beforeRatio: format(p[`${name.replace(/^esteps/, 'before')} : ${pairOf}`]),
      }),
    });
  };
  row(
    '`esteps --version`',
    'at most 60 ms over bare Node',
    'esteps --version',
    'node -e 0',
    '`node -e 0`',
    'node -e 0',
    plus,
  );
  row(
    '`esteps --help`',
    'as --version',
    'esteps --help',
    'node -e 0',
    '`node -e 0`',
    'node -e 0',
    plus,
  );
  if (s['npx esteps --version'] !== undefined) {
    rows.push({
      what: '`npx esteps --version` from the clone (a later call; the first costs the same)',
      target: 'first call as fast as later ones',
      esteps: ms(s['npx esteps --version']),
      peer: `\`esteps --version\` ${ms(s['esteps --version'])}`,
      ratio: ratio(p['npx esteps --version : esteps --version']),
    });
  }
  row(
    '`esteps ps`',
    '0.4x',
    'esteps ps',
    'docker-compose ps',
    '`docker-compose ps`',
    'docker-compose ps',
    ratio,
  );
  row(
    '`up`, nothing to do',
    '0.4x',
    'esteps up (no-op)',
    'docker-compose up -d (no-op)',
    '`docker-compose up -d`',
    'docker-compose up -d (no-op)',
    ratio,
  );
  return rows;
}

function upRows(doc, baseline) {
  const cases = [
    ['`up`, nothing to do (up-bench: with the health poll)', '0.4x', 'noop'],
    ['`up`, warm: image built, containers removed', '0.5x', 'warm'],
    [
      '`up`, cold: a new project, every step of the image built, Postgres initialised',
      '0.75x',
      'cold',
    ],
    ['`up`, cold with every layer of the image cached', 'not a target', 'cached'],
  ];
  return cases.map(([what, target, c]) => ({
    what,
    target,
    esteps: ms(doc.summary.esteps[c]),
    peer: `\`docker-compose up -d --build\` ${ms(doc.summary.compose[c])}`,
    ratio: ratio(median(doc.pairs.esteps[c])),
    ...(baseline && {
      before: ms(doc.summary.before?.[c]),
      beforeRatio: ratio(median(doc.pairs.before?.[c] ?? [])),
    }),
  }));
}

function hotpatchRows(doc, baseline) {
  const { esteps, restart, before } = doc.summary;
  const failed = (s) => (s ? `, ${s.failed} of ${s.sent} failed` : '');
  return [
    {
      what: `one-shot \`esteps hotpatch\`, start to exit, every replica serving the new code, under ${doc.rate} req/s (answered: the new code's first answer)`,
      target: 'at most 0.5 s, 0 failed',
      esteps: `${ms(esteps.exitedMs)} (answered ${ms(esteps.answeredMs)}${failed(esteps)})`,
      peer: restart
        ? `the tutorial's way (a restart; \`docker cp\` is refused on the read-only root): ${ms(restart.answeredMs)} to answering${failed(restart)}`
        : '',
      ratio: '',
      ...(baseline && {
        before: `${ms(before?.exitedMs)}${failed(before)}`,
        beforeRatio: ratio(median(doc.pairs['before/esteps'] ?? [])),
      }),
    },
  ];
}

function watchRows(doc, baseline) {
  return [
    {
      what: '`esteps watch`, save to the new code answering',
      target: '0.3 s',
      esteps: `${ms(doc.summary.esteps.answeredMs)} (${doc.summary.esteps.answered.length} saves)`,
      peer: '',
      ratio: '',
      ...(baseline && { before: ms(doc.summary.before?.answeredMs), beforeRatio: '' }),
    },
  ];
}

function serviceRows(doc, baseline) {
  const rate = (scenario) =>
    doc.results.find((r) => r.path === 'bridge' && r.scenario === scenario)?.rps;
  const of = (scenario, against) =>
    doc.ratios.find((r) => r.path === 'bridge' && r.scenario === scenario && r.against === against);
  const rows = [];
  for (const [what, target, scenario] of [
    ['user service, health, on the bridge address', '0.85x', 'GET /user/health'],
    ['user service, GET of a user', '0.8x', 'GET /user/<name>'],
  ]) {
    rows.push({
      what: `${what} (against a bare Node.js server, as many processes)`,
      target,
      esteps: rps(rate(scenario)),
      peer: `bare server ${rps(rate('bare node GET'))}`,
      ratio: ratio(of(scenario, 'bare node GET')?.median),
      ...(baseline && {
        before: rps(rate(`baseline ${scenario}`)),
        beforeRatio: ratio(of(`baseline ${scenario}`, 'bare node GET')?.median),
      }),
    });
  }
  for (const [what, scenario] of [
    ['health', 'GET /user/health'],
    ['GET of a user', 'GET /user/<name>'],
    ['PUT of a new user (one scrypt hash each)', 'PUT /user/<new name>'],
    ['login (one scrypt hash each)', 'POST /user/<name>/login'],
  ]) {
    const peer = `fastify peer ${scenario}`;
    if (rate(peer) === undefined) continue;
    rows.push({
      what: `user service, ${what}, against the fastify + pg peer in the same image`,
      target: 'not a target',
      esteps: rps(rate(scenario)),
      peer: `fastify + pg ${rps(rate(peer))}`,
      ratio: ratio(of(scenario, peer)?.median),
    });
  }
  return rows;
}

function swarmRows(doc) {
  if (doc.skipped) {
    return [
      {
        what: 'the Swarm cases',
        target: '',
        esteps: `not run: ${doc.skipped}`,
        peer: '',
        ratio: '',
      },
    ];
  }
  const of = (side, c, field) => median(doc.results[side][c].map((r) => r[field]));
  const pairs = (c, field) =>
    median(doc.results.esteps[c].map((r, i) => r[field] / doc.results.stack[c][i][field]));
  return [
    ['`up --swarm` from nothing to every node answering', 'at most 0.75x', 'cold', 'total'],
    ['`up --swarm` with nothing to change', 'at most 1.0x', 'noop', 'total'],
    [
      'rolling update of new code, until every replica answers it',
      'at most 0.75x',
      'rolling',
      'answered',
    ],
  ].map(([what, target, c, field]) => ({
    what,
    target,
    esteps: ms(of('esteps', c, field)),
    peer: `\`docker stack deploy\` ${ms(of('stack', c, field))}`,
    ratio: ratio(pairs(c, field)),
  }));
}

/** The table's rows from the benches' documents (a bench that did not run has none). */
export function tableRows(raw, { baseline }) {
  const rows = [];
  if (raw.commands) rows.push(...commandRows(raw.commands, baseline));
  if (raw.up) rows.push(...upRows(raw.up, baseline));
  if (raw.hotpatch) rows.push(...hotpatchRows(raw.hotpatch, baseline));
  if (raw.watch) rows.push(...watchRows(raw.watch, baseline));
  if (raw.service) rows.push(...serviceRows(raw.service, baseline));
  if (raw.swarm) rows.push(...swarmRows(raw.swarm));
  return rows;
}

export function formatTable(meta, rows, failures) {
  const baseline = meta.baseline !== undefined;
  const head = [
    'what',
    'target',
    'esteps',
    'against',
    'ratio',
    ...(baseline ? ['before', 'before: ratio'] : []),
  ];
  const lines = [
    `${meta.started} to ${meta.ended}, commit ${meta.commit}, ${meta.cores} cores, Node ${meta.node}, engine ${meta.engine}; load average (1 min) ${meta.load.min.toFixed(1)} to ${meta.load.max.toFixed(1)}, median ${meta.load.median.toFixed(1)}${baseline ? `; before: ${meta.baseline}` : ''}`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${[r.what, r.target, r.esteps, r.peer, r.ratio, ...(baseline ? [r.before ?? '', r.beforeRatio ?? ''] : [])].join(' | ')} |`,
    ),
  ];
  for (const [key, message] of Object.entries(failures))
    lines.push('', `${key}: FAILED (${message})`);
  return lines.join('\n');
}
