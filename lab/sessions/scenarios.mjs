// What each scenario does to a running region, and what it measures. The phases:
//   browsing   every shopper fills a cart line by line, with catalog pages between the adds, and keeps
//              what the store acknowledged; then looks at its cart a few times
//   kill       (sticky-lb, redis) shoppers keep browsing while one instance is SIGKILLed and replaced;
//              then they look at their carts again
//   cookie     (cookie) one shopper grows a cart until the 4096-byte cookie cap answers 413, and real
//              session cookies are tampered with and sent back

import http from 'node:http';
import { Shopper, Traffic, makeAgent, rng } from '../common/shopper.mjs';

export const SCENARIOS = {
  sticky: {
    session: 'sticky', lbSticky: false, kill: false,
    title: 'sticky sessions (carts in instance memory), round-robin load balancer',
  },
  'sticky-lb': {
    session: 'sticky', lbSticky: true, kill: true,
    title: 'sticky sessions behind load-balancer stickiness (cookie MCLB), then one instance killed',
  },
  cookie: {
    session: 'cookie', lbSticky: false, kill: false,
    title: 'the whole session in a sealed cookie (mc_state, AES-256-GCM)',
  },
  redis: {
    session: 'redis', lbSticky: false, kill: true,
    title: 'server sessions (mc_sid, carts in Redis), then one instance killed',
  },
};

const kListPerPage = 20;
const kThinkMs = [10, 40];  // pause between page views while the kill happens
const kAfterReplacementMs = 1000;  // load keeps running this long on the new membership
const kGrowthCheckpoints = [1, 5, 10, 20, 50, 100, 150, 200, 250, 300, 400, 500];
const kGrowthMaxLines = 1000;  // no 413 by then: the cap does not work
const kSealHeader = 2;  // version, key id length (then the key id, the nonce, the ciphertext, the tag)
const kNonceBytes = 12;
const kTagBytes = 16;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(values) {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : Math.round((v[mid - 1] + v[mid]) / 2);
}

// A page of the catalog and one product from it; resolves the variants one may add (stock to spare).
async function browse(shopper, catalog) {
  const page = 1 + shopper.random.int(catalog.pages);
  const list = await shopper.request('GET', `/api/v1/products?per_page=${kListPerPage}&page=${page}`);
  const items = list.json?.items ?? [];
  if (items.length === 0) return [];
  const product = await shopper.request('GET', `/api/v1/products/${shopper.random.pick(items).id}`);
  return (product.json?.variants ?? []).filter((v) => v.stock >= 2 && !shopper.acknowledged.has(v.sku));
}

// Fills the shopper's cart with `lines` distinct lines, one unit each, browsing before every add.
async function fillCart(shopper, lines, catalog) {
  const answers = { added: 0, refused: {} };
  for (let line = 0; line < lines; line += 1) {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const variants = await browse(shopper, catalog);
      if (variants.length === 0) continue;
      const answer = await shopper.add(shopper.random.pick(variants).sku);
      if (answer.status === 200) {
        answers.added += 1;
        await shopper.request('GET', '/api/v1/cart');  // the cart badge on the next page
        break;
      }
      const code = answer.json?.error?.code ?? (answer.error ?? String(answer.status));
      answers.refused[code] = (answers.refused[code] ?? 0) + 1;
      if (answer.status === 413) return answers;  // the cookie is full: no further line can fit
    }
  }
  return answers;
}

// The shoppers look at their carts one after the other, so that nothing else runs through the load
// balancer meanwhile: round robin then sends a shopper's consecutive looks to different instances, and a
// cart that lives on one instance cannot look intact by luck.
async function checkAll(shoppers, looks) {
  const checks = [];
  for (const s of shoppers) checks.push(await s.checkCart(looks));
  return {
    intact: checks.filter((c) => c.intact).length,
    broken: checks.map((c, i) => ({ shopper: shoppers[i].name, acknowledged: shoppers[i].acknowledged.size, looks: c.seen }))
      .filter((_, i) => !checks[i].intact),
    checks,
  };
}

// Median request-header bytes of GET /api/v1/cart (the same request at every cart size: the badge after
// each add and the looks of the checks) by the number of lines the sender's cart had.
function bytesByLines(shoppers) {
  const by = new Map();
  for (const s of shoppers) {
    for (const r of s.sent) {
      if (r.method !== 'GET' || r.path !== '/api/v1/cart') continue;
      if (!by.has(r.lines)) by.set(r.lines, { head: [], cookie: [] });
      by.get(r.lines).head.push(r.head);
      by.get(r.lines).cookie.push(r.cookie);
    }
  }
  return [...by].sort((a, b) => a[0] - b[0])
    .map(([lines, v]) => ({ lines, head: median(v.head), cookie: median(v.cookie), n: v.head.length }));
}

