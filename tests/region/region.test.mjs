// The region part of the contract (API.md, "The local region") against a real region: HAProxy, four
// instances over two zones, PostgreSQL and Redis. Run by script/test (MYCLOTHES_PROGRAM names the
// program; the state directory is MYCLOTHES_REGION_STATE or a temporary one).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Region, freePort, regionPorts, runVerb } from '../../lab/common/region.mjs';
import { keepBrowsing, portAnswers, program, root, sleep, waitFor } from './support.mjs';

const state = process.env.MYCLOTHES_REGION_STATE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mc-region-'));
let region;
let lb;

before(async () => {
  fs.mkdirSync(state, { recursive: true });
  const ports = await regionPorts(0);
  region = new Region({
    program, root, state, ports, products: 200, instances: 4, azs: 2, session: 'redis', sticky: false,
    logFile: path.join(state, 'region-test.log'), extraArgs: ['--replicas', '0'],  // tests/region/replicas.test.mjs has them
  });
  lb = await region.start();
});

after(async () => {
  if (region) await region.stop();
});

async function inService() {
  const st = await region.status();
  return st.instances.filter((i) => i.state === 'in-service');
}

// Six shoppers looking at one product through the load balancer until stop().
function browse() {
  const result = { ok: 0, failed: [], instances: new Set() };
  return keepBrowsing({
    shoppers: 6,
    result,
    request: async () => {
      try {
        const res = await fetch(new URL('/api/v1/products/7', lb), { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          result.ok++;
          result.instances.add(res.headers.get('x-instance-id'));
        } else {
          result.failed.push(`status ${res.status}`);
        }
      } catch (err) {
        result.failed.push(String(err.cause?.code ?? err.message));
      }
    },
  });
}

test('status --json has the contract shape and four instances over zones a and b', async () => {
  const st = await region.status();
  assert.equal(st.lb, lb.href);
  assert.equal(st.instances.length, 4);
  for (const i of st.instances) {
    assert.match(i.id, /^i-[ab]\d+$/);
    assert.equal(i.state, 'in-service');
    const health = await fetch(new URL('/healthz', i.url));
    assert.equal(health.status, 200, `${i.url} answers`);
    assert.equal(health.headers.get('x-instance-id'), i.id);
    assert.equal(health.headers.get('x-az'), i.az);
    assert.notEqual(new URL(i.url).port, lb.port, 'every instance has its own port');
  }
  assert.deepEqual(st.instances.map((i) => i.az).sort(), ['a', 'a', 'b', 'b']);
  assert.equal(st.db[0].role, 'primary');
  assert.equal(typeof st.db[0].lag_bytes, 'number');
  assert.equal(st.redis[0].role, 'master');
});

test('the load balancer spreads requests round robin over every instance', async () => {
  const seen = new Map();
  for (let n = 0; n < 12; n++) {
    const res = await fetch(new URL('/api/v1/categories', lb));
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    const id = res.headers.get('x-instance-id');
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  assert.equal(seen.size, 4, `answers came from ${[...seen.keys()].join(', ')}`);
  for (const [id, n] of seen) assert.equal(n, 3, `${id} got ${n} of 12`);
});

test('scaling in drains: no request is cut off, and scaling out adds instances that take traffic', async () => {
  const load = browse();
  await sleep(300);
  const r = await region.verb('scale', '2');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.match(r.stdout, /4 -> 2 instances/);
  await sleep(300);
  const during = await load.stop();
  assert.deepEqual(during.failed, [], `failed requests while draining: ${during.failed.slice(0, 5).join('; ')}`);
  assert.ok(during.ok > 50, `the shoppers kept browsing (${during.ok} answers)`);
  assert.equal((await inService()).length, 2);

  const out = await region.verb('scale', '4');
  assert.equal(out.code, 0, out.stderr || out.stdout);
  const now = await inService();
  assert.equal(now.length, 4);
  assert.deepEqual(now.map((i) => i.az).sort(), ['a', 'a', 'b', 'b'], 'zones stay balanced');
  const fresh = new Set(now.map((i) => i.id));
  const later = browse();
  await sleep(1500);
  const after = await later.stop();
  assert.deepEqual(after.failed, []);
  for (const id of fresh) assert.ok(after.instances.has(id), `${id} takes traffic`);
});

test('a killed instance costs no GET and is replaced within 5 s', async () => {
  const [victim] = await inService();
  const load = browse();
  await sleep(300);
  const before = await region.status();
  const k = await region.verb('kill', victim.id);
  assert.equal(k.code, 0, k.stderr || k.stdout);
  assert.match(k.stdout, /SIGKILL/);
  const { ms } = await region.waitReplaced(victim.id, before, { timeoutMs: 5000 });
  await sleep(500);
  const result = await load.stop();
  assert.deepEqual(result.failed, [], `HAProxy retries a GET on another instance: ${result.failed.slice(0, 5).join('; ')}`);
  assert.ok(ms < 5000, `replaced in ${ms} ms`);
  const ids = (await inService()).map((i) => i.id);
  assert.ok(!ids.includes(victim.id));
  assert.equal(ids.length, 4);
});

test('a failed zone moves its instances to the other zone; restoring it rebalances', async () => {
  const r = await region.verb('fail-az', 'a');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  await waitFor('four instances in zone b', async () => {
    const now = await inService();
    return now.length === 4 && now.every((i) => i.az === 'b');
  });
  const res = await fetch(new URL('/api/v1/categories', lb));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-az'), 'b');
  const back = await region.verb('restore-az', 'a');
  assert.equal(back.code, 0, back.stderr || back.stdout);
  const zones = (await inService()).map((i) => i.az).sort();
  assert.deepEqual(zones, ['a', 'a', 'b', 'b']);
});

test('unknown instances and zones get a clear error and change nothing', async () => {
  const r = await region.verb('kill', 'i-z99');
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /no running instance i-z99/);
  const z = await region.verb('fail-az', 'q');
  assert.notEqual(z.code, 0);
  assert.match(z.stdout + z.stderr, /no zone q/);
  assert.equal((await inService()).length, 4);
});

test('a second region on the same state directory is refused', async () => {
  const r = await runVerb(program, ['region', 'up', '--state', state, '--port', String(await freePort())], { cwd: root });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /already running/);
});

test('session mode dynamodb is reserved and says so', async () => {
  const r = await runVerb(program, ['region', 'up', '--session', 'dynamodb', '--state', path.join(state, 'unused')], { cwd: root });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /dynamodb is reserved/);
});

test('region down stops everything and leaves nothing listening', async () => {
  const st = await region.status();
  const ports = [Number(lb.port), ...st.instances.map((i) => Number(new URL(i.url).port))];
  const r = await region.verb('down');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.match(r.stdout, /nothing is left running/);
  assert.ok(await region.waitExit(10_000), 'region up exited');
  for (const port of ports) assert.equal(await portAnswers(port), false, `nothing listens on ${port}`);
  const again = await region.verb('status');
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /no region is running/);
});
