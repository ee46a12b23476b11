// The region part of the contract (API.md, "The local region") against a real region: HAProxy, four
// instances over two zones, PostgreSQL and Redis, in the netns network (each host a namespace, zones as
// bridges, security groups as nftables rules) — the default as root, and script/test runs as root. Run by
// script/test (MYCLOTHES_PROGRAM names the program; the state directory is MYCLOTHES_REGION_STATE or a
// temporary one). tests/region/replicas.test.mjs keeps the loopback network tested.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { Region, freePort, regionPorts, runVerb } from '../../lab/common/region.mjs';
import {
  connectsFrom, isZombie, keepBrowsing, linkExists, machineTables, namespacesOf, portAnswers, processesLeft, processesMentioning,
  program, root,
  sleep, waitFor,
} from './support.mjs';

const state = process.env.MYCLOTHES_REGION_STATE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mc-region-'));
let region;
let lb;

before(async () => {
  assert.equal(process.getuid(), 0, 'the region tests run the netns network, which needs root (CI runs as root)');
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

// Six shoppers looking at one product through the load balancer until stop(). Every answer is kept with the
// time its request started and ended (`log`), for the zone test's timeline.
function browse() {
  const result = { ok: 0, failed: [], instances: new Set(), log: [] };
  return keepBrowsing({
    shoppers: 6,
    result,
    request: async () => {
      const started = Date.now();
      let outcome;
      try {
        const res = await fetch(new URL('/api/v1/products/7', lb), { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          result.ok++;
          result.instances.add(res.headers.get('x-instance-id'));
          outcome = { ok: true, instance: res.headers.get('x-instance-id') };
        } else {
          result.failed.push(`status ${res.status}`);
          outcome = { ok: false, why: `status ${res.status}` };
        }
      } catch (err) {
        result.failed.push(String(err.cause?.code ?? err.message));
        outcome = { ok: false, why: String(err.cause?.code ?? err.message) };
      }
      result.log.push({ started, ended: Date.now(), ...outcome });
    },
  });
}

const hostOf = (st, name) => st.hosts.find((h) => h.name === name);

test('status --json has the contract shape and four instances over zones a and b', async () => {
  const st = await region.status();
  assert.equal(st.lb, lb.href);
  assert.equal(st.instances.length, 4);
  for (const i of st.instances) {
    assert.match(i.id, /^i-[ab]\d+$/);
    assert.equal(i.state, 'in-service');
    assert.equal(new URL(i.url).port, '8081', 'each instance listens on its own host');
    const health = await fetch(new URL('/healthz', i.url));
    assert.equal(health.status, 200, `${i.url} answers`);
    assert.equal(health.headers.get('x-instance-id'), i.id);
    assert.equal(health.headers.get('x-az'), i.az);
  }
  assert.equal(new Set(st.instances.map((i) => new URL(i.url).hostname)).size, 4, 'every instance has its own address');
  assert.deepEqual(st.instances.map((i) => i.az).sort(), ['a', 'a', 'b', 'b']);
  assert.equal(st.db[0].role, 'primary');
  assert.equal(typeof st.db[0].lag_bytes, 'number');
  assert.equal(st.redis[0].role, 'master');
  assert.match(st.db[0].address, /^10\.92\.\d+\.\d+:5432$/);
  assert.equal(st.db[0].az, 'c', 'the data tier lives in zone c until it is Multi-AZ');
});

test('every host is a namespace of its own, zones are subnets, and the store is still at 127.0.0.1', async () => {
  const st = await region.status();
  assert.equal(st.network, 'netns');
  const prefix = st.net.prefix;
  assert.match(prefix, /^mc-[0-9a-f]{4}-$/);
  const names = st.hosts.map((h) => h.name);
  for (const name of ['ops', 'internet', 'lb', 'primary', 'redis', ...st.instances.map((i) => i.id)]) {
    assert.ok(names.includes(name), `host ${name} in ${names.join(', ')}`);
  }
  const namespaces = new Set(namespacesOf(prefix));
  for (const h of st.hosts.filter((x) => x.netns)) assert.ok(namespaces.has(h.netns), `namespace ${h.netns} exists`);
  assert.ok(namespaces.has(`${prefix}router`), 'a router joins the zones');
  // One subnet per zone: the instances of a zone share its third octet, the zones do not.
  const subnetOf = (address) => address.split('.').slice(0, 3).join('.');
  const byZone = new Map();
  for (const i of st.instances) byZone.set(i.az, new Set([...(byZone.get(i.az) ?? []), subnetOf(hostOf(st, i.id).address)]));
  assert.equal(byZone.get('a').size, 1);
  assert.notDeepEqual([...byZone.get('a')], [...byZone.get('b')]);
  assert.equal(hostOf(st, 'primary').zone, 'c');
  assert.equal(st.lb, lb.href);
  assert.equal(lb.hostname, '127.0.0.1', 'the shoppers\' URL stays on the machine');
  const text = await region.verb('status');
  assert.match(text.stdout, /^primary\s+pg\s+c\s+10\.92\./m, 'status shows each host with its zone and address');
});

test('sg-check: every declared path is open and every other one refused', async () => {
  const r = await region.verb('sg-check');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sg-check: \d+ paths probed, all as declared/);
  const groups = await region.verb('sg');
  assert.equal(groups.code, 0);
  for (const g of ['sg-lb', 'sg-app', 'sg-db', 'sg-cache', 'sg-ops']) assert.match(groups.stdout, new RegExp(g));
});

test('the database and Redis are out of reach of the internet host and of the load balancer', async () => {
  const st = await region.status();
  const [pg, redis, app] = [hostOf(st, 'primary'), hostOf(st, 'redis'), hostOf(st, st.instances[0].id)];
  const { internet, lb: lbHost } = { internet: hostOf(st, 'internet'), lb: hostOf(st, 'lb') };
  for (const from of [internet, lbHost]) {
    assert.equal(connectsFrom(from.netns, pg.address, 5432), false, `${from.name} -> PostgreSQL is refused`);
    assert.equal(connectsFrom(from.netns, redis.address, 6379), false, `${from.name} -> Redis is refused`);
  }
  assert.equal(connectsFrom(internet.netns, app.address, 8081), false, 'the internet does not reach an instance');
  assert.equal(connectsFrom(internet.netns, lbHost.address, 8080), true, 'the internet reaches the load balancer');
  assert.equal(connectsFrom(app.netns, pg.address, 5432), true, 'an instance reaches PostgreSQL');
  assert.equal(connectsFrom(app.netns, redis.address, 6379), true, 'an instance reaches Redis');
  assert.equal(await portAnswers(5432, pg.address), true, 'the operators (this namespace) reach PostgreSQL');
});

test('a shopper\'s cart lives in Redis on its own host, reached through the load balancer', async () => {
  const product = await (await fetch(new URL('/api/v1/products/7', lb))).json();
  const { sku } = product.variants.find((v) => v.stock > 0);
  const added = await fetch(new URL('/api/v1/cart/items', lb), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sku, qty: 1 }),
  });
  assert.equal(added.status, 200, await added.text());
  const cookie = added.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  for (let n = 0; n < 4; n++) {  // every instance sees the same cart
    const res = await fetch(new URL('/api/v1/cart', lb), { headers: { Cookie: cookie } });
    const cart = await res.json();
    assert.equal(res.status, 200);
    assert.deepEqual(cart.items.map((l) => [l.sku, l.qty]), [[sku, 1]], `from ${res.headers.get('x-instance-id')}`);
  }
});

