// The zone-failure lab: one local region for the whole run and, under a bounded load of shoppers, one fault at
// a time (kill the PostgreSQL primary, kill the Redis primary, cut zone a off, reconnect it). After each fault
// window the lab waits until the region is whole again and every shopper checks what the store acknowledged
// to it; then the table, the chart and the raw figures.

import path from 'node:path';

import { info, root, runLab, step } from '../common/harness.mjs';
import { discoverCatalog } from '../common/catalog.mjs';
import { instanceLogs, missingParts, regionPorts, regionUpFlags } from '../common/region.mjs';
import { Shopper, makeAgent, rng } from '../common/shopper.mjs';
import { FAULTS, byName } from './faults.mjs';
import { HELP, parseOptions } from './options.mjs';
import { markdown, svg, textTable } from './report.mjs';
import { verdicts } from './verdicts.mjs';
import { KINDS, Recorder, StoreShopper, failedOf, roles, secondsBack } from './workload.mjs';

const kStatusEveryMs = 1000;
const kCheckConcurrency = 8;
const kReplicas = 2;  // region up's default number of read replicas: their ports must be free on loopback
const kSetupMs = 60_000;
const kFailuresShown = 3;  // per kind, in the report (and the last one)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => Math.round(ms / 100) / 10;

// The primaries a status names: PostgreSQL's (pg_auto_failover's monitor's, else the one up with that role)
// and Redis's (the Sentinels' majority, else the one Redis that is up).
export function primaries(st) {
  const pg = st.ha_manager?.primary ?? st.db?.find((d) => d.role === 'primary' && d.up !== false)?.name ?? null;
  const redis = st.data_tier === 'replicated' ? st.redis_primary ?? null
    : (st.redis ?? []).find((r) => r.up !== false)?.name ?? null;
  return { pg, redis };
}

const serving = (st) => st.instances.filter((i) => i.state === 'in-service' && (i.lb === undefined || i.lb.startsWith('UP')));

// `region status --json` once a second while a fault window runs (and until the region is whole), compact.
class StatusPoller {
  constructor(region) {
    this.region = region;
    this.snapshots = [];
    this.running = true;
    this.done = this.loop();
  }

  async loop() {
    while (this.running) {
      const t = Date.now();
      try {
        const st = await this.region.status();
        this.snapshots.push({ t, ...primaries(st), serving: serving(st).map((i) => i.id),
          whole: missingParts(st).length === 0 });
      } catch (err) {
        this.snapshots.push({ t, error: err.message });
      }
      await sleep(Math.max(0, kStatusEveryMs - (Date.now() - t)));
    }
  }

