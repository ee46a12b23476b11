// Turns the faults' results into the table (text and Markdown), the report and a hand-drawn SVG chart.

import { COLORS, GREY, Panel, niceAxis, svgDocument } from '../common/chart.mjs';
import { DASH, fmtInt, markdownHead, mdTable, plainTable, verdictSection } from '../common/reporting.mjs';
import { KINDS } from './workload.mjs';

export const COLUMNS = [
  'fault',
  'requests failed (of total)',
  'browsing back',
  'writes back (cart, checkout)',
  'acknowledged cart lines lost',
  'acknowledged orders lost',
  'duplicate orders',
  'instance replacements',
  'AWS, the same event',
];

const kKindColors = { browse: COLORS.blue, cart: COLORS.orange, register: COLORS.purple, checkout: COLORS.navy };

export function fmtBack(b, windowS) {
  if (!b || b.requests === 0) return DASH;
  return b.seconds === null ? `> ${windowS} s` : `${b.seconds} s`;
}

// The slower of cart adds and checkouts (null when one never came back), for the table and the chart.
export function writesBack(f) {
  const parts = [f.back.cart, f.back.checkout].filter((b) => b.requests > 0);
  if (parts.length === 0) return { requests: 0, seconds: null };
  return { requests: parts.reduce((n, b) => n + b.requests, 0),
    seconds: parts.some((b) => b.seconds === null) ? null : Math.max(...parts.map((b) => b.seconds)) };
}

function failedCell(f) {
  return KINDS.filter((k) => f.requests[k].total > 0)
    .map((k) => `${k} ${fmtInt(f.requests[k].failed)}/${fmtInt(f.requests[k].total)}`).join(' · ');
}

function replacementsCell(f) {
  const { launched } = f.instances;
  if (launched.length === 0) return 'none';
  return `${launched.length}: ${launched.map((l) => `${l.id} in ${l.az} ${l.s.toFixed(1)} s`).join(', ')}`;
}

// "lost of expected", or why it is not known.
function lostCell(lost, of, c) {
  if (c.errors.length === c.shoppers) return `not known (${c.errors.length} checks failed)`;
  return `${lost} of ${fmtInt(of)}${c.errors.length > 0 ? ` (${c.errors.length} checks failed)` : ''}`;
}

export function rowOf(f, windowS) {
  const c = f.checks;
  return [
    f.title,
    failedCell(f),
    fmtBack(f.back.browse, windowS),
    `${fmtBack(writesBack(f), windowS)} (cart ${fmtBack(f.back.cart, windowS)}, checkout ${fmtBack(f.back.checkout, windowS)})`,
    lostCell(c.lostLines, c.lines, c),
    lostCell(c.lostOrders, c.orders, c),
    c.errors.length === c.shoppers ? 'not known' : String(c.duplicates),
    replacementsCell(f),
    f.aws,
  ];
}

const rowsOf = (results) => results.flatMap((r) => r.faults.map((f) => rowOf(f, f.timing.windowS)));

export function textTable(results) {
  const errors = results.filter((r) => r.error).map((r) => `run error: ${r.error}`);
  return [plainTable(COLUMNS, rowsOf(results)), ...errors].join('\n');
}

export const SOURCES = [
  'RDS: "Failover times are typically 60–120 seconds" — Amazon RDS User Guide, Failing over a Multi-AZ DB ' +
    'instance, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html',
  'ElastiCache: with Multi-AZ the primary fails over to a replica automatically and "the downtime is minimized"; ' +
    'no duration is published, so this report says "minutes at most" — Amazon ElastiCache User Guide, Minimizing ' +
    'downtime in ElastiCache by using Multi-AZ, https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html',
  'Auto Scaling: "When one Availability Zone becomes unhealthy or unavailable, Amazon EC2 Auto Scaling launches new ' +
    'instances in an unaffected Availability Zone"; when it returns, the group is redistributed evenly — Amazon EC2 ' +
    'Auto Scaling User Guide, Add an Availability Zone, https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-add-availability-zone.html ' +
    '(no duration is published: "within minutes" is ours, for instance launch, health-check grace and ELB registration)',
];

