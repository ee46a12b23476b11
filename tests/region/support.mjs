// What the region tests share: the program under test, waiting for a condition, shoppers browsing through the
// load balancer while a test changes the region, and whether a port still answers. The region itself is
// lab/common/region.mjs's Region. (Not a test file: `node --test tests/region/` runs only *.test.mjs.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const program = process.env.MYCLOTHES_PROGRAM ?? path.join(root, 'build/release/myclothes');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `predicate` until it gives something truthy; resolves {ms, value}, or fails the test after timeoutMs.
export async function waitFor(what, predicate, timeoutMs = 15_000) {
  const t0 = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return { ms: Date.now() - t0, value };
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

// Shoppers browsing until stop(): `shoppers` at a time, 20,000 requests at most. `request(left)` sends one
// (`left` counts the budget down) and records its answer in `result`, which stop() resolves with.
export function keepBrowsing({ shoppers, result, request }) {
  let stopped = false;
  let budget = 20_000;
  const one = async () => {
    while (!stopped && budget-- > 0) await request(budget);
  };
  const workers = Array.from({ length: shoppers }, one);
  return {
    result,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return result;
    },
  };
}

// Whether something accepts a TCP connection on host:port (within a second).
export function portAnswers(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

// Whether a TCP connect from inside the network namespace `netns` to host:port succeeds within two seconds
// (bash's /dev/tcp, run in the namespace with `ip netns exec`).
export function connectsFrom(netns, host, port) {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`],
    { stdio: 'ignore' });
  return r.status === 0;
}

// The network namespaces whose names start with `prefix`.
export function namespacesOf(prefix) {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
}

// Whether the machine's own namespace has the link `name`.
export function linkExists(name) {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

// The nftables tables of the machine's own namespace ("inet mc_sg" …).
export function machineTables() {
  const out = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter((l) => l.startsWith('table ')).map((l) => l.slice(6));
}

// Whether `pid` is gone or a zombie (it has exited; its parent has not reaped it yet).
export function isZombie(pid) {
  try {
    return /^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

// The processes (not zombies) whose command line contains `text`, as "PID: COMMAND LINE".
export function processesMentioning(text) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (isZombie(Number(entry))) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline}`);
    } catch { /* gone meanwhile */ }
  }
  return found;
}

// Processes that are stopping are not left behind: waits up to `ms` for those mentioning `text` to go, and
// resolves what is still there.
export async function processesLeft(text, ms = 5000) {
  const t0 = Date.now();
  for (;;) {
    const left = processesMentioning(text);
    if (left.length === 0 || Date.now() - t0 > ms) return left;
    await sleep(100);
  }
}

export { dataLayout } from '../../lab/common/region.mjs';
