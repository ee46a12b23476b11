// A shopper as the store sees it: HTTP/1.1 requests through the load balancer with a cookie jar kept
// like a browser's. Requests are built by hand (node:http, every header set here) so that the bytes a
// request carries are known exactly, not estimated.

import http from 'node:http';

const kRequestTimeoutMs = 10_000;

// Deterministic pseudo-random numbers (mulberry32): the same seed gives the same shoppers and carts.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);  // 0 … n-1
  next.pick = (items) => items[next.int(items.length)];
  return next;
}

// Every request of one scenario, counted. A failure is a network error, a timeout or a 5xx; an expected
// 4xx (413, 409 …) is an answer, not a failure. Requests that overlap the second after a kill are counted
// apart: the architecture allows those to fail.
export class Traffic {
  constructor({ killWindowMs = 1000 } = {}) {
    this.killWindowMs = killWindowMs;
    this.kills = [];  // times (ms) of kills
    this.total = 0;
    this.failed = 0;  // outside any kill window
    this.inWindow = 0;
    this.failedInWindow = 0;
    this.byStatus = {};
    this.failures = [];  // the first few, for the report
  }

  inKillWindow(t0, t1) {
    return this.kills.some((k) => t1 >= k && t0 <= k + this.killWindowMs);
  }

  record(answer) {
    this.total += 1;
    const key = answer.error ? 'error' : String(answer.status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    const windowed = this.inKillWindow(answer.t0, answer.t1);
    if (windowed) this.inWindow += 1;
    if (!answer.failed) return;
    if (windowed) this.failedInWindow += 1;
    else this.failed += 1;
    if (this.failures.length < 12) {
      this.failures.push({
        at: new Date(answer.t0).toISOString(), request: `${answer.method} ${answer.path}`,
        answer: answer.error ?? `${answer.status} ${answer.text.slice(0, 160)}`,
        instance: answer.instance, inKillWindow: windowed,
      });
    }
  }
}

// A keep-alive connection pool for one scenario. Idle sockets are closed well before HAProxy's
// `timeout http-keep-alive` (10 s) so a request never goes out on a connection the proxy is closing.
export function makeAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
}

export class Shopper {
  constructor({ name, lb, agent, traffic, random }) {
    this.name = name;
    this.lb = lb;  // URL of the load balancer
    this.agent = agent;
    this.traffic = traffic;
    this.random = random;
    this.jar = new Map();  // cookie name -> value
    this.acknowledged = new Map();  // sku -> qty the store confirmed
    this.sent = [];  // {method, path, lines, head, cookie} of every request, for request size vs cart size
    this.instances = new Map();  // instance id -> answers from it
    this.lastInstance = null;
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  // Applies Set-Cookie lines as a browser would for this single host (Max-Age=0 or a past Expires deletes).
  keep(setCookies) {
    for (const line of setCookies ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let gone = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'max-age' && Number(v.trim()) <= 0) gone = true;
        if (key === 'expires' && Date.parse(v.trim()) < Date.now()) gone = true;
      }
      if (gone) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  // One request; resolves an answer, never rejects: {method, path, kind, status, json, text, instance, az,
  // head, cookie, setCookies, headers, error, failed, t0, t1, ms}. `head` is the bytes of the request line and
  // headers, `cookie` the bytes of the Cookie header's value, `headers` the response's headers (lower-case
  // names), `ms` the time from sending to the end of the answer in milliseconds (sub-millisecond).
  // `options`: `headers` added to the request's own (e.g. Idempotency-Key), `kind` a label the answer carries
  // to the traffic's record() (what the request was for).
  request(method, path, body, { headers: extra = {}, kind = null } = {}) {
    const bodyText = body === undefined ? null : JSON.stringify(body);
    const headers = {
      Host: this.lb.host,
      'User-Agent': 'myclothes-lab/1',
      Accept: 'application/json',
      Connection: 'keep-alive',
      ...extra,
    };
    const cookie = this.cookieHeader();
    if (cookie !== '') headers.Cookie = cookie;
    if (bodyText !== null) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(bodyText));
    }
    const head = Buffer.byteLength(`${method} ${path} HTTP/1.1\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n');
    const answer = {
      method, path, kind, status: 0, json: null, text: '', instance: null, az: null, head,
      cookie: Buffer.byteLength(cookie), setCookies: [], headers: {}, error: null, failed: false, t0: Date.now(),
      t1: 0, ms: 0,
    };
    const started = performance.now();
    this.sent.push({ method, path, lines: this.acknowledged.size, head, cookie: answer.cookie });
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        answer.t1 = Date.now();
        answer.ms = performance.now() - started;
        answer.failed = answer.error !== null || answer.status >= 500;
        if (answer.instance) {
          this.instances.set(answer.instance, (this.instances.get(answer.instance) ?? 0) + 1);
          this.lastInstance = answer.instance;
        }
        this.traffic.record(answer);
        resolve(answer);
      };
      const req = http.request({
        host: this.lb.hostname, port: this.lb.port, method, path, headers, agent: this.agent,
        setHost: false,
      }, (res) => {
        answer.status = res.statusCode;
        answer.headers = res.headers;
        answer.instance = res.headers['x-instance-id'] ?? null;
        answer.az = res.headers['x-az'] ?? null;
        answer.setCookies = res.headers['set-cookie'] ?? [];
        this.keep(answer.setCookies);
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          answer.text = Buffer.concat(chunks).toString('utf8');
          if (/json/.test(res.headers['content-type'] ?? '')) {
            try { answer.json = JSON.parse(answer.text); } catch { answer.json = null; }
          }
          settle();
        });
        res.on('error', (err) => {
          answer.error = `response: ${err.code ?? err.message}`;
          settle();
        });
      });
      req.setTimeout(kRequestTimeoutMs, () => req.destroy(new Error(`no answer within ${kRequestTimeoutMs} ms`)));
      req.on('error', (err) => {
        answer.error = err.code ?? err.message;
        settle();
      });
      if (bodyText !== null) req.write(bodyText);
      req.end();
    });
  }

  // The cart's lines as {sku: qty}, or null when the answer is not a cart.
  static linesOf(answer) {
    if (answer.status !== 200 || !answer.json || !Array.isArray(answer.json.items)) return null;
    const lines = new Map();
    for (const item of answer.json.items) lines.set(item.sku, item.qty);
    return lines;
  }

  // True when `answer` shows exactly the lines the store acknowledged to this shopper.
  showsAcknowledged(answer) {
    const lines = Shopper.linesOf(answer);
    if (lines === null || lines.size !== this.acknowledged.size) return false;
    for (const [sku, qty] of this.acknowledged) if (lines.get(sku) !== qty) return false;
    return true;
  }

  // Adds one unit of `sku`; on 200 the line counts as acknowledged. Resolves the answer. `options` as request's.
  async add(sku, options) {
    const answer = await this.request('POST', '/api/v1/cart/items', { sku, qty: 1 }, options);
    if (answer.status === 200) this.acknowledged.set(sku, (this.acknowledged.get(sku) ?? 0) + 1);
    return answer;
  }

  // Looks at the cart `looks` times: intact only if every look shows exactly the acknowledged lines.
  async checkCart(looks) {
    const seen = [];
    let intact = true;
    for (let i = 0; i < looks; i += 1) {
      const answer = await this.request('GET', '/api/v1/cart');
      const ok = this.showsAcknowledged(answer);
      intact &&= ok;
      seen.push({ instance: answer.instance, status: answer.status, lines: Shopper.linesOf(answer)?.size ?? null, ok });
    }
    return { intact, seen };
  }
}
