// The reads lab: one bounded browsing workload against a real local region in four configurations (with
// and without the cache, with 0, 2 and 5 read replicas), counted on the server (/metrics) and on the client
// (X-Cache, X-DB, latency); then the table, the chart and the raw figures.
//
// Every configuration is a fresh `region up` on the same state directory: PostgreSQL is initialised and
// the catalog seeded once, replicas are made (pg_basebackup) the first time they are asked for, and Redis
// keeps nothing across starts, so every configuration starts with a cold cache.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { info, root, runLab } from '../common/harness.mjs';
import { allFree, freePort, instanceLogs, portIsFree, postgresPorts, regionUpFlags } from '../common/region.mjs';
import { clientTable, counterLines, markdown, svg, textTable } from './report.mjs';
import { HELP, parseOptions } from './options.mjs';
import { difference, scrape, serverView } from './counters.mjs';
import { verdicts } from './verdicts.mjs';
import {
  Recorder, clientView, describePlans, discoverCatalog, makePlans, runPlans, storySearch,
} from './workload.mjs';
import { Shopper, makeAgent, rng } from '../common/shopper.mjs';

const kMaxReplicas = 5;
// Search results stay cached for cache.listing_ttl_seconds (60 s by default) minus up to 10 % jitter: the
// story's search is judged only within this time of its first request.
const kStorySearchWindowMs = 54_000;
const kInServiceTimeoutMs = 30_000;

// The ports of PostgreSQL's primary and the most replicas a configuration runs (deploy/local/services says).
const pgBlock = (pg) => postgresPorts(pg, kMaxReplicas);

// The kernel's range for the local ports of outgoing connections. A port in it may be taken at any moment by a
// connection of this very lab (to HAProxy, HAProxy's to the instances, theirs to Redis), and the replicas'
// ports stay unbound for whole configurations: seen here, `could not bind … Address already in use` for
// replica 5. So the lab's ports come from below that range.
function ephemeralRange() {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return { lo, hi };
  } catch { /* not Linux */ }
  return { lo: 32768, hi: 60999 };
}

// A random port in [kQuietLow, the ephemeral range) for which `ok(port)` holds; freePort() if that range is too
// small.
const kQuietLow = 10_000;
async function quietPort(ok) {
  const { lo } = ephemeralRange();
  if (lo - kQuietLow < 1_000) {
    for (;;) {
      const p = await freePort();
      if (await ok(p)) return p;
    }
  }
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const p = kQuietLow + Math.floor(Math.random() * (lo - kQuietLow - kMaxReplicas));
    if (await ok(p)) return p;
  }
  throw new Error(`no free port between ${kQuietLow} and ${lo}`);
}

// Ports for the load balancer, Redis and PostgreSQL, with PostgreSQL's next five free for the replicas. A
// state directory remembers its ports: replicas made by pg_basebackup stream from the port the primary had
// then, so a kept --state directory is best started on the same ports again.
async function pickPorts(state) {
  const memory = path.join(state, 'lab-reads-ports.json');
  try {
    const known = JSON.parse(fs.readFileSync(memory, 'utf8'));
    if (await allFree([known.lb, known.redis, ...pgBlock(known.pg)])) return { ...known, reused: true };
  } catch { /* none remembered, or not usable */ }
  const pg = await quietPort((p) => allFree(pgBlock(p)));
  const lb = await quietPort(async (p) => !pgBlock(pg).includes(p) && (await portIsFree(p)));
  const redis = await quietPort(async (p) => !pgBlock(pg).includes(p) && p !== lb && (await portIsFree(p)));
  const ports = { lb, pg, redis };
  fs.writeFileSync(memory, `${JSON.stringify(ports)}\n`);
  return { ...ports, reused: false };
}

function regionArgs(config) {
  const args = ['--replicas', String(config.replicas)];
  if (!config.cache) args.push('--no-cache');
  return args;
}