// The sum of myclothes_session_rejected_total over every instance in service, by reason, and how many
// instances answered /metrics.
async function rejectedCounters(status) {
  const sums = {};
  let read = 0;
  for (const inst of status.instances.filter((i) => i.state === 'in-service')) {
    const text = await new Promise((resolve) => {
      const req = http.get(new URL('metrics', inst.url), (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve(body));
      });
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(''));
    });
    if (text.includes('myclothes_session_rejected_total')) read += 1;
    for (const m of text.matchAll(/^myclothes_session_rejected_total\{reason="([^"]+)"\}\s+([0-9.eE+-]+)$/gm)) {
      sums[m[1]] = (sums[m[1]] ?? 0) + Number(m[2]);
    }
  }
  return { sums, read };
}

const b64 = {
  decode: (text) => Buffer.from(text, 'base64url'),
  encode: (bytes) => Buffer.from(bytes).toString('base64url'),
};

// Tampered variants of real mc_state values: each must be ignored by the store (an empty cart).
function tamperedCookies(values, random) {
  const out = [];
  values.forEach((value, i) => {
    const raw = b64.decode(value);
    const idLen = raw[1];
    const bodyAt = kSealHeader + idLen + kNonceBytes;  // where the ciphertext starts
    const sane = raw.length > bodyAt + kTagBytes && idLen > 0;
    const flip = (at, mask) => {
      const copy = Buffer.from(raw);
      copy[at] ^= mask;
      return b64.encode(copy);
    };
    if (sane) {
      out.push({ kind: 'one bit of the ciphertext flipped', value: flip(bodyAt + ((raw.length - bodyAt - kTagBytes) >> 1), 0x01) });
      out.push({ kind: 'one bit of the tag flipped', value: flip(raw.length - 1, 0x80) });
      out.push({ kind: 'version byte changed', value: flip(0, 0x02) });
      // The key id travels in clear: name one the store does not have.
      const foreign = Buffer.from(raw);
      for (let k = kSealHeader; k < kSealHeader + idLen; k += 1) foreign[k] = 0x5a;  // 'Z'
      if (!foreign.equals(raw)) out.push({ kind: 'unknown key id', value: b64.encode(foreign) });
      if (values.length > 1) {
        // The clear prefix (version, key id, nonce) of another shopper's cookie with this one's ciphertext.
        const other = b64.decode(values[(i + 1) % values.length]);
        if (other.length > bodyAt) {
          out.push({ kind: "another shopper's prefix spliced in",
            value: b64.encode(Buffer.concat([other.subarray(0, bodyAt), raw.subarray(bodyAt)])) });
        }
      }
    }
    out.push({ kind: 'cut in half', value: value.slice(0, value.length >> 1) });
    out.push({ kind: 'last 4 characters cut', value: value.slice(0, -4) });
    out.push({ kind: 'random bytes of the same length',
      value: b64.encode(Buffer.from(Array.from({ length: raw.length }, () => random.int(256)))) });
    out.push({ kind: 'not base64url', value: '!*!*' + value.slice(4) });
  });
  return out;
}

export class ScenarioRun {
  // ctx: {name, options, region, lb, log}
  constructor(ctx) {
    this.ctx = ctx;
    this.def = SCENARIOS[ctx.name];
    this.traffic = new Traffic();
    this.agent = makeAgent();
    this.seed = ctx.options.seed + Object.keys(SCENARIOS).indexOf(ctx.name) * 1000;
  }

  shopper(name, index) {
    return new Shopper({ name, lb: this.ctx.lb, agent: this.agent, traffic: this.traffic,
      random: rng(this.seed + index) });
  }