export function markdown({ results, options, machine, started, seconds, verdicts }) {
  const out = markdownHead({
    title: 'One fault at a time under shopper load, and what was lost', started, seconds, machine,
    options: `--data-tier ${options.dataTier}, ${options.shoppers} shoppers, ${options.leadSeconds} s of load before ` +
      `and ${options.windowSeconds} s after each fault, faults ${options.faults.join(', ')}` +
      `${options.quick ? ', --quick' : ''}${options.assert ? ', --assert' : ''}; region: ${options.instances} instances ` +
      `over ${options.azs} zones, ${options.products} products, --session redis; seed ${options.seed}`,
  });
  for (const r of results) {
    out.push('');
    if (r.startMs !== undefined) {
      out.push(`The region started in ${(r.startMs / 1000).toFixed(1)} s: ${r.status.summary}. Shoppers: ` +
        `${r.cast ? `${r.cast.buyers} buyers (registered, with an address, before the first fault), ${r.cast.newcomers} ` +
        `who register during a fault, ${r.cast.guests} guests` : '?'}; the catalog: ${r.catalog?.products ?? '?'} products.`);
    }
    if (r.error) out.push('', `**The run stopped with an error:** ${r.error}`);
    out.push('', mdTable(COLUMNS, r.faults.map((f) => rowOf(f, f.timing.windowS))));
  }
  out.push('', '![failed requests and seconds until browsing and writes work again, per fault](az.svg)', '');
  out.push('A request **failed** when it got no answer, a 5xx, or a 4xx the shopper did not cause (a lost session\'s ' +
    '401 among them); out of stock (409), an empty cart at checkout (422) and email_taken on a retried registration are ' +
    'refusals, not failures. Counted from the start of the load, a few seconds before the fault, to the end of the window. ' +
    '**Back** after s seconds: every request of that kind sent from s seconds after the fault on succeeded (browsing also: ' +
    'at least one succeeded in every second); "> W s" not within the window. Lines and orders **lost** are counted ' +
    'against what the store acknowledged (2xx) and the shoppers still expected at the check; a **duplicate** is an order ' +
    'that no Idempotency-Key of its shopper explains, or one that orders lines of an earlier cart again. lab/README.md ' +
    'has the exact definitions.');
  for (const r of results) {
    for (const f of r.faults) out.push('', ...faultSection(f));
  }
  out.push('', '## AWS figures', '', ...SOURCES.map((s) => `- ${s}`));
  out.push(...verdictSection(verdicts), '');
  return out.join('\n');
}

const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

function faultSection(f) {
  const w = f.timing.windowS;
  const out = [`## ${f.title}`, ''];
  if (f.error) out.push(`**Error:** ${f.error}`, '');
  if (f.notWhole) out.push(`**The region was not whole afterwards:** ${f.notWhole}`, '');
  out.push(`- \`myclothes region ${f.verb}\` (returned after ${(f.verbMs / 1000).toFixed(1)} s): ` +
    `${(f.output ?? '').split('\n')[0] || DASH}`);
  out.push(`- before: PostgreSQL primary ${f.before.pg ?? 'none'}, Redis primary ${f.before.redis ?? 'none'}; instances ` +
    `${f.before.serving.join(' ')}; data nodes in zone a: ${f.before.zoneA.join(', ') || 'none'}`);
  const change = (c, what) => (c ? `${what} ${c.now} after ${c.s} s (status, once a second)` : `${what} unchanged`);
  out.push(`- after: ${change(f.pgChange, 'PostgreSQL primary')}; ${change(f.redisChange, 'Redis primary')}; ` +
    `the region whole again ${f.wholeAgainS === 0 ? 'throughout (status once a second never saw it broken)'
      : f.wholeAgainS === null ? 'only after the window' : `${f.wholeAgainS} s after the fault (status, once a second)`}; ` +
    `checked ${f.wholeS} s after the fault${f.after ? `: ${f.after.summary}` : ''}`);
  const { launched, removed } = f.instances;
  out.push(`- instances: ${removed.length === 0 ? 'none left' : removed.map((x) => `${x.id} (${x.az}) out at ${x.s.toFixed(1)} s`).join(', ')}; ` +
    `${launched.length === 0 ? 'none launched' : launched.map((x) => `${x.id} launched in ${x.az}, in service at ${x.s.toFixed(1)} s`).join(', ')}`);
  out.push(`- checkouts sent in the window: ${f.checkouts.acked} acknowledged, ${f.checkouts.unacknowledged} placed but ` +
    `their answer lost, ${f.checkouts.none} never placed (answer lost, no order), ${f.checkouts.refused} refused`);
  if (f.registrations.length > 0) {
    out.push(`- registrations during the window: ${f.registrations.map((x) => `${x.name} ${x.registration ?? 'not tried'}`).join(', ')}`);
  }
  out.push(`- load stopped ${f.timing.stoppedS} s after the fault (window ${w} s; in-flight requests finished)` +
    `${f.failedBeforeFault ? `; ${f.failedBeforeFault} request(s) failed before the fault` : ''}`);
  out.push('');
  out.push(mdTable(['kind', 'requests', 'failed', 'back after'],
    KINDS.map((k) => [k, fmtInt(f.requests[k].total), fmtInt(f.requests[k].failed), fmtBack(f.back[k], w)])));
  const c = f.checks;
  out.push('', `Checks (${c.shoppers} shoppers): ${c.lostLines} of ${c.lines} expected cart lines lost, ` +
    `${c.lostOrders} of ${c.orders} acknowledged orders lost, ${c.duplicates} duplicate orders` +
    `${c.errors.length ? `; ${c.errors.length} checks failed: ${c.errors.slice(0, 3).join('; ')}` : ''}.`);
  for (const n of c.notes.slice(0, 8)) out.push(`- ${n}`);
  if (f.failures.length > 0) {
    out.push('', 'Failed requests that ended after the fault, per kind the first three and the last (s after the fault ' +
      'they were sent, how long they took):', '');
    for (const x of f.failures) {
      out.push(`- ${signed(x.s)} s ${x.kind}: ${x.request} → ${x.answer} (${x.instance ?? 'no instance'}, ${x.ms} ms)`);
    }
  }
  const { events } = f;
  if (events.length > 0) {
    out.push('', 'What the region said (s after the fault):', '');
    for (const e of events.slice(0, 24)) out.push(`- ${signed(e.s)} s ${e.text}`);
    if (events.length > 24) out.push(`- … ${events.length - 24} more`);
  }
  return out;
}

