// What the region tests share: the program under test, waiting for a condition, shoppers browsing through the
// load balancer while a test changes the region, and whether a port still answers. The region itself is
// lab/common/region.mjs's Region. (Not a test file: `node --test tests/region/` runs only *.test.mjs.)
import assert from 'node:assert/strict';
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

// Whether something accepts a TCP connection on 127.0.0.1:port (within a second).
export function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

export { dataLayout } from '../../lab/common/region.mjs';