  async run() {
    const { options, log } = this.ctx;
    const result = { name: this.ctx.name, title: this.def.title, session: this.def.session,
      lbSticky: this.def.lbSticky, shoppers: options.shoppers, lines: options.lines, looks: options.looks };
    try {
      const probe = this.shopper('catalog', 9999);
      const first = await probe.request('GET', `/api/v1/products?per_page=${kListPerPage}&page=1`);
      if (first.status !== 200 || !first.json) {
        throw new Error(`GET /api/v1/products answered ${first.error ?? first.status}: ${first.text.slice(0, 200)}`);
      }
      const catalog = { total: first.json.total, pages: Math.max(1, Math.ceil(first.json.total / kListPerPage)) };
      this.catalog = catalog;

      const shoppers = Array.from({ length: options.shoppers }, (_, i) => this.shopper(`s${i + 1}`, i));
      log(`browsing: ${shoppers.length} shoppers fill carts of ${options.lines} lines, catalog pages between adds …`);
      const t0 = Date.now();
      const fills = await Promise.all(shoppers.map((s) => fillCart(s, options.lines, catalog)));
      result.browsingMs = Date.now() - t0;
      result.acknowledgedLines = shoppers.reduce((n, s) => n + s.acknowledged.size, 0);
      result.refusedAdds = {};
      for (const f of fills) for (const [k, v] of Object.entries(f.refused)) result.refusedAdds[k] = (result.refusedAdds[k] ?? 0) + v;
      const short = shoppers.filter((s) => s.acknowledged.size < options.lines).length;
      if (short > 0) log(`note: ${short} shopper(s) got fewer than ${options.lines} lines acknowledged`);

      const check = await checkAll(shoppers, options.looks);
      result.intactAfterBrowsing = check.intact;
      result.brokenAfterBrowsing = check.broken.slice(0, 5);
      result.servedBy = this.servedBy(shoppers);
      log(`carts intact after browsing: ${check.intact}/${shoppers.length} (${result.browsingMs} ms, ` +
        `${this.traffic.total} requests so far)`);

      if (this.def.kill) result.kill = await this.killPhase(shoppers);
      if (this.def.session === 'cookie') {
        result.growth = await this.growCookie(catalog);
        result.tamper = await this.tamper(shoppers);
      }
      result.bytes = bytesByLines(shoppers);
    } catch (err) {
      result.error = err.message;
    } finally {
      this.agent.destroy();
      result.traffic = {
        total: this.traffic.total, failed: this.traffic.failed, inKillWindow: this.traffic.inWindow,
        failedInKillWindow: this.traffic.failedInWindow, killWindowMs: this.traffic.killWindowMs,
        byStatus: this.traffic.byStatus, failures: this.traffic.failures,
      };
    }
    return result;
  }

  // instance id -> shoppers whose last answer came from it
  servedBy(shoppers) {
    const by = {};
    for (const s of shoppers) if (s.lastInstance) by[s.lastInstance] = (by[s.lastInstance] ?? 0) + 1;
    return by;
  }