test('the operations endpoints answer the operators, not the internet', async () => {
  const st = await region.status();
  for (const path of ['/metrics', '/readyz', '/healthz']) {
    const outside = await fetch(new URL(path, lb));
    await outside.arrayBuffer();
    assert.equal(outside.status, 404, `${path} through the load balancer`);
    const inside = await fetch(new URL(path, st.instances[0].url));
    await inside.arrayBuffer();
    assert.equal(inside.status, 200, `${path} on the instance itself`);
  }
});

test('one cart, one order: ten checkouts with ten keys racing through the load balancer make one', async () => {
  const json = { 'Content-Type': 'application/json' };
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const auth = () => ({ ...json, Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
  const reg = keep(await fetch(new URL('/api/v1/auth/register', lb), {
    method: 'POST', headers: json,
    body: JSON.stringify({ email: `race-${Date.now()}@example.com`, password: 'a long pass phrase', name: 'Race' }),
  }));
  assert.equal(reg.status, 201, await reg.text());
  const product = await (await fetch(new URL('/api/v1/products/9', lb))).json();
  const { sku } = product.variants.find((v) => v.stock > 1);
  assert.equal(keep(await fetch(new URL('/api/v1/cart/items', lb), {
    method: 'POST', headers: auth(), body: JSON.stringify({ sku, qty: 1 }),
  })).status, 200);
  const address = await keep(await fetch(new URL('/api/v1/me/addresses', lb), {
    method: 'POST', headers: auth(), body: JSON.stringify({ recipient: 'R', line1: 'L', city: 'Seoul', postal_code: '1', country: 'KR' }),
  })).json();
  const body = JSON.stringify({ address_id: address.id });
  const answers = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    const res = await fetch(new URL('/api/v1/checkout', lb), {
      method: 'POST', headers: { ...auth(), 'Idempotency-Key': `race-${i}` }, body,
    });
    return { status: res.status, body: await res.json(), instance: res.headers.get('x-instance-id') };
  }));
  const orders = new Set(answers.filter((a) => a.status === 200 || a.status === 201).map((a) => a.body.id));
  assert.equal(orders.size, 1, `one order: ${JSON.stringify(answers.map((a) => [a.status, a.body.id ?? a.body.error?.code]))}`);
  assert.equal(answers.filter((a) => a.status === 201).length, 1, 'one checkout created it');
  for (const a of answers.filter((x) => x.status !== 200 && x.status !== 201)) {
    assert.equal(a.status, 422);
    assert.equal(a.body.error.code, 'empty_cart');
  }
  assert.ok(new Set(answers.map((a) => a.instance)).size > 1, 'the racers went to several instances');
  const mine = await (await fetch(new URL('/api/v1/orders', lb), { headers: auth() })).json();
  assert.equal(mine.items.length, 1);
});