// Left: failed requests per fault, stacked by kind. Right: seconds until browsing and writes work again.
export function svg({ results, options, started }) {
  const faults = results.flatMap((r) => r.faults);
  const s = [];
  const frame = { top: 96, height: 260 };
  const label = (f) => [f.title];

  const totals = faults.map((f) => KINDS.reduce((n, k) => n + f.requests[k].failed, 0));
  const left = niceAxis(Math.max(1, ...totals), 5);
  const fails = new Panel(s, { ...frame, x0: 70, width: 420, max: left.max });
  fails.title('failed requests, by kind', { dx: 50, dy: 22 });
  fails.grid(left.step, (v) => fmtInt(v));
  fails.bars(faults, {
    label,
    columns: (f) => [{
      segments: KINDS.map((k) => ({ value: f.requests[k].failed, color: kKindColors[k],
        tip: `${k}: ${f.requests[k].failed} of ${f.requests[k].total}` })),
      text: fmtInt(KINDS.reduce((n, k) => n + f.requests[k].failed, 0)),
    }],
    barWidth: { max: 48, share: 0.4 },
  });
  fails.baseline();
  fails.legend(fails.base + 48, KINDS.map((k, i) => ({ dx: i * 95, text: k, color: kKindColors[k], swatch: 'box' })));

  const windowS = options.windowSeconds;
  const backs = faults.flatMap((f) => [f.back.browse, writesBack(f)]).map((b) => (b.seconds === null ? windowS : b.seconds));
  const right = niceAxis(Math.max(5, ...backs), 5);
  const secs = new Panel(s, { ...frame, x0: 590, width: 400, max: right.max });
  secs.title('seconds until it works again', { dx: 50, dy: 22 });
  secs.grid(right.step, (v) => `${v} s`);
  const column = (b, color, what) => {
    if (b.requests === 0) return { missing: 'none sent' };
    if (b.seconds === null) return { segments: [{ value: windowS, color: GREY, tip: `${what}: not within ${windowS} s` }], text: `>${windowS}` };
    return { segments: [{ value: b.seconds, color, tip: `${what}: ${b.seconds} s` }], text: `${b.seconds}` };
  };
  secs.bars(faults, {
    label,
    columns: (f) => [column(f.back.browse, COLORS.blue, 'browsing'), column(writesBack(f), COLORS.orange, 'writes')],
    barWidth: { max: 36, share: 0.3 },
  });
  secs.baseline();
  secs.legend(secs.base + 48, [
    { dx: 0, text: 'browsing', color: COLORS.blue, swatch: 'box' },
    { dx: 100, text: 'writes (the slower of cart adds and checkouts)', color: COLORS.orange, swatch: 'box' },
  ]);
  return svgDocument({
    width: 1040, height: 420, title: 'MyClothes: one fault at a time under shopper load',
    subtitle: `${started.toISOString().slice(0, 10)}, --data-tier ${options.dataTier}, ${options.shoppers} shoppers, ` +
      `${windowS} s after each fault, ${options.instances} instances over ${options.azs} zones`,
  }, s);
}
