// Turns the configurations' results into the table (text and Markdown), a hand-drawn SVG chart and the
// details a person reads when a figure looks wrong.

import { COLORS, GREY, Panel, niceAxis, svgDocument } from '../common/chart.mjs';
import { DASH, fmtInt, markdownHead, mdTable, plainTable, verdictSection } from '../common/reporting.mjs';
import { KINDS, SEARCHES } from './workload.mjs';
import { matchingNoCache } from './verdicts.mjs';

export const COLUMNS = [
  'configuration',
  'requests (failed)',
  'queries on primary',
  'queries on replicas',
  'cache hit ratio',
  'p50',
  'p99',
];

const CLIENT_COLUMNS = [
  'configuration',
  'answers X-DB: primary',
  'X-DB: replica',
  'X-DB: none',
  'X-Cache: hit',
  'throughput',
];

const fmtMs = (ms) => (ms === null || ms === undefined ? DASH : `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`);
const fmtPct = (x) => (x === null || x === undefined ? DASH : `${(100 * x).toFixed(1)}%`);

export function counterLines(counts) {
  const entries = Object.entries(counts ?? {});
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ');
}

// The server's hit ratio; the client's (X-Cache on answers) beside it when they differ by a point or more.
function hitCell(r) {
  const s = r.server.hitRatio;
  const c = r.client.hitRatio;
  const noHits = (r.server.cache.hit ?? 0) === 0 && (r.client.xcache.hit ?? 0) === 0;
  if (!r.config.cache && noHits) return `${DASH} (off)`;
  if (s === null && (c === null || c === 0)) return DASH;
  if (s === null) return `${DASH} (answers ${fmtPct(c)})`;
  if (c !== null && Math.abs(s - c) >= 0.01) return `${fmtPct(s)} (answers ${fmtPct(c)})`;
  return fmtPct(s);
}

export function rowOf(r) {
  const label = r.config.label;
  if (!r.server) return [label, r.error ? 'error' : DASH, DASH, DASH, DASH, DASH, DASH];
  const cv = r.client;
  const unsent = r.run.unsent > 0 ? `, ${fmtInt(r.run.unsent)} not sent` : '';
  return [
    label,
    `${fmtInt(cv.requests)} (${fmtInt(cv.failed)}${unsent})`,
    fmtInt(r.server.primary),
    fmtInt(r.server.replica),
    hitCell(r),
    fmtMs(cv.p50),
    fmtMs(cv.p99),
  ];
}

function clientRowOf(r) {
  if (!r.client) return [r.config.label, DASH, DASH, DASH, DASH, DASH];
  const cv = r.client;
  const answered = cv.requests - cv.failed;
  const share = (n) => `${fmtInt(n ?? 0)} (${answered === 0 ? 0 : Math.round((100 * (n ?? 0)) / answered)}%)`;
  return [
    r.config.label,
    share(cv.xdb.primary),
    share(cv.xdb.replica),
    share(cv.xdb.none),
    share(cv.xcache.hit),
    `${(cv.requests / (r.run.ms / 1000)).toFixed(0)} req/s`,
  ];
}

export function textTable(results) {
  return plainTable(COLUMNS, results.map(rowOf));
}

// The client's own view: what the X-DB and X-Cache headers of the answers said.
export function clientTable(results) {
  return plainTable(CLIENT_COLUMNS, results.map(clientRowOf));
}

