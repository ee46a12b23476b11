// The server's view: counters from every instance's GET /metrics (Prometheus text), summed over the
// instances, before and after the workload phase.
//
//   myclothes_db_queries_total{role}          SQL statements answered, by the role of the server that ran them
//   myclothes_cache_requests_total{result}    cache-aside lookups: hit, miss, coalesced, … (whatever it reports)
//   myclothes_http_requests_total{route,…}    requests, by route: the workload's, and HAProxy's /readyz checks
//                                             (each of which runs one SELECT 1 on the primary)
//   myclothes_db_replicas_in_rotation         (a gauge, read after the phase) replicas taking reads
//
// The instances' replica lag checks (pg_last_wal_replay_lsn) are not counted as queries by the store.

import http from 'node:http';

const kScrapeTimeoutMs = 5_000;

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve(res.statusCode === 200 ? body : null));
      res.on('error', () => resolve(null));
    });
    req.setTimeout(kScrapeTimeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

function labelsOf(text) {
  const labels = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
  return labels;
}

// The counters lab/reads uses, from one /metrics text.
export function parseMetrics(text) {
  const out = { db: {}, cache: {}, routes: {}, inRotation: null };
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labelText, valueText] = m;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    const labels = labelsOf(labelText ?? '');
    if (name === 'myclothes_db_queries_total' && labels.role) {
      out.db[labels.role] = (out.db[labels.role] ?? 0) + value;
    } else if (name === 'myclothes_cache_requests_total' && labels.result) {
      out.cache[labels.result] = (out.cache[labels.result] ?? 0) + value;
    } else if (name === 'myclothes_db_replicas_in_rotation') {
      out.inRotation = value;
    } else if (name === 'myclothes_http_requests_total' && labels.route) {
      out.routes[labels.route] = (out.routes[labels.route] ?? 0) + value;
    }
  }
  return out;
}

// Reads /metrics of every instance `region status --json` lists with a URL; resolves
// {byInstance: {id: parsed}, missing: [ids that did not answer]}.
export async function scrape(status) {
  const byInstance = {};
  const missing = [];
  await Promise.all(status.instances.filter((i) => i.url).map(async (inst) => {
    const text = await get(new URL('metrics', inst.url));
    if (text === null) missing.push(inst.id);
    else byInstance[inst.id] = parseMetrics(text);
  }));
  return { byInstance, missing };
}

function subtract(after, before, restarted) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before?.[k] ?? 0;
    // A counter that went down belongs to a process that restarted: all of it is new.
    if (v < b) restarted.value = true;
    out[k] = v < b ? v : v - b;
  }
  return out;
}

function addInto(sum, part) {
  for (const [k, v] of Object.entries(part)) sum[k] = (sum[k] ?? 0) + v;
}

// What the instances counted between two scrapes, summed: {db, cache, routes, instances, restarted, missing}.
export function difference(before, after) {
  const total = { db: {}, cache: {}, routes: {} };
  const restarted = [];
  for (const [id, a] of Object.entries(after.byInstance)) {
    const b = before.byInstance[id];
    const flag = { value: b === undefined };
    for (const part of ['db', 'cache', 'routes']) addInto(total[part], subtract(a[part], b?.[part], flag));
    if (flag.value) restarted.push(id);
  }
  const missing = [...new Set([...before.missing, ...after.missing,
    ...Object.keys(before.byInstance).filter((id) => !(id in after.byInstance))])];
  const inRotation = Object.fromEntries(Object.entries(after.byInstance).filter(([, a]) => a.inRotation !== null)
    .map(([id, a]) => [id, a.inRotation]).sort());
  return { ...total, instances: Object.keys(after.byInstance).sort(), restarted, missing, inRotation };
}

// The server-side figures of the table: queries by role, cache lookups by result, and the hit ratio (hits over
// every lookup, whatever its other results are called; null without lookups).
export function serverView(diff) {
  const lookups = Object.values(diff.cache).reduce((a, b) => a + b, 0);
  return {
    primary: diff.db.primary ?? 0,
    replica: diff.db.replica ?? 0,
    otherRoles: Object.fromEntries(Object.entries(diff.db).filter(([k]) => k !== 'primary' && k !== 'replica')),
    cache: diff.cache,
    lookups,
    hitRatio: lookups === 0 ? null : (diff.cache.hit ?? 0) / lookups,
    healthChecks: diff.routes['/readyz'] ?? 0,
    routes: diff.routes,
    instances: diff.instances,
    inRotation: diff.inRotation,  // instance id -> replicas taking its reads, after the phase
    restarted: diff.restarted,
    missing: diff.missing,
  };
}