test('login limits count per shopper: the load balancer names each one to the instances', async () => {
  // Two shoppers on this machine, from 127.0.0.2 and 127.0.0.3: the forwarder names each to HAProxy (PROXY
  // protocol), HAProxy to the instances (X-Forwarded-For, believed from it only). Before, they were one client.
  const login = (localAddress, email) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ email, password: 'not the password at all' });
    const req = http.request({
      host: '127.0.0.1', port: Number(lb.port), path: '/api/v1/auth/login', method: 'POST', localAddress,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
  const run = Date.now();
  const statuses = [];
  for (let i = 0; i <= 30; i++) statuses.push(await login('127.0.0.2', `nobody-${run}-${i}@example.com`));
  assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401), 'thirty wrong passwords are answered as such');
  assert.equal(statuses[30], 429, 'the thirty-first attempt from that shopper is refused');
  assert.equal(await login('127.0.0.3', `someone-${run}@example.com`), 401, 'another shopper is not limited');
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

test('fail-az a under load: a partition, served from zone b once the health checks took zone a out', async () => {
  const load = browse();
  await sleep(500);
  const before = await inService();
  const zoneA = before.filter((i) => i.az === 'a').map((i) => i.id);
  const cut = Date.now();
  const r = await region.verb('fail-az', 'a');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.match(r.stdout, /cut off/);
  // Its hosts keep running: a partition, not a kill.
  const during = await region.status();
  assert.ok(during.zones.find((z) => z.name === 'a').cut_off);
  for (const id of zoneA) {
    const i = during.instances.find((x) => x.id === id);
    if (i) assert.ok(i.pid > 0 && fs.existsSync(`/proc/${i.pid}`), `${id} still runs`);
  }
  const { value: out } = await waitFor('zone a\'s instances out of the load balancer', async () => {
    const st = await region.status();
    const left = st.instances.filter((i) => zoneA.includes(i.id) && i.lb.startsWith('UP'));
    return left.length === 0 && Date.now();
  }, 10_000);
  await waitFor('four instances in zone b', async () => {
    const now = await inService();
    return now.length === 4 && now.every((i) => i.az === 'b');
  }, 30_000);
  await sleep(1000);
  const result = await load.stop();
  const failures = result.log.filter((e) => !e.ok);
  const afterOut = failures.filter((e) => e.started > out + 500);
  const lastFailure = failures.length ? Math.max(...failures.map((e) => e.ended)) : cut;
  console.log(`# fail-az a: ${result.log.length} requests, ${failures.length} failed ` +
    `(${[...new Set(failures.map((e) => e.why))].join(', ') || 'none'}); zone a out of the LB ` +
    `${((out - cut) / 1000).toFixed(1)} s after the cut; no failure after ${((lastFailure - cut) / 1000).toFixed(1)} s`);
  assert.deepEqual(afterOut, [], 'no request fails once zone a is out');
  assert.ok(out - cut < 5000, `zone a out within the health-check window (${out - cut} ms)`);
  assert.ok(result.ok > 50, `the shoppers kept browsing (${result.ok} answers)`);
  const res = await fetch(new URL('/api/v1/categories', lb));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-az'), 'b');

  const back = await region.verb('restore-az', 'a');
  assert.equal(back.code, 0, back.stderr || back.stdout);
  const zones = (await inService()).map((i) => i.az).sort();
  assert.deepEqual(zones, ['a', 'a', 'b', 'b']);
  const st = await region.status();
  assert.equal(st.zones.find((z) => z.name === 'a').cut_off, false);
  const later = browse();
  await sleep(1500);
  const again = await later.stop();
  assert.deepEqual(again.failed, []);
  for (const i of st.instances.filter((x) => x.az === 'a')) assert.ok(again.instances.has(i.id), `${i.id} takes traffic`);
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

test('session mode dynamodb is refused by the region, which says how to run an instance on DynamoDB Local', async () => {
  const r = await runVerb(program, ['region', 'up', '--session', 'dynamodb', '--state', path.join(state, 'unused')], { cwd: root });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /does not start DynamoDB Local yet/);
  assert.match(r.stderr, /deploy\/local\/dynamodb\/server start/);
});

test('region down stops everything and leaves no namespace, link, nftables table or process', async () => {
  const st = await region.status();
  const prefix = st.net.prefix;
  const pids = [...st.instances.map((i) => i.pid)];
  assert.ok(namespacesOf(prefix).length > 0);
  const r = await region.verb('down');
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.match(r.stdout, /nothing is left running/);
  assert.ok(await region.waitExit(10_000), 'region up exited');
  assert.equal(await portAnswers(Number(lb.port)), false, `nothing listens on ${lb.port}`);
  assert.deepEqual(namespacesOf(prefix), [], 'no namespace is left');
  assert.equal(linkExists(st.net.link), false, `no link ${st.net.link}`);
  assert.deepEqual(machineTables().filter((t) => t.includes('mc_')), [], 'no nftables table in this namespace');
  // A path inside the state directory: the test runner's own command line names region.tap beside it.
  assert.deepEqual(await processesLeft(`${state}/`), [], 'no process of the region is left');
  for (const pid of pids) assert.equal(fs.existsSync(`/proc/${pid}/status`) && !isZombie(pid), false, `pid ${pid} is gone`);
  const again = await region.verb('status');
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /no region is running/);
});