  async stop() {
    this.running = false;
    await this.done;
  }
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

// The region's own event lines (`region: HH:MM:SS text`) that arrived from `from` to `to`, with their time
// from the fault at `t0`.
function regionEvents(region, from, to, t0) {
  return region.lines.filter((l) => l.t >= from && l.t <= to && l.line.startsWith('region: '))
    .map((l) => ({ s: seconds(l.t - t0), text: l.line.slice('region: '.length).replace(/^\d\d:\d\d:\d\d /, '') }));
}

// Instances launched after the fault (the region's "launched i-… in zone …" lines, to the millisecond they
// arrived) and those that went away (killed, terminated, drained).
function replacements(events) {
  const launched = [];
  const removed = [];
  for (const e of events) {
    if (e.s < 0) continue;
    let m = /^launched (i-\S+) in zone (\S+)/.exec(e.text);
    if (m) launched.push({ id: m[1], az: m[2], s: e.s });
    m = /^(?:(i-\S+) \(zone (\S+)\) (?:died|failed the load balancer's health checks)|drained and stopped (i-\S+) \(zone (\S+)\))/.exec(e.text);
    if (m) removed.push({ id: m[1] ?? m[3], az: m[2] ?? m[4], s: e.s });
  }
  return { launched, removed };
}

// When (s after the fault) the snapshots first name a primary other than `before`, and which.
function primaryChange(snapshots, key, before, t0) {
  const s = snapshots.find((x) => x.t >= t0 && !x.error && x[key] !== null && x[key] !== before);
  return s ? { now: s[key], s: seconds(s.t - t0) } : null;
}

// When (s after the fault) the snapshots show the region whole again after they last showed it broken; 0 when
// none after the fault showed it broken; null when the last one did.
function wholeAgain(snapshots, t0) {
  const after = snapshots.filter((x) => x.t >= t0 && !x.error);
  const lastBroken = after.findLastIndex((x) => !x.whole);
  if (lastBroken === -1) return 0;
  return lastBroken === after.length - 1 ? null : seconds(after[lastBroken + 1].t - t0);
}

class FaultRun {
  constructor(region, { options }) {
    this.region = region;
    this.options = options;
    this.recorder = new Recorder();
    this.agent = makeAgent();
    this.runId = `az${Date.now().toString(36)}`;
  }

  async run() {
    const { options, region } = this;
    const result = { dataTier: options.dataTier, shoppers: options.shoppers, faults: [] };
    try {
      info(`region: starting (--data-tier ${options.dataTier}, ${options.instances} instances over ${options.azs} zones, ` +
        `${options.products} products) …`);
      const ts = Date.now();
      const lb = await region.start();
      const whole = await region.waitWhole({ timeoutMs: options.wholeSeconds * 1000 });
      result.startMs = Date.now() - ts;
      result.status = describeStatus(whole.status);
      info(`region: serving at ${lb.href} after ${seconds(result.startMs)} s; ${result.status.summary}`);

      const probe = new Shopper({ name: 'probe', lb, agent: this.agent, traffic: new Recorder(), random: rng(0) });
      const catalog = await discoverCatalog(probe);
      result.catalog = { products: catalog.total, categories: catalog.categories.length, fingerprint: catalog.fingerprint };
      const cast = roles(options.shoppers, options.faults.length);
      this.shoppers = cast.map((r, i) => new StoreShopper({
        name: `s${i + 1}`, ...r, lb, agent: this.agent, recorder: this.recorder, seed: options.seed + i, catalog,
        runId: this.runId,
      }));
      const count = (role) => cast.filter((r) => r.role === role).length;
      result.cast = { buyers: count('buyer'), newcomers: count('newcomer'), guests: count('guest') };
      info(`shoppers: ${options.shoppers} (${result.cast.buyers} buyers, registered with an address now; ` +
        `${result.cast.newcomers} register during the faults; ${result.cast.guests} guests); catalog ${catalog.total} products`);
      this.recorder.phase = 'setup';
      await Promise.all(this.shoppers.map((s) => s.setUp(Date.now() + kSetupMs)));

      for (const [k, name] of options.faults.entries()) {
        const fr = await this.window(byName(name), k);
        result.faults.push(fr);
        if (fr.notWhole) {
          result.error = `${fr.title}: ${fr.notWhole}; the faults after it were not caused`;
          break;
        }
      }
    } catch (err) {
      result.error = err.message;
    } finally {
      this.agent.destroy();
      result.requests = Object.fromEntries(['setup', 'check'].map((p) =>
        [p, failedOf(this.recorder.answers.filter((a) => a.phase.startsWith(p)), [...KINDS, 'check'])]));
    }
    return result;
  }

  // One fault: load for the lead-in, the fault, load for the window, the wait until the region is whole, the
  // checks; then the fault's figures.
  async window(fault, k) {
    const { options, region, recorder } = this;
    step(`fault ${k + 1}/${options.faults.length}: ${fault.title} — ${fault.what}`);
    const before = await region.status();
    const was = primaries(before);
    const poller = new StatusPoller(region);
    recorder.phase = fault.name;
    const tLoad = Date.now();
    const tFault = tLoad + options.leadSeconds * 1000;
    const tEnd = tFault + options.windowSeconds * 1000;
    const fr = { name: fault.name, title: fault.title, verb: fault.verb.join(' '), aws: fault.aws,
      before: { ...was, serving: serving(before).map((i) => `${i.id}`), zoneA: dataNodesIn(before, 'a') } };
    const loops = Promise.all(this.shoppers.map((s) => s.shop(tEnd, fault.name, k)));
    loops.catch(() => {});  // judged below, once the window is over
    await sleep(Math.max(0, tFault - Date.now()));
    const tSent = Date.now();
    info(`${fault.title}: \`myclothes region ${fr.verb}\` under load (${this.shoppers.length} shoppers) …`);
    try {
      fr.output = await region.act(...fault.verb);
    } catch (err) {
      fr.error = err.message;
    }
    fr.verbMs = Date.now() - tSent;
    for (const line of (fr.output ?? '').split('\n').filter(Boolean).slice(0, 3)) info(`  ${line}`);
    try {
      await loops;
    } catch (err) {
      fr.error = `a shopper stopped: ${err.message}`;
    }
    const tStopped = Date.now();
    recorder.phase = 'wait';
    try {
      const whole = await region.waitWhole({ timeoutMs: options.wholeSeconds * 1000 });
      fr.after = describeStatus(whole.status);
    } catch (err) {
      fr.notWhole = err.message;
      try { fr.after = describeStatus(await region.status()); } catch { /* as it is */ }
    }
    const tWhole = Date.now();
    fr.wholeS = seconds(tWhole - tSent);
    await poller.stop();
    fr.wholeAgainS = wholeAgain(poller.snapshots, tSent);
    info(`${fault.title}: load stopped ${seconds(tStopped - tSent)} s after the fault; ` + (fr.notWhole
      ? `NOT whole: ${fr.notWhole}`
      : `whole again ${fr.wholeAgainS} s after it (status once a second): ${fr.after.summary}`));

    recorder.phase = `check:${fault.name}`;
    const checks = await mapLimit(this.shoppers, kCheckConcurrency, (s) => s.check());
    fr.checks = {
      lostLines: checks.reduce((n, c) => n + c.lostLines, 0),
      lostOrders: checks.reduce((n, c) => n + c.lostOrders, 0),
      duplicates: checks.reduce((n, c) => n + c.duplicates, 0),
      lines: checks.reduce((n, c) => n + c.lines, 0),
      orders: checks.reduce((n, c) => n + c.orders, 0),
      errors: checks.filter((c) => c.error).map((c) => c.error),
      notes: checks.flatMap((c, i) => c.notes.map((n) => `${this.shoppers[i].name}: ${n}`)).slice(0, 20),
      shoppers: checks.length,
    };
    const keys = this.shoppers.flatMap((s) => s.keys.filter((e) => e.fault === fault.name));
    fr.checkouts = Object.fromEntries(['acked', 'unacknowledged', 'none', 'refused'].map((st) =>
      [st, keys.filter((e) => e.state === st).length]));
    fr.registrations = this.shoppers.filter((s) => s.registersIn === k)
      .map((s) => ({ name: s.name, registration: s.registration }));

    const answers = recorder.answers.filter((a) => a.phase === fault.name);
    const span = { tFault: tSent, tEnd };
    fr.requests = Object.fromEntries(KINDS.map((kind) => [kind, failedOf(answers, [kind])]));
    fr.back = {
      browse: secondsBack(answers, ['browse'], { ...span, steady: true }),
      cart: secondsBack(answers, ['cart'], { ...span, steady: false }),
      checkout: secondsBack(answers, ['checkout'], { ...span, steady: false }),
      register: secondsBack(answers, ['register'], { ...span, steady: false }),
    };
    fr.failedBeforeFault = answers.filter((a) => a.outcome === 'failed' && a.t1 < tSent).length;
    // Per kind, the first few failed requests that ended after the fault and the last one (which sets "back").
    const failedAfter = answers.filter((a) => a.outcome === 'failed' && a.t1 >= tSent).sort((a, b) => a.t0 - b.t0);
    fr.failures = KINDS.flatMap((kind) => {
      const mine = failedAfter.filter((a) => a.kind === kind);
      return mine.length <= kFailuresShown + 1 ? mine : [...mine.slice(0, kFailuresShown), mine[mine.length - 1]];
    }).map((a) => ({
      s: seconds(a.t0 - tSent), kind: a.kind, request: `${a.method} ${a.path}`,
      answer: a.error ?? `${a.status}${a.code ? ` ${a.code}` : ''}`, instance: a.instance, ms: a.t1 - a.t0,
    }));
    fr.events = regionEvents(region, tLoad, tWhole, tSent);
    fr.instances = replacements(fr.events);
    fr.pgChange = primaryChange(poller.snapshots, 'pg', was.pg, tSent);
    fr.redisChange = primaryChange(poller.snapshots, 'redis', was.redis, tSent);
    fr.timing = { leadS: options.leadSeconds, windowS: options.windowSeconds, stoppedS: seconds(tStopped - tSent) };
    const failed = Object.entries(fr.requests).filter(([, v]) => v.failed > 0).map(([kind, v]) => `${kind} ${v.failed}/${v.total}`);
    info(`${fault.title}: failed ${failed.join(', ') || 'none'}; browsing back ${fmtBack(fr.back.browse)}, ` +
      `cart ${fmtBack(fr.back.cart)}, checkout ${fmtBack(fr.back.checkout)}; lost ${fr.checks.lostLines} lines, ` +
      `${fr.checks.lostOrders} orders; ${fr.checks.duplicates} duplicates` +
      (fr.checks.errors.length ? `; ${fr.checks.errors.length} checks failed` : ''));
    return fr;
  }
}

const fmtBack = (b) => (b.requests === 0 ? 'no requests' : b.seconds === null ? 'not within the window' : `${b.seconds} s`);

// Which data nodes live in zone `zone`, with their roles.
function dataNodesIn(st, zone) {
  return [...(st.db ?? []), ...(st.data_tier === 'replicated' ? st.redis ?? [] : [])]
    .filter((d) => d.az === zone).map((d) => `${d.name} (${d.role})`);
}

function describeStatus(st) {
  const p = primaries(st);
  const missing = missingParts(st);
  return {
    ...p, instances: serving(st).map((i) => `${i.id}`), missing,
    summary: `${serving(st).length}/${st.desired} instances in service (${serving(st).map((i) => i.id).join(' ')}), ` +
      `PostgreSQL primary ${p.pg ?? 'none'}, Redis primary ${p.redis ?? 'none'}`,
  };
}

export function main(argv) {
  return runLab(argv, {
    name: 'az',
    help: HELP,
    parseOptions,
    async check(options) {
      const flags = await regionUpFlags(options.program, root);
      if (flags.has('--data-tier')) return null;
      return `\`${path.relative(root, options.program)} region up\` does not know --data-tier (not in its --help)\n` +
        '  next: rebuild (cmake --build build/release --target myclothes) or give --program PATH';
    },
    pickPorts: () => regionPorts(kReplicas),
    headline: (options) => `az lab: ${options.shoppers} shoppers, ${options.windowSeconds} s per fault; ` +
      `--data-tier ${options.dataTier}; faults ${options.faults.join(', ')}`,
    portsText: (ports) => `load balancer port ${ports.lb}, PostgreSQL ${ports.pg}, Redis ${ports.redis}`,
    items: (options) => [options],
    title: (options) => `one region for every fault (--data-tier ${options.dataTier})`,
    regionSettings: (item, options) => ({ session: 'redis', sticky: false, dataTier: options.dataTier }),
    run: (item, region, ctx) => new FaultRun(region, ctx).run(),
    afterStop(result, item, { state, logFile }) {
      if (result.error) info(`logs: ${logFile} and ${path.join(state, 'logs')}/ (${instanceLogs(state).length} files)`);
    },
    verdicts: (results) => verdicts(results, FAULTS),
    markdown,
    svg,
    tables: textTable,
  });
}
