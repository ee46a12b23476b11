// Read replicas in the local region, against a real one: a PostgreSQL primary with two streaming replicas
// (made by deploy/local/services --replicas 2), two instances behind HAProxy, Redis. Checks that the region
// reports each database server with its replication lag, that catalog reads missing the cache are served by
// the replicas, that `region kill replica-1` under browsing costs no request and the replica comes back by
// itself, and that `region down` leaves nothing running. MYCLOTHES_PROGRAM names the program;
// MYCLOTHES_REGION_STATE may name a parent directory for the state (else a temporary one).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { freePort, runVerb } from '../../lab/lib/region.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const program = process.env.MYCLOTHES_PROGRAM ?? path.join(root, 'build/release/myclothes');
const parent = process.env.MYCLOTHES_REGION_STATE ?? os.tmpdir();
fs.mkdirSync(parent, { recursive: true });

const kReplicas = 2;
const kStartTimeoutMs = 180_000;  // the first start runs initdb, two base backups and the seed
const kExitTimeoutMs = 60_000;
const kReadyLine = /^region: the store is at (http:\/\/\S+)/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// A PostgreSQL port P with P+1 ... P+replicas free as well (replica n listens on P+n).
async function freePortRun(count, avoid) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const p = await freePort();
    if (p + count > 65535) continue;
    const run = Array.from({ length: count + 1 }, (_, i) => p + i);
    if (run.some((q) => avoid.includes(q))) continue;
    let ok = true;
    for (const q of run.slice(1)) ok = ok && (await portFree(q));
    if (ok) return p;
  }
  throw new Error(`no run of ${count + 1} free ports found`);
}

// `region up` as a child process in its own state directory, and the verbs that talk to it (lab/lib's
// Region does the same for the lab; this one passes --replicas and --no-cache).
class LocalRegion {
  constructor(name, { replicas, instances, extra = [] }) {
    this.name = name;
    this.state = null;  // made by start()
    this.replicas = replicas;
    this.instances = instances;
    this.extra = extra;
    this.child = null;
    this.exited = null;  // a promise of its exit
    this.output = '';    // everything it printed
    this.lb = null;
    this.ports = null;
  }

  get alive() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start() {
    // Short: the control socket's path must fit in a sockaddr_un.
    this.state = fs.mkdtempSync(path.join(parent, `mc-${this.name}-`));
    this.logFile = path.join(this.state, 'replicas-test.log');
    const lb = await freePort();
    const redis = await freePort();
    this.ports = { lb, redis, pg: await freePortRun(this.replicas, [lb, redis]) };
    const args = ['region', 'up', '--state', this.state, '--port', String(lb), '--pg-port', String(this.ports.pg),
      '--redis-port', String(redis), '--replicas', String(this.replicas), '--products', '200',
      '--instances', String(this.instances), '--azs', '2', '--no-live', ...this.extra];
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    log.write(`### ${new Date().toISOString()} ${program} ${args.join(' ')}\n`);
    // Its own process group: a Ctrl-C in the terminal reaches the test runner, whose after hook stops it.
    const child = spawn(program, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => {
      log.end();
      resolve({ code, signal });
    }));
    this.lb = await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => reject(new Error(
        `the region did not say it was serving within ${kStartTimeoutMs / 1000} s (output: ${this.logFile})`)),
      kStartTimeoutMs);
      const onData = (chunk) => {
        log.write(chunk);
        this.output += chunk;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          const m = kReadyLine.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(new URL(m[1]));
          }
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start ${program}: ${err.message}`));
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`region up exited (${signal ?? `status ${code}`}) before serving:\n` +
          this.output.slice(-2000)));
      });
    });
    return this.lb;
  }

  verb(...args) {
    return runVerb(program, ['region', ...args, '--state', this.state], { cwd: root });
  }

  async status() {
    const r = await this.verb('status', '--json');
    assert.equal(r.code, 0, `region status failed: ${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout);
  }

  async waitExit(ms) {
    if (!this.alive) return true;
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  // `region down`, then the region's own Ctrl-C path, then SIGKILL of the one process this file started.
  // After a clean stop the databases (a few hundred MB) are removed; the logs stay.
  async stop() {
    if (this.child === null) return;
    if (this.alive) await this.verb('down');
    if (!(await this.waitExit(kExitTimeoutMs))) {
      try { process.kill(this.child.pid, 'SIGINT'); } catch { /* already gone */ }
      if (!(await this.waitExit(kExitTimeoutMs))) {
        try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* already gone */ }
        await this.waitExit(5_000);
      }
      return;  // something may still use the data: leave it for a person to look at
    }
    fs.rmSync(path.join(this.state, 'data'), { recursive: true, force: true });
  }
}