export function markdown({ results, options, machine, started, seconds, workload, verdicts }) {
  const out = markdownHead({
    title: 'Read replicas and the cache, measured on a local region', started, seconds, machine,
    options: `${options.shoppers} shoppers × ${options.requests} requests, at most ${options.maxSeconds} s per ` +
      `configuration, seed ${options.seed}${options.quick ? ', --quick' : ''}${options.assert ? ', --assert' : ''}; ` +
      `region: ${options.instances} instances over ${options.azs} zones, sessions ${options.session}, --products ${options.products}`,
  });
  if (workload) {
    out.push(`- catalog: ${fmtInt(workload.products)} products in ${workload.categories} categories (fingerprint ${workload.catalog}); ` +
      `plan ${workload.fingerprint}: ${fmtInt(workload.total)} requests to ${fmtInt(workload.distinctPaths)} distinct URLs — ` +
      KINDS.map((k) => `${k.label} ${fmtInt(workload.byKind[k.kind])}`).join(', '));
    out.push(`- popularity: ${fmtInt(workload.productViews)} product views over ${fmtInt(workload.distinctProducts)} products, ` +
      `the 10 most viewed take ${(100 * workload.top10ProductShare).toFixed(0)}%; searches: ${SEARCHES.map((s) => `"${s}"`).join(', ')} (most popular first)`);
  }
  out.push('');
  out.push(mdTable(COLUMNS, results.map(rowOf)));
  out.push('');
  out.push('What the answers themselves said (headers `X-DB` and `X-Cache` of every answer; an answer built from several ' +
    'reads names the first database it used, and is a hit only if every read hit):');
  out.push('');
  out.push(mdTable(CLIENT_COLUMNS, results.map(clientRowOf)));
  out.push('');
  out.push('![queries on the primary and on the replicas per configuration, with hit ratio and p99](reads.svg)');
  out.push('');
  out.push('**Counted.** Queries and cache lookups are the growth of `myclothes_db_queries_total{role}` and ' +
    '`myclothes_cache_requests_total{result}`, summed over every instance\'s `/metrics`, between just before the ' +
    'workload\'s first request and just after its last answer. Nothing else runs through the load balancer then: the ' +
    'catalog was learnt before the first scrape. The one other source of queries in that window is HAProxy\'s ' +
    'health check (`GET /readyz`, one `SELECT 1` on the primary each); the number is given per configuration below. ' +
    'Hit ratio = hits / all lookups (misses and coalesced waits are not hits). Latency: from sending a request to the ' +
    'end of its answer, measured by the client, over every request of the phase. A failed request is a network ' +
    'error, a timeout or any status from 400 up (the workload asks only for what exists). Every configuration starts ' +
    'with an empty cache (Redis keeps nothing across region starts).');
  for (const r of results) {
    out.push('');
    out.push(`## ${r.config.label}`);
    out.push('');
    out.push(`- region: \`region up … --instances ${options.instances} ${r.regionArgs.join(' ')}\`` +
      (r.startMs !== undefined ? `, serving after ${(r.startMs / 1000).toFixed(1)} s` : ''));
    if (r.db) {
      out.push(`- databases (region status): ${r.db.map((d) => `${d.name} (${d.role}` +
        `${d.lag_bytes !== undefined ? `, lag ${d.lag_bytes} B` : ''}${d.up === false ? ', down' : ''})`).join(', ') || DASH}`);
    }
    if (r.error) out.push('', `**The configuration stopped with an error:** ${r.error}`, '');
    if (r.server) {
      const s = r.server;
      const cv = r.client;
      out.push(`- workload: ${fmtInt(cv.requests)} requests in ${(r.run.ms / 1000).toFixed(1)} s ` +
        `(${(cv.requests / (r.run.ms / 1000)).toFixed(0)} req/s)${r.run.unsent ? `; **${r.run.unsent} not sent** (--max-seconds)` : ''}; ` +
        `answers: ${counterLines(cv.byStatus)}; by instance: ${counterLines(cv.byInstance)}`);
      out.push(`- queries (server): primary ${fmtInt(s.primary)}, replicas ${fmtInt(s.replica)}` +
        `${Object.keys(s.otherRoles).length ? `, ${counterLines(s.otherRoles)}` : ''}; of the primary's, health checks in the window: ` +
        `${fmtInt(s.healthChecks)} (/readyz, one SELECT 1 each), which leaves ${fmtInt(Math.max(0, s.primary - s.healthChecks))} for the workload`);
      out.push(`- cache lookups (server): ${counterLines(s.cache)} → hit ratio ${fmtPct(s.hitRatio)}`);
      if (r.config.cache) {
        const base = matchingNoCache(r, results);
        if (base) {
          const here = s.primary + s.replica;
          const there = base.server.primary + base.server.replica;
          out.push(`- database queries against "${base.config.label}": ${fmtInt(here)} vs ${fmtInt(there)}` +
            (there > 0 ? ` (${(100 * here / there).toFixed(1)}%)` : ''));
        }
      }
      out.push(`- instances read: ${s.instances.join(', ') || DASH}` +
        `${Object.keys(s.inRotation ?? {}).length ? `; replicas in each one's rotation after the phase: ${counterLines(s.inRotation)}` : ''}` +
        `${s.missing.length ? `; **no /metrics from ${s.missing.join(', ')}**` : ''}` +
        `${s.restarted.length ? `; **restarted during the phase: ${s.restarted.join(', ')}**` : ''}`);
      const st = r.storySearch;
      const nths = (list) => list.slice(0, 8).map((x) => `${x.nth} (X-DB ${x.xdb})`).join(', ') + (list.length > 8 ? ', …' : '');
      out.push(`- the search for "${SEARCHES[0]}" (first page, JSON and page): ${st.requests} requests; ` +
        (st.reachedDb.length === 0 ? 'none reached a database'
          : `${st.reachedDb.length} reached a database: no. ${nths(st.reachedDb)}`) +
        (st.judged < st.requests ? ` (judged: the ${st.judged} sent within the cache's TTL of the first)` : ''));
      out.push('');
      out.push(mdTable(['request', 'requests', 'failed', 'p50', 'p99', 'X-Cache: hit', 'X-DB primary / replica / none'],
        KINDS.map((k) => {
          const t = cv.byKind[k.kind];
          return [k.label, fmtInt(t.requests), fmtInt(t.failed), fmtMs(t.p50), fmtMs(t.p99), fmtPct(t.hitRatio),
            `${fmtInt(t.xdb.primary ?? 0)} / ${fmtInt(t.xdb.replica ?? 0)} / ${fmtInt(t.xdb.none ?? 0)}`];
        })));
      for (const f of cv.failures) out.push(`- failed: ${f.at} ${f.request} → ${f.answer} (instance ${f.instance ?? '?'})`);
    }
    if (r.logs && r.logs.lines.length > 0) {
      out.push('');
      out.push(`Instance log lines of this configuration about the database, warnings and errors (${r.logs.warnings} warnings/errors in all):`);
      out.push('');
      out.push('```');
      for (const line of r.logs.lines) out.push(line);
      out.push('```');
    }
  }
  out.push(...verdictSection(verdicts), '');
  return out.join('\n');
}