// Polls `region status` until `count` instances are in service and up in the load balancer.
async function waitInService(region, count) {
  const t0 = Date.now();
  for (;;) {
    const st = await region.status();
    const serving = st.instances.filter((i) => i.state === 'in-service' && (i.lb === undefined || i.lb === 'UP'));
    if (serving.length >= count) return st;
    if (Date.now() - t0 > kInServiceTimeoutMs) {
      throw new Error(`only ${serving.length} of ${count} instances in service after ${kInServiceTimeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Byte sizes of the instance logs now, to read afterwards only what one configuration wrote.
function logSizes(state) {
  const sizes = {};
  for (const f of instanceLogs(state)) {
    try { sizes[f] = fs.statSync(f).size; } catch { /* gone */ }
  }
  return sizes;
}

// Lines of the instance logs (not HAProxy's) written since `sizes`, that speak of the database or are warnings
// and errors: the evidence when reads did not go where they should.
function logEvidence(state, sizes) {
  const lines = [];
  let warnings = 0;
  for (const f of instanceLogs(state)) {
    if (path.basename(f).startsWith('haproxy')) continue;
    let text;
    try {
      const fd = fs.openSync(f, 'r');
      const from = sizes[f] ?? 0;
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      fs.closeSync(fd);
      text = buf.toString('utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const notable = /\b(warn|warning|error|critical)\b/i.test(line);
      if (notable) warnings += 1;
      if ((notable || /replica|\bdb:/i.test(line)) && lines.length < 12) lines.push(`${path.basename(f)}: ${line.trim()}`);
    }
  }
  return { lines, warnings };
}

const planFingerprint = (plans) => crypto.createHash('sha256').update(JSON.stringify(plans)).digest('hex').slice(0, 12);

// Why this program cannot run the configurations asked for (flags its `region up` lacks), or null.
async function missingFlags(options) {
  const known = await regionUpFlags(options.program, root);
  const needed = [...new Set(options.configurations.flatMap((c) => regionArgs(c).filter((a) => a.startsWith('--'))))];
  const unknown = needed.filter((f) => !known.has(f));
  if (unknown.length === 0) return null;
  return `\`${path.relative(root, options.program)} region up\` does not know ${unknown.join(' and ')} ` +
    '(not in its --help)\n  next: rebuild (cmake --build build/release --target myclothes) once the region has them';
}

export function main(argv) {
  // Learnt in the first configuration, the same for all: the catalog, the shoppers' plans and their summary.
  let catalog = null;
  let plans = null;
  let workload = null;
  let sizes = null;  // the instance logs' sizes when the current configuration started

  // Starts the region for `config` and runs the workload; the result has `error` if something failed.
  async function run(config, region, { options, state }) {
    const extraArgs = regionArgs(config);
    sizes = logSizes(state);
    const result = { config, regionArgs: extraArgs };
    try {
      info(`region: starting (${options.instances} instances, ${extraArgs.join(' ')}) …`);
      const ts = Date.now();
      const lb = await region.start();
      const status = await waitInService(region, options.instances);
      result.startMs = Date.now() - ts;
      result.db = status.db ?? [];
      info(`region: serving at ${lb.href} after ${(result.startMs / 1000).toFixed(1)} s; databases: ` +
        `${result.db.map((d) => `${d.name} (${d.role}${d.up === false ? ', down' : ''})`).join(', ') || '?'}`);

      const agent = makeAgent();
      const probe = new Shopper({ name: 'probe', lb, agent, traffic: new Recorder(), random: rng(0) });
      try {
        if (catalog === null) {
          catalog = await discoverCatalog(probe);
          plans = makePlans(catalog, options);
          workload = { ...describePlans(plans), fingerprint: planFingerprint(plans), catalog: catalog.fingerprint,
            products: catalog.total, learnt: catalog.learnt, categories: catalog.categories.length };
          info(`catalog: ${catalog.total} products (${catalog.learnt} learnt) in ${catalog.categories.length} categories; ` +
            `plan: ${workload.total} requests, ${workload.distinctPaths} distinct URLs, ` +
            `top 10 products ${(100 * workload.top10ProductShare).toFixed(0)}% of product views`);
          result.catalogTotal = catalog.total;
        } else {
          const a = await probe.request('GET', '/api/v1/products?per_page=1');
          result.catalogTotal = a.json?.total ?? null;
          if (result.catalogTotal !== catalog.total) {
            throw new Error(`the catalog changed: ${result.catalogTotal} products now, ${catalog.total} before`);
          }
        }
      } finally {
        agent.destroy();
      }

      const before = await scrape(status);
      const recorder = new Recorder();
      info(`workload: ${plans.length} shoppers × ${options.requests} requests …`);
      result.run = await runPlans({ lb, plans, recorder, maxSeconds: options.maxSeconds });
      const after = await scrape(await region.status());
      result.server = serverView(difference(before, after));
      result.client = clientView(recorder.answers);
      result.storySearch = storySearch(recorder.answers, kStorySearchWindowMs);
      const s = result.server;
      const cv = result.client;
      info(`workload: ${cv.requests} requests (${cv.failed} failed${result.run.unsent ? `, ${result.run.unsent} not sent` : ''}) ` +
        `in ${(result.run.ms / 1000).toFixed(1)} s; queries: ${s.primary} on the primary, ${s.replica} on replicas; ` +
        `cache: ${counterLines(s.cache)}; p50 ${cv.p50?.toFixed(1)} ms, p99 ${cv.p99?.toFixed(1)} ms`);
    } catch (err) {
      result.error = err.message;
    }
    return result;
  }

  // Once the region is down: the configuration's log evidence, and what looks wrong.
  function afterStop(result, config, { state, logFile }) {
    result.logs = logEvidence(state, sizes);
    if (result.error || (result.client && result.client.failed > 0)) {
      info(`logs: ${logFile} and ${path.join(state, 'logs')}/`);
      for (const f of result.client?.failures.slice(0, 3) ?? []) info(`  ${f.request} → ${f.answer} (${f.instance ?? '?'})`);
    }
    if (config.replicas > 0 && result.server && result.server.replica === 0) {
      info(`odd: ${config.replicas} replicas, yet no query ran on one; instance log lines:`);
      for (const line of result.logs.lines.slice(0, 6)) info(`  ${line}`);
    }
  }

  return runLab(argv, {
    name: 'reads',
    help: HELP,
    parseOptions,
    check: missingFlags,
    pickPorts,
    headline: (options) => `reads lab: ${options.shoppers} shoppers × ${options.requests} requests per ` +
      `configuration; ${options.configurations.map((c) => c.name).join(', ')}`,
    portsText: (ports) => `load balancer port ${ports.lb}, PostgreSQL ${ports.pg} (replicas ` +
      `${pgBlock(ports.pg).slice(1).join(', ')}), Redis ${ports.redis}${ports.reused ? ' (as last time)' : ''}`,
    items: (options) => options.configurations,
    title: (config) => config.label,
    regionSettings: (config, options) => ({ session: options.session, sticky: false, extraArgs: regionArgs(config) }),
    run,
    afterStop,
    verdicts: (results) => verdicts(results, {
      sameWorkload: results.every((r) => r.error || r.catalogTotal === catalog?.total),
    }),
    figures: () => ({ workload }),
    markdown,
    svg,
    tables: (results) => `${textTable(results)}\n\n${clientTable(results)}`,
  });
}