async function waitFor(what, predicate, timeoutMs = 15_000) {
  const t0 = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return { ms: Date.now() - t0, value };
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

const region = new LocalRegion('rep', { replicas: kReplicas, instances: 2 });
const noCache = new LocalRegion('nc', { replicas: 0, instances: 1, extra: ['--no-cache'] });
let lb = null;
let ports = null;
const verb = (...args) => region.verb(...args);
const status = () => region.status();

before(async () => {
  lb = await region.start();
  ports = region.ports;
});

// Always brought down, whatever failed.
after(async () => {
  await region.stop();
  await noCache.stop();
});

// A unique search each time: never in the cache, so it is read from a database.
let searches = 0;
const kTerms = ['coat', 'jacket', 'shirt', 'dress', 'shoes', 'jeans', 'knit', 'skirt'];
function missPath() {
  const n = searches++;
  const term = kTerms[n % kTerms.length];
  const page = 1 + (Math.floor(n / kTerms.length) % 10_000);
  return `/api/v1/products?q=${term}&page=${page}`;
}

async function get(pathname) {
  const res = await fetch(new URL(pathname, lb), { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return { status: res.status, cache: res.headers.get('x-cache'), db: res.headers.get('x-db') };
}

test('region status shows the primary and two streaming replicas with their lag', async () => {
  const { value: st } = await waitFor('both replicas streaming', async () => {
    const s = await status();
    // Right after it connects, a replica streams before the primary has its replay position (lag null).
    const streaming = s.db.filter((d) => d.role === 'replica' && d.up && d.state === 'streaming' &&
      typeof d.lag_bytes === 'number');
    return streaming.length === kReplicas && s;
  });
  assert.equal(st.replicas, kReplicas);
  assert.deepEqual(st.db.map((d) => [d.name, d.role]),
    [['primary', 'primary'], ['replica-1', 'replica'], ['replica-2', 'replica']]);
  assert.equal(st.db[0].up, true);
  assert.equal(st.db[0].lag_bytes, 0);
  for (const [i, d] of st.db.entries()) {
    assert.equal(typeof d.lag_bytes, 'number', `${d.name}: lag_bytes ${d.lag_bytes}`);
    assert.ok(d.lag_bytes >= 0, `${d.name}: lag_bytes ${d.lag_bytes}`);
    assert.equal(d.url, `postgresql://127.0.0.1:${ports.pg + i}/myclothes`);
  }
  const text = await verb('status');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^primary\s+primary\s+serving\b/m);
  assert.match(text.stdout, /^replica-1\s+replica\s+streaming\s+\d+(\.\d)? [kMG]?B\s/m);
  assert.match(text.stdout, /^replica-2\s+replica\s+streaming\s+\d+(\.\d)? [kMG]?B\s/m);
  assert.match(region.output, /Starting PostgreSQL \(primary \+ 2 read replicas\) and Redis/);
  // The instances are told where the replicas are.
  const replicas = [1, 2].map((n) => `host=127.0.0.1 port=${ports.pg + n} dbname=myclothes user=myclothes`);
  for (const instance of st.instances) {
    assert.ok(environment(instance.pid).includes(`MYCLOTHES_DB_REPLICAS=${replicas.join(',')}`), instance.id);
  }
});

test('catalog reads that miss the cache are served by the replicas', async () => {
  // The instances put a replica in their rotation once they have seen it caught up with the seed.
  await waitFor('a read served by a replica', async () => (await get(missPath())).db === 'replica');
  const seen = [];
  for (let i = 0; i < 24; i++) seen.push(await get(missPath()));
  for (const r of seen) {
    assert.equal(r.status, 200);
    assert.equal(r.cache, 'miss');
  }
  assert.deepEqual(seen.filter((r) => r.db !== 'replica'), [], 'every miss read from a replica');
});

// Shoppers browsing through the load balancer until stop() — bounded: 4 at a time, 20,000 requests at most.
// Mostly searches that miss the cache (so they reach the replicas), some product pages.
function browse() {
  const result = { ok: 0, failed: [], db: [] };  // db: [time, X-DB] of every answer
  let stopped = false;
  let budget = 20_000;
  const one = async () => {
    while (!stopped && budget-- > 0) {
      const pathname = budget % 5 === 0 ? `/api/v1/products/${1 + (budget % 200)}` : missPath();
      try {
        const r = await get(pathname);
        if (r.status === 200) {
          result.ok++;
          result.db.push([Date.now(), r.db]);
        } else {
          result.failed.push(`${pathname}: status ${r.status}`);
        }
      } catch (err) {
        result.failed.push(`${pathname}: ${err.cause?.code ?? err.message}`);
      }
    }
  };
  const workers = Array.from({ length: 4 }, one);
  return {
    result,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return result;
    },
  };
}

test('region kill replica-1 under browsing costs no request, and the replica comes back by itself', async () => {
  const original = (await status()).db.find((d) => d.name === 'replica-1');
  assert.equal(original.up, true);
  const shoppers = browse();
  let killedAt = 0;
  let backAt = 0;
  try {
    await sleep(1500);
    const r = await verb('kill', 'replica-1');
    killedAt = Date.now();
    assert.equal(r.code, 0, `region kill replica-1: ${r.stderr || r.stdout}`);
    assert.match(r.stdout, /killed replica-1 \(postmaster pid \d+/);
    // The verb returns when the postmaster is dead: it is gone, and the status says so at once.
    assert.equal(fs.existsSync(`/proc/${original.pid}`) && !isZombie(original.pid), false, 'the postmaster is gone');
    const down = (await status()).db.find((d) => d.name === 'replica-1');
    assert.equal(down.up, false);
    assert.equal(down.state, 'down');

    const { ms } = await waitFor('replica-1 streaming again', async () => {
      const d = (await status()).db.find((x) => x.name === 'replica-1');
      return d.up && d.state === 'streaming' && typeof d.lag_bytes === 'number' && d;
    }, 15_000);
    backAt = Date.now();
    assert.ok(ms >= 2000, `back after ${ms} ms: the region waits about 3 s before starting it again`);
    await sleep(1500);  // and browsing goes on while it rejoins the instances' rotation
  } finally {
    await shoppers.stop();
  }
  const { result } = shoppers;
  assert.deepEqual(result.failed.slice(0, 10), [], `${result.failed.length} failed of ${result.ok + result.failed.length}`);
  assert.ok(result.ok > 50, `only ${result.ok} requests answered`);
  const whileDown = result.db.filter(([t, db]) => t > killedAt + 500 && t < backAt && db === 'replica').length;
  assert.ok(whileDown > 0, 'while replica-1 was down the other replica kept serving reads');

  const restarted = (await status()).db.find((d) => d.name === 'replica-1');
  assert.notEqual(restarted.pid, original.pid, 'a new postmaster');
  assert.match(region.output, /starting replica-1 again/);
  assert.match(region.output, /replica-1 is back: streaming from the primary again/);
});

test('region kill of a replica the region does not have is an error', async () => {
  const r = await verb('kill', 'replica-3');
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /no running instance replica-3 \(and no replica of that name\)/);
});

function isZombie(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return true;
  }
}

