// A local region as a child process: `myclothes region up` in the foreground, the verbs that talk to it
// (status, kill, down) and the ports it may use. The labs and the region tests (tests/region) use it, and
// always bring down what they start.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const kReadyLine = /^region: the store is at (http:\/\/\S+)/;
const kStartTimeoutMs = 180_000;  // the first start runs initdb and seeds the catalog
const kVerbTimeoutMs = 60_000;
const kExitTimeoutMs = 30_000;

// The default ports of a developer's own store and region (serve, region up): never handed to a lab or a test,
// which may run beside them.
const kDefaultPorts = [8080, 25432, 26379];

function kernelPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A TCP port nothing listens on at this moment (the kernel picks it).
export async function freePort() {
  for (;;) {
    const port = await kernelPort();
    if (!kDefaultPorts.includes(port)) return port;
  }
}

// Whether `port` can be bound on 127.0.0.1 at this moment.
export function portIsFree(port) {
  return new Promise((resolve) => {
    if (port < 1 || port > 65535 || kDefaultPorts.includes(port)) {
      resolve(false);
      return;
    }
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function allFree(ports) {
  for (const p of ports) if (!(await portIsFree(p))) return false;
  return true;
}

const kServices = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../deploy/local/services');

// Where each server of the data tier is ({role, name, port, dir}: primary, replica-1 …, redis), as
// `deploy/local/services layout` — the one place that knows — says for these ports. Creates nothing.
export function dataLayout({ state, ports, replicas }) {
  const out = execFileSync(kServices, ['layout', '--state', state, '--pg-port', String(ports.pg),
    '--redis-port', String(ports.redis ?? 1), '--replicas', String(replicas)], { encoding: 'utf8' });
  return out.trim().split('\n').map((line) => {
    const [role, name, port, ...dir] = line.split(' ');
    return { role, name, port: Number(port), dir: dir.join(' ') };
  });
}

// The ports PostgreSQL's primary (`pg`) and its `replicas` would listen on.
export function postgresPorts(pg, replicas) {
  return dataLayout({ state: '/nonexistent', ports: { pg }, replicas })
    .filter((s) => s.role !== 'redis').map((s) => s.port);
}

// Distinct free ports for a region's load balancer, PostgreSQL and Redis (the kernel picks them), with the
// ports of PostgreSQL's `replicas` free as well.
export async function regionPorts(replicas = 0) {
  const lb = await freePort();
  let redis = await freePort();
  while (redis === lb) redis = await freePort();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const pg = await freePort();
    const block = postgresPorts(pg, replicas);
    if (block.includes(lb) || block.includes(redis)) continue;
    if (await allFree(block.slice(1))) return { lb, pg, redis };
  }
  throw new Error(`no run of ${replicas + 1} free ports found`);
}

// Runs `program args…` to completion; resolves {code, stdout, stderr}. Never rejects on a non-zero exit.
export function runVerb(program, args, { cwd, timeoutMs = kVerbTimeoutMs } = {}) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

export class Region {
  // settings: {program, root, state, ports:{lb,pg,redis}, products, instances, azs, session, sticky, logFile,
  //            extraArgs} — extraArgs (optional) are appended to `region up`'s arguments as given.
  constructor(settings) {
    this.s = settings;
    this.child = null;
    this.exited = null;  // a promise of the child's exit
    this.lb = null;
    this.tail = [];  // the last lines the region printed, for error messages
    this.output = '';  // everything it printed (the region tests match on it)
    this.lines = [];  // every line it printed, with when it arrived: {t (ms since the epoch), line}
    this.stopping = null;
  }

  get state() {
    return this.s.state;
  }

  get ports() {
    return this.s.ports;
  }

  get alive() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  // Starts `region up` and resolves with the load balancer's URL once the region says it is serving.
  async start() {
    const s = this.s;
    const args = ['region', 'up', '--state', s.state, '--port', String(s.ports.lb), '--pg-port', String(s.ports.pg),
      '--redis-port', String(s.ports.redis), '--products', String(s.products), '--instances', String(s.instances),
      '--azs', String(s.azs), '--session', s.session, '--data-tier', s.dataTier ?? 'single', '--no-live'];
    if (s.sticky) args.push('--sticky');
    if (s.extraArgs) args.push(...s.extraArgs);
    const log = fs.createWriteStream(s.logFile, { flags: 'a' });
    log.write(`\n### ${new Date().toISOString()} ${s.program} ${args.join(' ')}\n`);
    // Its own process group: a Ctrl-C reaches only the lab, which then stops the region in order.
    this.child = spawn(s.program, args, { cwd: s.root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => {
      log.end();
      resolve({ code, signal });
    }));
    return await new Promise((resolve, reject) => {
      let pending = '';
      let done = false;
      const finish = (err, url) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(url);
      };
      const onData = (chunk) => {
        log.write(chunk);
        this.output += chunk;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          this.lines.push({ t: Date.now(), line });
          this.tail.push(line);
          if (this.tail.length > 30) this.tail.shift();
          const m = kReadyLine.exec(line);
          if (m) {
            this.lb = new URL(m[1]);
            finish(null, this.lb);
          }
        }
      };
      this.child.stdout.setEncoding('utf8').on('data', onData);
      this.child.stderr.setEncoding('utf8').on('data', onData);
      this.child.on('error', (err) => finish(new Error(`could not start ${s.program}: ${err.message}`)));
      this.exited.then(({ code, signal }) => finish(new Error(
        `region up exited (${signal ?? `status ${code}`}) before serving; ` +
        (this.tail.length === 0 ? 'it printed nothing' : `its last lines:\n${this.tail.slice(-12).map((l) => `      ${l}`).join('\n')}`) +
        `\n    (full output: ${s.logFile})`)));
      const timer = setTimeout(() => finish(new Error(
        `the region did not say it was serving within ${kStartTimeoutMs / 1000} s (output: ${s.logFile})`)),
      kStartTimeoutMs);
    });
  }

  async verb(...args) {
    return await runVerb(this.s.program, ['region', ...args, '--state', this.s.state], { cwd: this.s.root });
  }

  // `region status --json`, parsed.
  async status() {
    const r = await this.verb('status', '--json');
    if (r.code !== 0) throw new Error(`region status failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`region status --json printed no JSON: ${r.stdout.slice(0, 200)}`);
    }
  }

  // A verb that changes the region (kill ID, fail-az AZ, restore-az AZ, scale N): resolves what it printed once
  // it happened; throws when it failed.
  async act(...args) {
    const r = await this.verb(...args);
    if (r.code !== 0) throw new Error(`region ${args.join(' ')} failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  }

  async kill(id) {
    return await this.act('kill', id);
  }

  // Polls the status until the region is whole (see `missingParts`); resolves {ms, status}. Throws after
  // `timeoutMs`, naming what was still missing.
  async waitWhole({ timeoutMs = 90_000, pollMs = 250 } = {}) {
    const t0 = Date.now();
    for (;;) {
      let st = null;
      let missing;
      try {
        st = await this.status();
        missing = missingParts(st);
      } catch (err) {
        missing = [err.message];
      }
      if (missing.length === 0) return { ms: Date.now() - t0, status: st };
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`the region was not whole ${Math.round(timeoutMs / 1000)} s later: ${missing.join('; ')}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  // Polls the status until `victim` is out of service and the desired number of instances is in service
  // and up in the load balancer again; resolves {ms, replacement, status}.
  async waitReplaced(victim, before, { timeoutMs = 30_000 } = {}) {
    const t0 = Date.now();
    const knownIds = new Set(before.instances.map((i) => i.id));
    for (;;) {
      const st = await this.status();
      const serving = st.instances.filter((i) => i.state === 'in-service' && i.lb === 'UP');
      const victimServing = serving.some((i) => i.id === victim);
      if (!victimServing && serving.length >= st.desired) {
        const fresh = serving.filter((i) => !knownIds.has(i.id)).map((i) => i.id);
        return { ms: Date.now() - t0, replacement: fresh.join(', ') || null, status: st };
      }
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`the region did not replace ${victim} within ${timeoutMs / 1000} s: ` +
          serving.map((i) => i.id).join(' ') + ` in service of ${st.desired} desired`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // `region down`, then waits for `region up` to exit; escalates to SIGINT (the region's own Ctrl-C path)
  // and, as the very last resort, SIGKILL of the one process the lab started. Never throws.
  stop() {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  async stopOnce() {
    if (this.child === null) return { clean: true };
    let clean = true;
    if (this.alive) {
      const r = await this.verb('down');
      if (r.code !== 0 && this.alive) clean = false;
    }
    if (!(await this.waitExit(kExitTimeoutMs))) {
      clean = false;
      try { process.kill(this.child.pid, 'SIGINT'); } catch { /* already gone */ }
      if (!(await this.waitExit(kExitTimeoutMs))) {
        try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* already gone */ }
        await this.waitExit(5_000);
      }
    }
    const result = await this.exited;
    this.child = null;
    return { clean, ...result };
  }

  async waitExit(ms) {
    if (!this.alive) return true;
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const ok = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return ok;
  }
}

// What keeps a region (its `status --json`) from being whole: every desired instance in service and up in the
// load balancer, a PostgreSQL primary that is up (with the replicated tier: the one pg_auto_failover's monitor
// names) and a Redis primary (replicated: the one a majority of the Sentinels names). [] when whole.
export function missingParts(st) {
  const missing = [];
  const serving = st.instances.filter((i) => i.state === 'in-service' && (i.lb === undefined || i.lb.startsWith('UP')));
  if (serving.length < st.desired) {
    missing.push(`${serving.length} of ${st.desired} instances in service and up in the load balancer` +
      ` (${st.instances.map((i) => `${i.id} ${i.state}/${i.lb ?? '?'}`).join(', ') || 'none'})`);
  }
  const primary = (st.db ?? []).find((d) => d.role === 'primary' && d.up !== false);
  if (st.data_tier === 'replicated') {
    if (!st.ha_manager?.primary || !primary) {
      missing.push(`no PostgreSQL primary (pg_auto_failover's monitor names ${st.ha_manager?.primary ?? 'none'}` +
        `${st.ha_manager && st.ha_manager.up === false ? ' and does not answer' : ''})`);
    }
    if (!st.redis_primary) missing.push('no Redis primary (no majority of the Sentinels names one that answers)');
  } else {
    if (!primary) missing.push('the PostgreSQL primary is not up');
    if (!(st.redis ?? []).some((r) => r.up !== false)) missing.push('Redis is not up');
  }
  return missing;
}

// The flags `program region up` knows (from its --help).
export async function regionUpFlags(program, cwd) {
  const r = await runVerb(program, ['region', 'up', '--help'], { cwd, timeoutMs: 15_000 });
  return new Set([...`${r.stdout}\n${r.stderr}`.matchAll(/(?:^|[\s,])(--[a-z][a-z-]*)/g)].map((m) => m[1]));
}

// The instance logs a person should read when something went wrong.
export function instanceLogs(state) {
  const dir = path.join(state, 'logs');
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