  async killPhase(shoppers) {
    const { region, log, options } = this.ctx;
    const before = await region.status();
    const inService = before.instances.filter((i) => i.state === 'in-service').map((i) => i.id);
    const served = this.servedBy(shoppers);
    // The instance the most shoppers were served by last (the first such in the region's order).
    const victim = inService.reduce((best, id) => ((served[id] ?? 0) > (served[best] ?? 0) ? id : best), inService[0]);
    const pinned = new Set(shoppers.filter((s) => s.lastInstance === victim).map((s) => s.name));

    let stop = false;
    const loops = shoppers.map(async (s) => {
      while (!stop) {
        await browse(s, this.catalog);
        await sleep(kThinkMs[0] + s.random.int(kThinkMs[1] - kThinkMs[0]));
      }
    });
    await sleep(500);
    log(`kill: SIGKILL ${victim} (last served ${served[victim] ?? 0} of ${shoppers.length} shoppers) while they browse …`);
    this.traffic.kills.push(Date.now());
    await region.kill(victim);
    let replaced;
    try {
      replaced = await region.waitReplaced(victim, before);
      log(`kill: replaced by ${replaced.replacement ?? '?'} and in service ${(replaced.ms / 1000).toFixed(1)} s after the kill`);
      await sleep(kAfterReplacementMs);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const check = await checkAll(shoppers, options.looks);
    const lost = shoppers.filter((_, i) => !check.checks[i].intact);
    log(`carts intact after the kill: ${check.intact}/${shoppers.length}`);
    return {
      victim, replacement: replaced.replacement, replacedMs: replaced.ms, pinnedToVictim: pinned.size,
      intact: check.intact, lostPinned: lost.filter((s) => pinned.has(s.name)).length,
      lostOthers: lost.filter((s) => !pinned.has(s.name)).length, broken: check.broken.slice(0, 5),
    };
  }

  // One shopper adds distinct lines one by one until the store answers 413 cart_too_large_for_cookie.
  async growCookie(catalog) {
    const { log } = this.ctx;
    log('cookie size: one shopper grows a cart line by line until the store answers 413 …');
    const grower = this.shopper('grower', 5000);
    const series = [];  // request bytes of every add, by the lines the cart had when it was sent
    const points = [];  // GET /api/v1/cart at the checkpoints
    const out = { cap: null, series, points, unexpected: [] };
    const lookAt = async (label) => {
      const a = await grower.request('GET', '/api/v1/cart');
      points.push({ lines: grower.acknowledged.size, cookie: a.cookie, head: a.head, label });
      return a;
    };
    let page = 1;
    let pool = [];
    let last413 = null;
    while (grower.acknowledged.size <= kGrowthMaxLines) {
      if (pool.length === 0) {
        if (page > Math.ceil(catalog.total / 100)) break;
        const list = await grower.request('GET', `/api/v1/products?per_page=100&page=${page}`);
        page += 1;
        for (const item of list.json?.items ?? []) pool.push({ product: item.id });
        continue;
      }
      const next = pool.shift();
      if (next.product !== undefined) {
        const p = await grower.request('GET', `/api/v1/products/${next.product}`);
        pool = (p.json?.variants ?? []).filter((v) => v.stock >= 2 && !grower.acknowledged.has(v.sku))
          .map((v) => ({ sku: v.sku })).concat(pool);
        continue;
      }
      const lines = grower.acknowledged.size;
      const cookieBefore = grower.jar.get('mc_state') ?? null;
      const a = await grower.add(next.sku);
      series.push({ lines, cookie: a.cookie, head: a.head });
      if (a.status === 200) {
        if (kGrowthCheckpoints.includes(grower.acknowledged.size)) await lookAt('checkpoint');
        continue;
      }
      if (a.status === 413 && a.json?.error?.code === 'cart_too_large_for_cookie') {
        last413 = { cookieBefore, setCookie: a.setCookies.length > 0 };
        out.cap = lines;
        break;
      }
      if (a.status !== 409 && a.status !== 404) {
        out.unexpected.push(`${a.status || a.error} ${a.text.slice(0, 160)}`);
        if (out.unexpected.length >= 5) break;
      }
    }
    if (out.cap === null) {
      log(`cookie size: no 413 after ${grower.acknowledged.size} lines`);
      return out;
    }
    const after = await lookAt('after the 413');
    const value = grower.jar.get('mc_state') ?? '';
    out.cartUnchanged = grower.showsAcknowledged(after);
    out.cookieUnchanged = value === last413.cookieBefore;
    out.setCookieOn413 = last413.setCookie;
    out.cookieBytes = Buffer.byteLength(`mc_state=${value}`);
    log(`cookie size: 413 when adding line ${out.cap + 1}; cap ${out.cap} lines, cookie ${out.cookieBytes} B ` +
      `(name+value), cart ${out.cartUnchanged ? 'unchanged' : 'CHANGED'} after the 413`);
    return out;
  }

  async tamper(shoppers) {
    const { log, region, options } = this.ctx;
    const sources = shoppers.map((s) => s.jar.get('mc_state')).filter(Boolean).slice(0, options.tamperSources);
    const variants = tamperedCookies(sources, rng(this.seed + 7777));
    log(`tampering: ${variants.length} tampered variants of ${sources.length} shoppers' real mc_state cookies …`);
    const before = await rejectedCounters(await region.status());
    const sent = [];
    for (const [i, v] of variants.entries()) {
      const s = this.shopper(`tamper${i + 1}`, 8000 + i);
      s.jar.set('mc_state', v.value);
      const a = await s.request('GET', '/api/v1/cart');
      const lines = Shopper.linesOf(a);
      const rejected = a.status === 200 && lines !== null && lines.size === 0 && a.json.count === 0;
      sent.push({ kind: v.kind, status: a.error ?? a.status, rejected, serverError: a.failed });
    }
    const after = await rejectedCounters(await region.status());
    const growth = {};
    for (const reason of new Set([...Object.keys(before.sums), ...Object.keys(after.sums)])) {
      growth[reason] = (after.sums[reason] ?? 0) - (before.sums[reason] ?? 0);
    }
    const rejected = sent.filter((x) => x.rejected).length;
    const metricGrowth = Object.values(growth).reduce((a, b) => a + b, 0);
    log(`tampering: ${rejected}/${sent.length} rejected (empty cart), ${sent.filter((x) => x.serverError).length} ` +
      `answered 5xx; myclothes_session_rejected_total grew by ${metricGrowth}`);
    const byKind = {};
    for (const x of sent) {
      byKind[x.kind] ??= { sent: 0, rejected: 0, statuses: {} };
      byKind[x.kind].sent += 1;
      byKind[x.kind].rejected += x.rejected ? 1 : 0;
      byKind[x.kind].statuses[x.status] = (byKind[x.kind].statuses[x.status] ?? 0) + 1;
    }
    return { sent: sent.length, rejected, serverErrors: sent.filter((x) => x.serverError).length,
      metricGrowth, metricByReason: growth, instancesRead: Math.min(before.read, after.read), byKind };
  }
}