test('region cleanup removes what a crashed region left: namespaces, the data tier, the link', async () => {
  const crashState = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-crash-'));
  const crashed = new Region({
    program, root, state: crashState, ports: await regionPorts(0), products: 50, instances: 1, azs: 2,
    session: 'redis', sticky: false, logFile: path.join(crashState, 'region-test.log'), extraArgs: ['--replicas', '0'],
  });
  await crashed.start();
  const st = await crashed.status();
  const prefix = st.net.prefix;
  process.kill(crashed.child.pid, 'SIGKILL');  // the supervisor dies; it stops nothing
  assert.ok(await crashed.waitExit(10_000));
  await sleep(500);
  assert.ok(namespacesOf(prefix).length > 0, 'the crash left namespaces');
  assert.ok(processesMentioning(`${crashState}/`).length > 0, 'and the data tier running');
  const refused = await crashed.verb('status');
  assert.notEqual(refused.code, 0);
  const r = await runVerb(program, ['region', 'cleanup', '--state', crashState], { cwd: root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /removed \d+ namespaces/);
  assert.deepEqual(namespacesOf(prefix), []);
  assert.equal(linkExists(st.net.link), false);
  assert.deepEqual(await processesLeft(`${crashState}/`), [], 'nothing of it runs');
  const twice = await runVerb(program, ['region', 'cleanup', '--state', crashState], { cwd: root });
  assert.equal(twice.code, 0, twice.stdout + twice.stderr);
  assert.match(twice.stdout, /no network of this state/);
  fs.rmSync(crashState, { recursive: true, force: true });
});