// Left: stacked bars of queries on the primary and on the replicas per configuration, with the hit ratio and
// p99 written above each bar. Right: p50 and p99 per configuration.
export function svg({ results, options, started }) {
  const { navy, sky, orange, sand } = COLORS;
  const s = [];
  const frame = { top: 100, height: 260 };
  const ran = results.filter((r) => r.server);
  // A configuration's label on two lines, cut after its comma.
  const label = (r) => {
    const [a, b] = r.config.label.split(', ');
    return b ? [`${a},`, b] : [a];
  };

  // Queries. Headroom above the tallest bar for its three lines of annotation.
  const q = niceAxis(1.18 * Math.max(1, ...ran.map((r) => r.server.primary + r.server.replica)), 5);
  const queries = new Panel(s, { ...frame, x0: 70, width: 470, max: q.max });
  queries.title('database queries during the workload', { dx: 50, dy: 30 });
  queries.grid(q.step, fmtInt);
  queries.bars(results, {
    label,
    columns: (r) => (!r.server ? null : [{
      segments: [
        { value: r.server.primary, color: navy, tip: `${fmtInt(r.server.primary)} on the primary` },
        { value: r.server.replica, color: sky, tip: `${fmtInt(r.server.replica)} on replicas` },
      ],
    }]),
    notes: (r) => {
      const off = !r.config.cache && (r.server.cache.hit ?? 0) === 0;
      return [
        { text: `${fmtInt(r.server.primary + r.server.replica)} queries` },
        { text: off ? 'cache off' : `hit ${fmtPct(r.server.hitRatio)}`, fill: orange },
        { text: `p99 ${fmtMs(r.client.p99)}`, fill: GREY },
      ];
    },
    barWidth: { max: 56, share: 0.5 },
  });
  queries.baseline();
  const ly = queries.base + 58;
  queries.legend(ly, [
    { dx: 0, text: 'on the primary', color: navy, swatch: 'box' },
    { dx: 120, text: 'on read replicas', color: sky, swatch: 'box' },
    { dx: 260, text: 'hit: cache hit ratio', color: orange },
  ]);

  // Latency.
  const m = niceAxis(1.05 * Math.max(1, ...ran.map((r) => r.client.p99 ?? 0)), 5);
  const latency = new Panel(s, { ...frame, x0: 640, width: 310, max: m.max });
  latency.title('latency seen by the shoppers (ms)', { dx: 40, dy: 30 });
  latency.grid(m.step, (v) => Number(v.toFixed(2)));
  const column = (v, color, name) => (v === null ? null
    : { segments: [{ value: v, color, tip: `${name} ${fmtMs(v)}` }], text: v < 10 ? v.toFixed(1) : v.toFixed(0) });
  latency.bars(results, {
    label,
    columns: (r) => (!r.client ? [] : [column(r.client.p50, sand, 'p50'), column(r.client.p99, orange, 'p99')]),
    barWidth: { max: 26, share: 0.34 },
    textSize: 10,
  });
  latency.baseline();
  latency.legend(ly, [
    { dx: 0, text: 'p50', color: sand, swatch: 'box' },
    { dx: 60, text: 'p99', color: orange, swatch: 'box' },
  ]);
  return svgDocument({
    width: 980, height: 450, title: 'MyClothes: where catalog reads go, with and without the cache and read replicas',
    subtitle: `${started.toISOString().slice(0, 10)}, ${options.shoppers} shoppers × ${options.requests} requests per ` +
      `configuration, ${options.instances} instances; the same workload each time`,
  }, s);
}
