// The replicated data tier of deploy/local/services (--data-tier replicated), on loopback, against the real
// parts: pg_auto_failover (monitor, db-a, synchronous db-b, replica-1) and Redis with three Sentinels. Checks
// that a write through the multi-host conninfo the store uses succeeds within 30 s of a SIGKILL of the whole
// primary node (its process group: pg_autoctl and postgres) and that the commit made before is on the new
// primary; that `start` brings the crashed node back as a secondary; that the Sentinels name a new Redis
// primary within 10 s of a SIGKILL of the old one and that a key written with WAIT 1 survived it, and a restart
// of all three Redis nodes (AOF); and that `stop` leaves no process. Prints the timings.
//
// Run by hand (as root: PostgreSQL runs as the user `myclothes`; uses ports 25481-25489 and 27141-27149):
//   node --test tests/services/
// MYCLOTHES_SERVICES_STATE may name a parent directory for the state (else /tmp; keep it short: the nodes'
// Unix sockets live there).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const services = path.join(root, 'deploy/local/services');
const psqlBin = '/usr/lib/postgresql/15/bin/psql';
const kPgPort = 25481;
const kRedisPort = 27141;
const kPorts = [...Array(9).keys()].flatMap((i) => [kPgPort + i, kRedisPort + i]);

const parent = process.env.MYCLOTHES_SERVICES_STATE ?? os.tmpdir();
fs.mkdirSync(parent, { recursive: true });
const state = fs.mkdtempSync(path.join(parent, 'mcsvc-'));
const args = ['--data-tier', 'replicated', '--state', state, '--pg-port', String(kPgPort), '--redis-port',
  String(kRedisPort), '--replicas', '1'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const timing = (what, ms) => console.log(`timing: ${what}: ${seconds(ms)}`);

function run(cmd, argv, { timeout = 10_000 } = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

// `services VERB`, its output shown; fails the test if it fails. Resolves how long it took.
function servicesVerb(verb, timeout = 300_000) {
  const t0 = Date.now();
  const r = spawnSync(services, [verb, ...args], { encoding: 'utf8', timeout });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  assert.equal(r.status, 0, `services ${verb} failed (status ${r.status})`);
  return Date.now() - t0;
}

// Polls `predicate` until it gives something truthy; resolves {ms, value}, or fails after timeoutMs.
async function waitFor(what, predicate, timeoutMs, everyMs = 200) {
  const t0 = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return { ms: Date.now() - t0, value };
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${seconds(timeoutMs)}`);
    await sleep(everyMs);
  }
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

// The processes (not zombies) that belong to this state directory: their command line names it or their working
// directory is in it (postgres's children and Redis only say so with the latter).
function processesOfState() {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let cwd = '';
      try { cwd = fs.readlinkSync(`/proc/${entry}/cwd`); } catch { /* not ours to read */ }
      if (cmdline.includes(state) || cwd === state || cwd.startsWith(`${state}/`)) found.push(`${entry}: ${cmdline}`);
    } catch { /* gone meanwhile */ }
  }
  return found;
}

let layout = null;  // name -> { kind, port, dir }
let env = null;     // MYCLOTHES_* -> value
const server = (name) => layout.get(name);

// One statement through the multi-host conninfo the store uses (target_session_attrs=read-write).
function sqlPrimary(statement) {
  return run(psqlBin, [env.MYCLOTHES_DB_PRIMARY, '-XAtqc', statement], { timeout: 8000 });
}
function sqlReplica(statement) {
  const r = server('replica-1');
  return run(psqlBin, [`host=127.0.0.1 port=${r.port} dbname=myclothes user=myclothes connect_timeout=2`, '-XAtqc',
    statement], { timeout: 8000 });
}
function sqlMonitor(statement) {
  const m = server('db-monitor');
  return run(psqlBin, ['-h', m.dir, '-p', String(m.port), '-U', 'autoctl_node', '-d', 'pg_auto_failover', '-XAtqc',
    statement]);
}
const nodeState = (name) =>
  sqlMonitor(`select reportedstate || '/' || goalstate from pgautofailover.node where nodename = '${name}'`).out;

function redis(name, ...command) {
  return run('redis-cli', ['-h', '127.0.0.1', '-p', String(server(name).port), ...command]).out;
}
// What each Sentinel says the primary is ("127.0.0.1:PORT", or '' when it does not answer).
const sentinelViews = () => ['sentinel-a', 'sentinel-b', 'sentinel-c'].map(
  (s) => redis(s, 'sentinel', 'get-master-addr-by-name', 'myclothes').split('\n').join(':'));
const redisByAddress = (address) =>
  ['redis-a', 'redis-b', 'redis-c'].find((n) => `127.0.0.1:${server(n).port}` === address);
const agreedPrimary = () => {
  const views = sentinelViews();
  return views[0] && views.every((v) => v === views[0]) ? views[0] : null;
};

before(async () => {
  for (const port of kPorts) {
    assert.equal(await portAnswers(port), false, `port ${port} is already in use (this test needs 25481-25489, 27141-27149)`);
  }
  const ms = servicesVerb('start');
  timing('services start (made from nothing)', ms);
  layout = new Map(run(services, ['layout', ...args]).out.split('\n').map((line) => {
    const [kind, name, port, dir] = line.split(' ');
    return [name, { kind, port: Number(port), dir }];
  }));
  env = Object.fromEntries(run(services, ['env', ...args]).out.split('\n').map((line) => {
    const m = /^export (\w+)=(.*)$/.exec(line);
    return [m[1], m[2].replace(/^'(.*)'$/, '$1')];
  }));
});

let clean = false;  // set by the last test: nothing left running, the files can go
after(() => {
  const r = spawnSync(services, ['stop', ...args], { encoding: 'utf8', timeout: 120_000 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (clean) fs.rmSync(state, { recursive: true, force: true });
  else console.log(`state (logs) kept in ${state}`);
});

test('layout and env describe the replicated tier', () => {
  assert.deepEqual([...layout.entries()].map(([name, s]) => `${s.kind} ${name} ${s.port}`), [
    'monitor db-monitor 25488', 'node db-a 25481', 'node db-b 25487', 'replica replica-1 25482',
    'redis redis-a 27141', 'redis redis-b 27142', 'redis redis-c 27143',
    'sentinel sentinel-a 27144', 'sentinel sentinel-b 27145', 'sentinel sentinel-c 27146',
  ]);
  assert.equal(env.MYCLOTHES_DB_PRIMARY, 'host=127.0.0.1,127.0.0.1 port=25481,25487 dbname=myclothes user=myclothes '
    + 'target_session_attrs=read-write connect_timeout=2');
  assert.equal(env.MYCLOTHES_DB_REPLICAS, 'host=127.0.0.1 port=25482 dbname=myclothes user=myclothes');
  assert.equal(env.MYCLOTHES_REDIS_SENTINELS, '127.0.0.1:27144,127.0.0.1:27145,127.0.0.1:27146');
  assert.equal(env.MYCLOTHES_REDIS_MASTER_NAME, 'myclothes');
  assert.equal(nodeState('db-a'), 'primary/primary');
  assert.equal(nodeState('db-b'), 'secondary/secondary');
  assert.equal(nodeState('replica-1'), '', 'the read replica is a plain standby, not a node of the formation');
  const streaming = sqlPrimary("select state from pg_stat_replication where application_name = 'replica-1'");
  assert.equal(streaming.out, 'streaming', 'replica-1 streams from the primary');
});

let oldPrimary = null;

test('a SIGKILLed primary node: writes go to db-b within 30 s, and the last commit is there', { timeout: 60_000 }, async () => {
  assert.ok(sqlPrimary('create table if not exists services_ha (id bigserial primary key, note text)').ok);
  const wrote = sqlPrimary("insert into services_ha (note) values ('before the crash') returning id, inet_server_port()");
  assert.ok(wrote.ok, wrote.err);
  const [id, port] = wrote.out.split('|').map(Number);
  oldPrimary = [...layout.entries()].find(([, s]) => s.kind === 'node' && s.port === port)[0];
  assert.equal(oldPrimary, 'db-a');
  const pgid = Number(fs.readFileSync(path.join(server(oldPrimary).dir, 'node.pgid'), 'utf8'));
  const t0 = Date.now();
  process.kill(-pgid, 'SIGKILL');
  let attempts = 0;
  const readFailures = [];
  const { ms, value } = await waitFor('a write through the multi-host conninfo', () => {
    attempts++;
    // Browsing goes on meanwhile: the read replica answers throughout the failover.
    const read = sqlReplica(`select count(*) from services_ha where id = ${id}`);
    if (read.out !== '1') readFailures.push(`${Date.now() - t0} ms: ${read.out || read.err}`);
    const r = sqlPrimary("insert into services_ha (note) values ('after the crash') returning inet_server_port()");
    return r.ok ? Number(r.out) : null;
  }, 30_000, 250);
  assert.deepEqual(readFailures, [], 'the read replica answered every read during the failover');
  timing(`PostgreSQL failover (SIGKILL of ${oldPrimary}'s process group -> first write accepted, ${attempts} tries)`,
    Date.now() - t0);
  assert.ok(ms <= 30_000);
  assert.equal(value, server('db-b').port, 'the new primary is db-b');
  const seen = sqlPrimary(`select note || '|' || inet_server_port() from services_ha where id = ${id}`);
  assert.equal(seen.out, `before the crash|${server('db-b').port}`, 'the commit acknowledged before the crash');
  const { ms: followed } = await waitFor('the read replica following the new primary', () =>
    sqlReplica("select count(*) from services_ha where note = 'after the crash'").out === '1' || null, 15_000, 250);
  timing('the read replica has the new primary\'s first write', followed);
});

test('start brings the crashed node back as a secondary (pg_rewind), without waiting for the others', { timeout: 240_000 },
  async () => {
    assert.ok(oldPrimary, 'the failover test ran');
    const ms = servicesVerb('start');
    timing(`services start (${oldPrimary} rejoins)`, ms);
    assert.equal(nodeState(oldPrimary), 'secondary/secondary');
    // The monitor moves the primary from wait_primary (writes alone) back to primary (synchronous again) once
    // it has seen the returned standby catch up: a moment after that standby reports secondary.
    const { ms: sync } = await waitFor('db-b synchronous again (primary/primary)',
      () => nodeState('db-b') === 'primary/primary' || null, 15_000, 200);
    timing('db-b back to primary/primary after the rejoin', sync);
    const r = sqlPrimary("insert into services_ha (note) values ('after the rejoin') returning inet_server_port()");
    assert.equal(Number(r.out), server('db-b').port);
  });

const kKey = 'services-ha-test';
let redisValue = null;

test('a SIGKILLed Redis primary: the Sentinels name a new one within 10 s, the key written with WAIT 1 is there',
  { timeout: 120_000 }, async () => {
    const primaryAddress = agreedPrimary();
    const primary = redisByAddress(primaryAddress);
    assert.ok(primary, `the Sentinels agree on a primary (${sentinelViews()})`);
    redisValue = `written at ${new Date().toISOString()}`;
    assert.equal(redis(primary, 'set', kKey, redisValue), 'OK');
    assert.ok(Number(redis(primary, 'wait', '1', '2000')) >= 1, 'WAIT 1: a replica has the key');
    const pid = Number(fs.readFileSync(path.join(server(primary).dir, 'redis.pid'), 'utf8'));
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const { value: address } = await waitFor('the Sentinels naming a new primary', () => {
      const now = agreedPrimary();
      return now && now !== primaryAddress ? now : null;
    }, 10_000, 100);
    timing(`Redis failover (SIGKILL of ${primary} -> the three Sentinels name ${redisByAddress(address)})`, Date.now() - t0);
    const promoted = redisByAddress(address);
    const { ms } = await waitFor(`a write on ${promoted}`, () => redis(promoted, 'set', `${kKey}-after`, 'x') === 'OK',
      10_000, 100);
    timing('Redis writes back (first SET accepted by the new primary)', Date.now() - t0);
    assert.ok(ms >= 0);
    assert.equal(redis(promoted, 'get', kKey), redisValue);
    const started = servicesVerb('start');
    timing(`services start (${primary} back, made a replica by the Sentinels)`, started);
    assert.equal(redis(primary, 'role').split('\n')[0], 'slave', `${primary} came back as a replica`);
    assert.equal(redis(primary, 'set', `${kKey}-old`, 'x').split(' ')[0], 'READONLY');
  });

test('a restart of all three Redis nodes keeps the key (AOF)', { timeout: 180_000 }, async () => {
  assert.ok(redisValue, 'the failover test ran');
  const primary = redisByAddress(agreedPrimary());
  const nodes = ['redis-a', 'redis-b', 'redis-c'];
  const pids = nodes.map((n) => Number(fs.readFileSync(path.join(server(n).dir, 'redis.pid'), 'utf8')));
  for (const n of [...nodes.filter((n) => n !== primary), primary]) redis(n, 'shutdown');
  await waitFor('all three Redis nodes gone', () => pids.every((p) => !fs.existsSync(`/proc/${p}`)), 30_000);
  const ms = servicesVerb('start');
  timing('services start (three Redis nodes)', ms);
  const now = redisByAddress(agreedPrimary());
  assert.ok(now);
  assert.equal(redis(now, 'get', kKey), redisValue);
  for (const n of nodes) assert.equal(redis(n, 'get', kKey), redisValue, `${n} has the key`);
});

test('stop leaves no process', { timeout: 180_000 }, async () => {
  const ms = servicesVerb('stop');
  timing('services stop', ms);
  let left = [];
  await waitFor('no process of the state directory', () => (left = processesOfState()).length === 0, 10_000)
    .catch(() => assert.fail(`left running:\n${left.join('\n')}`));
  for (const port of kPorts) assert.equal(await portAnswers(port), false, `port ${port} still answers`);
  // For the person running it: what the unprivileged user still runs (other checkouts may run theirs).
  console.log(`pgrep -u myclothes -a:\n${run('pgrep', ['-u', 'myclothes', '-a']).out || '(nothing)'}`);
  console.log(`pgrep -af redis-:\n${run('pgrep', ['-af', 'redis-(server|sentinel)']).out || '(nothing)'}`);
  clean = true;
});
