// The browsing workload: what the shoppers request (a fixed, seeded plan per shopper, the same in every
// configuration) and what every answer said (status, latency, X-Cache, X-DB), counted on the client side.
//
// The mix is read-heavy and skewed like real browsing: a few products get most of the views (Zipf over a
// seeded ranking of the catalog), first pages of listings far more than later ones, and a handful of popular
// searches — so a cache has something to hit.

import { Shopper, makeAgent, rng } from '../common/shopper.mjs';

// Kinds of request, their share of the mix (percent) and how a path is recognised afterwards.
export const KINDS = [
  { kind: 'product-json', weight: 25, label: 'GET /api/v1/products/{id}', match: /^\/api\/v1\/products\/\d+$/ },
  { kind: 'product-page', weight: 20, label: 'GET /p/{slug}', match: /^\/p\// },
  { kind: 'listing-json', weight: 12, label: 'GET /api/v1/products?category=C&page=P', match: /^\/api\/v1\/products\?category=/ },
  { kind: 'listing-page', weight: 13, label: 'GET /c/{category}?page=P', match: /^\/c\// },
  { kind: 'search-json', weight: 12, label: 'GET /api/v1/products?q=…', match: /^\/api\/v1\/products\?q=/ },
  { kind: 'search-page', weight: 18, label: 'GET /search?q=…', match: /^\/search\?/ },
];

// Popular searches, most popular first (Zipf over this order). The first one is the story's search.
export const SEARCHES = ['항공 점퍼', 'flight jacket', '코트', 'coat', '니트', 'denim', '원피스', 'sneakers'];

const kProductSkew = 1.0;  // Zipf exponent over the product ranking: rank r is viewed ∝ 1/r^s
const kSearchSkew = 1.0;
const kListingPageOdds = [0.6, 0.25, 0.1, 0.05];  // page 1, 2, 3, 4 of a category
const kSearchPageOdds = [0.85, 0.15];
const kStoreListingPerPage = 24;  // the store's default page size (JSON and pages)
const kThinkMs = [5, 25];  // a pause between one shopper's requests, drawn from the plan's seed
// Shoppers arrive one after the other over this time (evenly), not all in the same millisecond: a herd of
// cold connections and misses at t=0 would make p99 a measure of the start alone.
const kRampMs = 500;

// ---- the catalog, learnt from the API: lab/common/catalog.mjs ---------------------------------------------------

export { discoverCatalog } from '../common/catalog.mjs';

// ---- the plans ------------------------------------------------------------------------------------------------

// A sampler of 0 … weights.length-1 in proportion to the weights (cumulative sums, binary search).
function sampler(weights) {
  const cdf = [];
  let sum = 0;
  for (const w of weights) cdf.push((sum += w));
  return (u) => {
    const x = u * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

const zipf = (n, s) => Array.from({ length: n }, (_, r) => 1 / (r + 1) ** s);

function shuffled(items, random) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const q = (text) => encodeURIComponent(text);

// One list of {path, thinkMs} per shopper. Everything is drawn from `seed`: the same catalog and options give
// the same requests, in the same order, in every configuration.
export function makePlans(catalog, { shoppers, requests, seed }) {
  const ranking = shuffled(catalog.products, rng(seed ^ 0x5eed));  // who is popular: unrelated to ids
  const pickProduct = sampler(zipf(ranking.length, kProductSkew));
  const pickCategory = sampler(catalog.categories.map((c) => c.count));
  const pickSearch = sampler(zipf(SEARCHES.length, kSearchSkew));
  const pickKind = sampler(KINDS.map((k) => k.weight));
  const pickListingPage = sampler(kListingPageOdds);
  const pickSearchPage = sampler(kSearchPageOdds);
  const plans = [];
  for (let i = 0; i < shoppers; i += 1) {
    const random = rng(seed + 1 + i);
    const plan = [];
    for (let n = 0; n < requests; n += 1) {
      const kind = KINDS[pickKind(random())].kind;
      let path;
      if (kind === 'product-json' || kind === 'product-page') {
        const p = ranking[pickProduct(random())];
        path = kind === 'product-json' ? `/api/v1/products/${p.id}` : `/p/${p.slug}`;
      } else if (kind === 'listing-json' || kind === 'listing-page') {
        const c = catalog.categories[pickCategory(random())];
        const pages = Math.max(1, Math.ceil(c.count / kStoreListingPerPage));
        const page = 1 + Math.min(pickListingPage(random()), pages - 1);
        path = kind === 'listing-json' ? `/api/v1/products?category=${q(c.slug)}&page=${page}` : `/c/${q(c.slug)}?page=${page}`;
      } else {
        const text = SEARCHES[pickSearch(random())];
        const page = 1 + pickSearchPage(random());
        path = kind === 'search-json' ? `/api/v1/products?q=${q(text)}&page=${page}` : `/search?q=${q(text)}&page=${page}`;
      }
      plan.push({ path, thinkMs: kThinkMs[0] + random.int(kThinkMs[1] - kThinkMs[0] + 1) });
    }
    plans.push(plan);
  }
  return plans;
}

// The paths of the story's search ("항공 점퍼", first page), JSON and page: they share one cache key.
export function storySearchPaths() {
  const text = q(SEARCHES[0]);
  return new Set([`/api/v1/products?q=${text}&page=1`, `/search?q=${text}&page=1`]);
}

// What the plans ask for, in numbers (for the report).
export function describePlans(plans) {
  const byKind = Object.fromEntries(KINDS.map((k) => [k.kind, 0]));
  const distinct = new Set();
  const products = new Map();
  let total = 0;
  for (const plan of plans) {
    for (const { path } of plan) {
      total += 1;
      byKind[kindOf(path)] += 1;
      distinct.add(path);
      const m = /^\/api\/v1\/products\/(\d+)$/.exec(path) ?? /^\/p\/.*-(\d+)$/.exec(path);
      if (m) products.set(m[1], (products.get(m[1]) ?? 0) + 1);
    }
  }
  const views = [...products.values()].sort((a, b) => b - a);
  const top10 = views.slice(0, 10).reduce((a, b) => a + b, 0);
  const productViews = views.reduce((a, b) => a + b, 0);
  return { total, byKind, distinctPaths: distinct.size, distinctProducts: products.size, productViews,
    top10ProductShare: productViews === 0 ? 0 : top10 / productViews };
}

export function kindOf(path) {
  return KINDS.find((k) => k.match.test(path))?.kind ?? 'other';
}

// ---- running it --------------------------------------------------------------------------------------------------

// Every answer of the workload phase, compact. Shopper calls record() for each. A failure is a network
// error, a timeout or any status from 400 up: the workload only asks for things that exist.
export class Recorder {
  constructor() {
    this.answers = [];
  }

  record(a) {
    this.answers.push({
      path: a.path, kind: kindOf(a.path), t0: a.t0, ms: a.ms, status: a.status, error: a.error,
      failed: a.error !== null || a.status >= 400, instance: a.instance,
      xcache: a.headers['x-cache'] ?? null, xdb: a.headers['x-db'] ?? null,
      text: a.error === null && a.status >= 400 ? a.text.slice(0, 160) : undefined,
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs every shopper's plan concurrently through the load balancer, shopper i starting i/n of the ramp-up
// after the first; a shopper stops early only when the deadline passes. Resolves {ms, sent, unsent, rampMs}.
export async function runPlans({ lb, plans, recorder, maxSeconds }) {
  const agent = makeAgent();
  const deadline = Date.now() + maxSeconds * 1000;
  let unsent = 0;
  const t0 = performance.now();
  try {
    await Promise.all(plans.map(async (plan, i) => {
      const shopper = new Shopper({ name: `s${i + 1}`, lb, agent, traffic: recorder, random: rng(i) });
      await sleep((kRampMs * i) / plans.length);
      for (const [n, step] of plan.entries()) {
        if (Date.now() > deadline) {
          unsent += plan.length - n;
          return;
        }
        await shopper.request('GET', step.path);
        await sleep(step.thinkMs);
      }
    }));
  } finally {
    agent.destroy();
  }
  return { ms: performance.now() - t0, sent: recorder.answers.length, unsent, rampMs: kRampMs };
}

// ---- what the answers say ----------------------------------------------------------------------------------------

// Nearest-rank percentile of sorted values.
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function tally(answers) {
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const xcache = {};
  const xdb = {};
  for (const a of answers) {
    if (a.failed) continue;
    const c = a.xcache ?? 'absent';
    const d = a.xdb ?? 'absent';
    xcache[c] = (xcache[c] ?? 0) + 1;
    xdb[d] = (xdb[d] ?? 0) + 1;
  }
  const withCache = Object.entries(xcache).filter(([k]) => k !== 'absent').reduce((n, [, v]) => n + v, 0);
  return {
    requests: answers.length,
    failed: answers.filter((a) => a.failed).length,
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    xcache,
    xdb,
    hitRatio: withCache === 0 ? null : (xcache.hit ?? 0) / withCache,
  };
}

// The client's view of one configuration's workload phase.
export function clientView(answers) {
  const byStatus = {};
  const byInstance = {};
  for (const a of answers) {
    const key = a.error ? 'error' : String(a.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (a.instance) byInstance[a.instance] = (byInstance[a.instance] ?? 0) + 1;
  }
  const byKind = {};
  for (const k of KINDS) byKind[k.kind] = tally(answers.filter((a) => a.kind === k.kind));
  return {
    ...tally(answers),
    byStatus,
    byInstance,
    byKind,
    failures: answers.filter((a) => a.failed).slice(0, 12).map((a) => ({
      at: new Date(a.t0).toISOString(), request: `GET ${a.path}`,
      answer: a.error ?? `${a.status} ${a.text ?? ''}`.trim(), instance: a.instance,
    })),
  };
}

// The story's search in send order: which of its requests reached a database (X-DB other than none). Only
// requests sent within `windowMs` of the first are judged (later ones may find the cached result expired).
export function storySearch(answers, windowMs) {
  const paths = storySearchPaths();
  const seen = answers.filter((a) => paths.has(a.path) && !a.failed).sort((a, b) => a.t0 - b.t0);
  if (seen.length === 0) return { requests: 0, judged: 0, reachedDb: [], lateReachedDb: [] };
  const first = seen[0].t0;
  const judged = seen.filter((a) => a.t0 - first <= windowMs);
  const reachedDb = [];
  judged.forEach((a, i) => {
    if (a.xdb !== 'none') reachedDb.push({ nth: i + 1, xdb: a.xdb, xcache: a.xcache, instance: a.instance });
  });
  return { requests: seen.length, judged: judged.length, reachedDb, lateReachedDb: reachedDb.filter((r) => r.nth >= 10) };
}
