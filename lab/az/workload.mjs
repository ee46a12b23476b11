// The shoppers of lab/az and what they remember. Every request goes through the load balancer (the common
// Shopper: a cookie jar, keep-alive) and is recorded with its time, its kind and its outcome:
//   browse    home, a category page, a product page or its JSON, a search (Korean 점퍼 among them)
//   cart      POST /api/v1/cart/items (and a DELETE when a checkout names a line out of stock)
//   register  POST /api/v1/auth/register, and the logins after a lost session or a lost answer
//   checkout  POST /api/v1/checkout with an Idempotency-Key, retried with the same key until it succeeds
// Each shopper remembers every cart line and every order the store acknowledged (a 2xx answer), and checks
// them after each fault (check()).

import { Shopper, rng } from '../common/shopper.mjs';

export const KINDS = ['browse', 'cart', 'register', 'checkout'];
export const WRITE_KINDS = ['cart', 'checkout'];

// 4xx answers that are the store saying no for a reason of the shopper's or of the stock: refused, not failed.
const kRefusals = {
  browse: [],
  cart: ['insufficient_stock'],
  register: ['email_taken'],  // the retry of a registration whose first answer was lost
  checkout: ['insufficient_stock', 'empty_cart'],
};

const kThinkMs = [150, 450];  // between two steps of one shopper
const kAddEveryMs = [3000, 7000];  // a guest adds a line about this often
const kRetryMs = 250;  // between the attempts of a checkout (the same key), a registration, a login
const kMaxCartLines = 40;  // the store holds 50
const kMinStock = 5;  // lines only of variants with at least this many in stock
const kCheckoutsPerWindow = 6;  // per buyer: the store lists a user's last 50 orders
const kCheckAttempts = 5;
const kRememberedVariants = 60;
const kSearches = ['점퍼', '점퍼', '항공 점퍼', 'coat', '니트'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = encodeURIComponent;

export function outcomeOf(kind, answer) {
  if (answer.error !== null || answer.status >= 500) return 'failed';
  if (answer.status >= 400) return (kRefusals[kind] ?? []).includes(answer.json?.error?.code) ? 'refused' : 'failed';
  return 'ok';
}

// Every answer, compact, with the phase it belongs to (set by the run: 'setup', a fault's name, 'check').
export class Recorder {
  constructor() {
    this.answers = [];
    this.phase = 'setup';
  }

  record(a) {
    const kind = a.kind ?? 'browse';
    const outcome = outcomeOf(kind, a);
    this.answers.push({
      phase: this.phase, kind, t0: a.t0, t1: a.t1, method: a.method, path: a.path, status: a.status,
      error: a.error, outcome, code: a.json?.error?.code ?? null, instance: a.instance,
    });
  }
}

// Shopper i's role: a fifth (at least one) are buyers (registered with an address before the first fault,
// they fill small carts and check out); `perFault` others register during fault k (newcomers); the rest
// browse and fill carts as guests.
export function roles(n, faults) {
  const buyers = Math.max(1, Math.ceil(n / 5));
  const perFault = Math.max(1, Math.round(n / 20));
  return Array.from({ length: n }, (_, i) => {
    if (i < buyers) return { role: 'buyer' };
    const k = Math.floor((i - buyers) / perFault);
    return k < faults ? { role: 'newcomer', registersIn: k } : { role: 'guest' };
  });
}

export class StoreShopper {
  constructor({ name, role, registersIn = null, lb, agent, recorder, seed, catalog, runId }) {
    this.name = name;
    this.role = role;
    this.registersIn = registersIn;
    this.random = rng(seed);
    this.http = new Shopper({ name, lb, agent, traffic: recorder, random: this.random });
    this.catalog = catalog;
    this.email = `${runId}-${name}@lab.example.com`;
    this.password = `lab shopper ${runId} ${name}`;
    this.user = null;
    this.registration = null;  // 'pending' while a registration's outcome is unknown, then 'done' or 'none'
    this.addressId = null;
    this.uncertain = new Map();  // sku -> adds whose answer was lost: the line may or may not be in the cart
    this.orders = new Map();  // acknowledged: id -> {key, items: [[sku, qty]], lost}
    this.keys = [];  // every Idempotency-Key sent: {key, fault, lines, state: open|acked|refused|unacknowledged|none, order}
    this.attributed = new Set();  // order ids listed but never acknowledged, explained by an open key
    this.repeats = [];  // acknowledged orders with more of a line than the cart could have held (a stale cart)
    this.keySeq = 0;
    this.seen = new Map();  // sku -> stock, of the variants this shopper has seen (a product page it has open)
    this.nextAddAt = Date.now() + this.random.int(kAddEveryMs[1]);
  }

  // sku -> qty the store acknowledged and the cart should still show (the common Shopper keeps it).
  get acknowledged() {
    return this.http.acknowledged;
  }

  req(kind, method, path, body, headers) {
    return this.http.request(method, path, body, { kind, headers });
  }

  think() {
    return sleep(kThinkMs[0] + this.random.int(kThinkMs[1] - kThinkMs[0]));
  }

  // One page view or API read.
  browse() {
    const { categories, products } = this.catalog;
    const r = this.random();
    const pick = (items) => this.random.pick(items);
    if (r < 0.15) return this.req('browse', 'GET', '/');
    if (r < 0.35) return this.req('browse', 'GET', `/c/${enc(pick(categories).slug)}?page=${1 + this.random.int(2)}`);
    if (r < 0.6) return this.req('browse', 'GET', `/p/${enc(pick(products).slug)}`);
    if (r < 0.8) {
      const q = enc(pick(kSearches));
      return this.req('browse', 'GET', this.random() < 0.5 ? `/search?q=${q}` : `/api/v1/products?q=${q}`);
    }
    return this.product();
  }

  // A product's JSON; its variants are remembered.
  async product() {
    const a = await this.req('browse', 'GET', `/api/v1/products/${this.random.pick(this.catalog.products).id}`);
    for (const v of a.json?.variants ?? []) {
      if (this.seen.size >= kRememberedVariants) this.seen.delete(this.seen.keys().next().value);
      this.seen.set(v.sku, v.stock);
    }
    return a;
  }

  // One unit of a variant in stock that the cart does not hold yet: from a product's JSON, or, when the catalog
  // does not answer, from one seen before (a page still open) — so that writes are tried even while reads fail.
  async addLine() {
    const fits = ([sku, stock]) => stock >= kMinStock && !this.acknowledged.has(sku) && !this.uncertain.has(sku);
    let sku = null;
    for (let attempt = 0; attempt < 3 && sku === null; attempt += 1) {
      const p = await this.product();
      const variants = (p.json?.variants ?? []).map((v) => [v.sku, v.stock]).filter(fits);
      if (variants.length > 0) sku = this.random.pick(variants)[0];
      else if (outcomeOf('browse', p) === 'failed') break;
    }
    if (sku === null) {
      const remembered = [...this.seen].filter(fits);
      if (remembered.length === 0) return null;
      sku = this.random.pick(remembered)[0];
    }
    const a = await this.http.add(sku, { kind: 'cart' });
    if (outcomeOf('cart', a) === 'failed') this.uncertain.set(sku, (this.uncertain.get(sku) ?? 0) + 1);
    return a;
  }

  cartLines() {
    return this.acknowledged.size + this.uncertain.size;
  }

  // Retries `attempt` (one request, resolving its answer) every kRetryMs until `done(answer)` says yes or no
  // (true/false) or `until` passes (null: unknown). A lost session (401) logs in again first.
  async persist(until, attempt, done) {
    for (;;) {
      const a = await attempt();
      const verdict = done(a);
      if (verdict !== undefined) return verdict;
      if (Date.now() >= until) return null;
      if (a.status === 401 && a.json?.error?.code === 'not_logged_in' && this.user) await this.login(until);
      await sleep(kRetryMs);
    }
  }

  async login(until) {
    return await this.persist(until,
      () => this.req('register', 'POST', '/api/v1/auth/login', { email: this.email, password: this.password }),
      (a) => {
        if (a.status === 200) {
          this.user = a.json?.user ?? this.user;
          return true;
        }
        if (a.status === 401 && a.json?.error?.code === 'invalid_credentials') return false;
        return undefined;
      });
  }

  // Registers (a guest's cart goes with it); an answer lost on the way is retried with the same email: 409
  // email_taken then means the first attempt made the account, and a login follows.
  async register(until) {
    this.registration = 'pending';
    const ok = await this.persist(until,
      () => this.req('register', 'POST', '/api/v1/auth/register',
        { email: this.email, password: this.password, name: `쇼퍼 ${this.name}` }),
      (a) => {
        if (a.status === 201) {
          this.user = a.json?.user ?? { email: this.email };
          return true;
        }
        if (a.status === 409 && a.json?.error?.code === 'email_taken') return 'login';
        if (a.status === 422) throw new Error(`registration refused: ${a.text.slice(0, 160)}`);
        return undefined;
      });
    if (ok === 'login') return (this.registration = (await this.login(until)) ? 'done' : 'pending') === 'done';
    if (ok === true) this.registration = 'done';
    return ok === true;
  }

  // Before the first fault: a look at two products; a buyer also registers and adds an address.
  async setUp(until) {
    for (let i = 0; i < 2; i += 1) await this.product();
    if (this.role !== 'buyer') return;
    if (!(await this.register(until))) throw new Error(`${this.name} could not register before the faults`);
    this.addressId = await this.persist(until, () => this.req('register', 'POST', '/api/v1/me/addresses', {
      recipient: `쇼퍼 ${this.name}`, line1: '세종대로 110', city: '서울', postal_code: '04524', country: 'KR',
      phone: '010-0000-0000', is_default: true,
    }), (x) => (x.status === 201 && x.json?.id ? x.json.id : undefined));
    if (!this.addressId) throw new Error(`${this.name} could not add an address before the faults`);
  }

  // The shopper's part of one fault window: until `until` (ms since the epoch), `fault` the fault's name, `k`
  // its index in the run.
  async shop(until, fault, k) {
    const registerAt = this.role === 'newcomer' && this.registersIn === k && this.registration === null
      ? Date.now() + this.random.int(Math.max(1, (until - Date.now()) / 3)) : null;
    let checkouts = 0;
    let cartTarget = 1 + this.random.int(2);
    let blocked = false;  // a checkout was refused (stock): this buyer stops checking out in this window
    while (Date.now() < until) {
      if (registerAt !== null && this.registration === null && Date.now() >= registerAt) await this.register(until);
      await this.browse();
      await this.think();
      if (this.role === 'buyer') {
        if (this.cartLines() < cartTarget) {
          await this.addLine();
        } else if (!blocked && checkouts < kCheckoutsPerWindow) {
          checkouts += 1;
          blocked = (await this.checkout(until, fault)) === 'refused';
          cartTarget = 1 + this.random.int(2);
        }
      } else if (Date.now() >= this.nextAddAt && this.cartLines() < kMaxCartLines) {
        await this.addLine();
        this.nextAddAt = Date.now() + kAddEveryMs[0] + this.random.int(kAddEveryMs[1] - kAddEveryMs[0]);
      }
      await this.think();
    }
  }

  // One checkout of the cart as it is, with a new Idempotency-Key, retried with the same key until the store
  // answers or `until` passes. Resolves 'acked', 'refused' or 'open' (unknown: the window ended).
  async checkout(until, fault) {
    const entry = { key: `${this.email.split('@')[0]}-${++this.keySeq}`, fault, lines: new Map(this.acknowledged),
      state: 'open', order: null };
    this.keys.push(entry);
    let last = null;
    const verdict = await this.persist(until, async () => (last = await this.req('checkout', 'POST',
      '/api/v1/checkout', { address_id: this.addressId }, { 'Idempotency-Key': entry.key })),
    (a) => {
      const o = outcomeOf('checkout', a);
      if (o === 'ok') return 'acked';
      if (o === 'refused') return 'refused';
      return undefined;
    });
    if (verdict === 'acked') this.acknowledge(entry, last.json);
    if (verdict === 'refused') await this.refused(entry, last);
    return verdict ?? 'open';
  }

  acknowledge(entry, order) {
    entry.state = 'acked';
    entry.order = order.id;
    const items = (order.items ?? []).map((i) => [i.sku, i.qty]);
    // More of a line than the acknowledged and the unknown adds since the last order: lines of an earlier
    // cart ordered again (a cart that was not cleared after its order).
    const repeated = items.filter(([sku, qty]) => qty > (this.acknowledged.get(sku) ?? 0) + (this.uncertain.get(sku) ?? 0));
    if (repeated.length > 0) this.repeats.push({ order: order.id, key: entry.key, fault: entry.fault, repeated, counted: false });
    this.orders.set(order.id, { key: entry.key, fault: entry.fault, items, lost: false });
    this.acknowledged.clear();
    this.uncertain.clear();
  }

  // A refused checkout changed nothing. Out of stock: the line goes (DELETE); an empty cart: whatever the
  // shopper thought was in it is judged by the next check.
  async refused(entry, answer) {
    entry.state = 'refused';
    const sku = answer.json?.error?.sku;
    if (answer.json?.error?.code !== 'insufficient_stock' || !sku) return;
    const a = await this.req('cart', 'DELETE', `/api/v1/cart/items/${enc(sku)}`);
    const qty = this.acknowledged.get(sku) ?? 0;
    this.acknowledged.delete(sku);
    if (outcomeOf('cart', a) !== 'ok' && qty > 0) this.uncertain.set(sku, qty);
    else this.uncertain.delete(sku);
  }

  // A read during the check, retried a few times; the region is whole, so it should answer at once.
  async look(path) {
    let a = null;
    for (let i = 0; i < kCheckAttempts; i += 1) {
      a = await this.req('check', 'GET', path);
      if (a.status === 401 && this.user && a.json?.error?.code === 'not_logged_in') {
        await this.login(Date.now() + 5_000);
        continue;
      }
      if (a.status === 200 && a.json) return a;
      await sleep(500);
    }
    throw new Error(`GET ${path} answered ${a.error ?? a.status} ${a.text.slice(0, 120)}`);
  }

  // After a fault, once the region is whole and nothing of this shopper's is in flight: what of what the
  // store acknowledged is gone. Resolves {lostLines, lostOrders, duplicates, notes} for this check only, or
  // {error}. Open keys are settled here: each may explain one order nobody acknowledged; more such orders are
  // duplicates.
  async check() {
    const out = { lostLines: 0, lostOrders: 0, duplicates: 0, notes: [], lines: 0, orders: 0 };
    try {
      if (this.registration === 'pending') {
        this.registration = (await this.login(Date.now() + 5_000)) ? 'done' : 'none';
        if (this.registration === 'done') this.user ??= { email: this.email };
      }
      const cartAnswer = await this.look('/api/v1/cart');
      const listed = this.user ? (await this.look('/api/v1/orders')).json.items ?? [] : [];
      const ids = new Set(listed.map((o) => o.id));
      for (const [id, o] of this.orders) {
        if (!o.lost && !ids.has(id)) {
          o.lost = true;
          out.lostOrders += 1;
          out.notes.push(`order ${id} (key ${o.key}, acknowledged during ${o.fault}) is missing`);
        }
      }
      const open = this.keys.filter((e) => e.state === 'open');
      const strangers = listed.filter((o) => !this.orders.has(o.id) && !this.attributed.has(o.id)).sort((a, b) => a.id - b.id);
      for (const o of strangers) {
        this.attributed.add(o.id);
        const e = open.shift();
        if (e) {
          // The checkout whose answer never came made this order: its lines left the cart with it.
          e.state = 'unacknowledged';
          e.order = o.id;
          for (const [sku, qty] of e.lines) {
            const left = (this.acknowledged.get(sku) ?? 0) - qty;
            if (left > 0) this.acknowledged.set(sku, left);
            else this.acknowledged.delete(sku);
          }
          this.uncertain.clear();
        } else {
          out.duplicates += 1;
          out.notes.push(`order ${o.id} matches no Idempotency-Key of its own (${this.keys.length} keys sent, ` +
            `${this.orders.size + this.attributed.size - 1} orders known)`);
        }
      }
      for (const e of open) e.state = 'none';
      for (const r of this.repeats.filter((x) => !x.counted)) {
        r.counted = true;
        out.duplicates += 1;
        out.notes.push(`order ${r.order} (key ${r.key}) repeats lines of an earlier cart: ` +
          r.repeated.map(([sku, qty]) => `${sku} ×${qty}`).join(', '));
      }
      const cart = Shopper.linesOf(cartAnswer);
      out.lines = [...this.acknowledged.values()].reduce((n, q) => n + q, 0);
      out.orders = [...this.orders.values()].filter((o) => !o.lost).length + out.lostOrders;
      for (const [sku, qty] of [...this.acknowledged]) {
        const have = cart.get(sku) ?? 0;
        if (have >= qty) continue;
        out.lostLines += qty - have;
        if (have > 0) this.acknowledged.set(sku, have);
        else this.acknowledged.delete(sku);
      }
      if (out.lostLines > 0) {
        out.notes.push(`${out.lostLines} acknowledged cart line(s) missing; the cart shows ${cart.size} line(s)` +
          `${this.user ? '' : ' (a guest)'}`);
      }
      for (const [sku] of cart) this.uncertain.delete(sku);
    } catch (err) {
      out.error = `${this.name}: ${err.message}`;
    }
    return out;
  }
}

// ---- what one fault window's answers say --------------------------------------------------------------------

// Of `answers`, the requests of `kinds`: how many, and how many failed.
export function failedOf(answers, kinds) {
  const mine = answers.filter((a) => kinds.includes(a.kind));
  return { total: mine.length, failed: mine.filter((a) => a.outcome === 'failed').length };
}

// Seconds from the fault at `tFault` until requests of `kinds` work again, over a window that ends at `tEnd`
// (see lab/README.md). Second k is [tFault + k s, tFault + k + 1 s); a request belongs to the second it was
// sent in, and one sent before the fault that failed after it belongs to second 0. A second is bad when a
// request sent in it failed, and — with `steady` (browsing, which never pauses for long) — also when no
// request sent in it succeeded. Resolves {seconds: 1 + the last bad second (0 when none was bad), or null when
// the window's last whole second was still bad (not back within the window); requests: how many there were}.
export function secondsBack(answers, kinds, { tFault, tEnd, steady }) {
  const mine = answers.filter((a) => kinds.includes(a.kind) && (a.t0 >= tFault || a.t1 >= tFault));
  const whole = Math.floor((tEnd - tFault) / 1000);
  const bad = new Array(whole).fill(false);
  const good = new Array(whole).fill(false);
  for (const a of mine) {
    const k = Math.max(0, Math.floor((a.t0 - tFault) / 1000));
    if (k >= whole) continue;
    if (a.outcome === 'failed') bad[k] = true;
    else if (a.t0 >= tFault) good[k] = true;
  }
  let last = -1;
  for (let k = 0; k < whole; k += 1) if (bad[k] || (steady && !good[k])) last = k;
  return { seconds: whole === 0 || last === whole - 1 ? null : last + 1, requests: mine.length };
}