function environment(pid) {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

function processesMentioning(text) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text) && !isZombie(Number(entry))) found.push(`${entry}: ${cmdline.trim()}`);
    } catch { /* gone meanwhile */ }
  }
  return found;
}

function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

test('region down stops everything, the replicas included', async () => {
  assert.ok(processesMentioning(`${region.state}/data/replica-1`).length > 0, 'replica-1 runs before');
  const r = await verb('down');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.ok(await region.waitExit(kExitTimeoutMs), 'region up exited');
  assert.equal((await region.exited).code, 0);
  assert.deepEqual(processesMentioning(region.state), [], 'no process of the region is left');
  for (const port of [ports.lb, ports.pg, ports.pg + 1, ports.pg + 2, ports.redis]) {
    assert.equal(await portAnswers(port), false, `port ${port} still answers`);
  }
});

test('region up --no-cache --replicas 0: every catalog read goes to the primary', async () => {
  const nc = await noCache.start();
  const st = await noCache.status();
  assert.equal(st.cache, false);
  assert.equal(st.replicas, 0);
  assert.deepEqual(st.db.map((d) => [d.name, d.up]), [['primary', true]]);
  const env = environment(st.instances[0].pid);
  assert.ok(env.includes('MYCLOTHES_CACHE_ENABLED=false'), 'the switch travels in the environment');
  assert.ok(env.includes('MYCLOTHES_DB_REPLICAS='), 'no replicas: an empty list');
  for (let i = 0; i < 3; i++) {
    const res = await fetch(new URL('/api/v1/products/7', nc), { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-cache'), 'miss', `read ${i + 1}: never from the cache`);
    assert.equal(res.headers.get('x-db'), 'primary');
  }
  const text = await noCache.verb('status');
  assert.match(text.stdout, /catalog cache off/);
  assert.match(noCache.output, /Starting PostgreSQL \(primary, no read replicas\) and Redis/);
  await noCache.stop();
  assert.deepEqual(processesMentioning(noCache.state), [], 'no process of the region is left');
});
