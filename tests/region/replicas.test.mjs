// Read replicas in the local region (network loopback), against a real one: a PostgreSQL primary with two streaming replicas
// (made by deploy/local/services --replicas 2), two instances behind HAProxy, Redis. Checks that the region
// reports each database server with its replication lag, that catalog reads missing the cache are served by
// the replicas, that `region kill replica-1` under browsing costs no request and the replica comes back by
// itself, and that `region down` leaves nothing running. MYCLOTHES_PROGRAM names the program;
// MYCLOTHES_REGION_STATE may name a parent directory for the state (else a temporary one).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Region, regionPorts } from '../../lab/common/region.mjs';
import {
  dataLayout, isZombie, keepBrowsing, portAnswers, processesMentioning, program, root, sleep, waitFor,
} from './support.mjs';

const parent = process.env.MYCLOTHES_REGION_STATE ?? os.tmpdir();
fs.mkdirSync(parent, { recursive: true });

const kReplicas = 2;
const kExitTimeoutMs = 60_000;

// A region in a fresh state directory `mc-NAME-…` under `parent` (short: the control socket's path must fit in a
// sockaddr_un), on free ports; `extraArgs` go to `region up` after --replicas.
async function makeRegion(name, { replicas, instances, extraArgs = [] }) {
  const state = fs.mkdtempSync(path.join(parent, `mc-${name}-`));
  return new Region({
    program, root, state, ports: await regionPorts(replicas), products: 200, instances, azs: 2, session: 'redis',
    sticky: false, logFile: path.join(state, 'replicas-test.log'),
    // On loopback, whoever runs it: tests/region/region.test.mjs has the netns network, this file keeps the
    // loopback mode tested (and the replicas' ports are the services script's convention).
    extraArgs: ['--network', 'loopback', '--replicas', String(replicas), ...extraArgs],
  });
}

// Brought down whatever failed. After a clean stop the databases (a few hundred MB) are removed; the logs stay,
// and after an unclean one everything stays: something may still use the data, for a person to look at.
async function bringDown(r) {
  if (!r) return;
  const { clean } = await r.stop();
  if (clean) fs.rmSync(path.join(r.state, 'data'), { recursive: true, force: true });
}

let region = null;
let noCache = null;  // made by its test
let lb = null;
let ports = null;
let layout = null;  // where each database server is, as deploy/local/services says
const verb = (...args) => region.verb(...args);
const status = () => region.status();

before(async () => {
  region = await makeRegion('rep', { replicas: kReplicas, instances: 2 });
  ports = region.ports;
  lb = await region.start();
  layout = dataLayout({ state: path.join(region.state, 'data'), ports, replicas: kReplicas });
});
const server = (name) => layout.find((s) => s.name === name);

after(async () => {
  await bringDown(region);
  await bringDown(noCache);
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
  for (const d of st.db) {
    assert.equal(typeof d.lag_bytes, 'number', `${d.name}: lag_bytes ${d.lag_bytes}`);
    assert.ok(d.lag_bytes >= 0, `${d.name}: lag_bytes ${d.lag_bytes}`);
    assert.equal(d.url, `postgresql://127.0.0.1:${server(d.name).port}/myclothes`);
  }
  const text = await verb('status');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^primary\s+primary\s+serving\b/m);
  assert.match(text.stdout, /^replica-1\s+replica\s+streaming\s+\d+(\.\d)? [kMG]?B\s/m);
  assert.match(text.stdout, /^replica-2\s+replica\s+streaming\s+\d+(\.\d)? [kMG]?B\s/m);
  assert.match(region.output, /Starting PostgreSQL \(primary \+ 2 read replicas\) and Redis/);
  // The instances are told where the replicas are.
  const replicas = layout.filter((s) => s.role === 'replica')
    .map((s) => `host=127.0.0.1 port=${s.port} dbname=myclothes user=myclothes`);
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

// Four shoppers browsing through the load balancer until stop(): mostly searches that miss the cache (so they
// reach the replicas), some product pages.
function browse() {
  const result = { ok: 0, failed: [], db: [] };  // db: [time, X-DB] of every answer
  return keepBrowsing({
    shoppers: 4,
    result,
    request: async (left) => {
      const pathname = left % 5 === 0 ? `/api/v1/products/${1 + (left % 200)}` : missPath();
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
    },
  });
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

function environment(pid) {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

test('region down stops everything, the replicas included', async () => {
  assert.ok(processesMentioning(server('replica-1').dir).length > 0, 'replica-1 runs before');
  const r = await verb('down');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.ok(await region.waitExit(kExitTimeoutMs), 'region up exited');
  assert.equal((await region.exited).code, 0);
  assert.deepEqual(processesMentioning(`${region.state}/`), [], 'no process of the region is left');
  for (const port of [ports.lb, ...layout.map((s) => s.port)]) {
    assert.equal(await portAnswers(port), false, `port ${port} still answers`);
  }
});

test('region up --no-cache --replicas 0: every catalog read goes to the primary', async () => {
  noCache = await makeRegion('nc', { replicas: 0, instances: 1, extraArgs: ['--no-cache'] });
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
  await bringDown(noCache);
  assert.deepEqual(processesMentioning(`${noCache.state}/`), [], 'no process of the region is left');
});
