// lab/az's command line: the faults, the flags, their limits, and the help text (common/flags.mjs parses).

import { UsageError, commonHelp, parseFlags } from '../common/flags.mjs';
import { FAULTS, FAULT_NAMES, byName } from './faults.mjs';

export const TIERS = ['replicated', 'single'];

export const LIMITS = {
  shoppers: { min: 2, max: 400, normal: 40, quick: 10 },
  window: { min: 10, max: 600, normal: 40, quick: 25 },
  whole: { min: 10, max: 900, normal: 90, quick: 90 },
  seed: { min: 0, max: 2 ** 32 - 1, normal: 20261202, quick: 20261202 },
};

const FLAGS = {
  name: 'az',
  counts: {
    '--shoppers': { key: 'shoppers', limits: LIMITS.shoppers },
    '--window': { key: 'windowSeconds', limits: LIMITS.window },
    '--whole-timeout': { key: 'wholeSeconds', limits: LIMITS.whole },
    '--seed': { key: 'seed', limits: LIMITS.seed },
  },
  choices: { '--data-tier': { key: 'dataTier', names: TIERS, normal: 'replicated' } },
  only: { names: FAULT_NAMES, noun: 'fault' },
};

export const HELP = `Usage: lab/az/run [options]

Starts one local region (HAProxy, 4 instances over zones a, b, c, the data tier; --session redis) and,
under a bounded load of shoppers who browse, fill carts, register and check out, causes one fault at a
time; after each it waits until the region is whole again and every shopper checks what the store
acknowledged to it. It prints, per fault: requests failed by kind, seconds until browsing and writes
work again, acknowledged cart lines and orders lost, duplicate orders, instance replacements, and AWS's
published figure for the same event.

Faults, in this order (each a \`myclothes region\` verb):
${FAULTS.map((f) => `  ${f.name.padEnd(19)} ${f.verb.join(' ').padEnd(20)} ${f.tiers.length === 1 ? `(--data-tier ${f.tiers[0]} only)` : ''}`.trimEnd()).join('\n')}

Options:
  --data-tier T    replicated|single (default replicated: PostgreSQL under pg_auto_failover, Redis with
                   Sentinels); single has one PostgreSQL and one Redis, so only the zone faults
  --shoppers N     concurrent shoppers (${LIMITS.shoppers.min}-${LIMITS.shoppers.max}, default ${LIMITS.shoppers.normal}; --quick ${LIMITS.shoppers.quick}); a fifth of them
                   (at least one) check out, a few register during the faults
  --window S       seconds of load after each fault (${LIMITS.window.min}-${LIMITS.window.max}, default ${LIMITS.window.normal}; --quick ${LIMITS.window.quick})
  --whole-timeout S  how long to wait for the region to be whole again after a window (default ${LIMITS.whole.normal})
  --quick          a smaller run for CI (a few minutes): ${LIMITS.shoppers.quick} shoppers, ${LIMITS.window.quick} s windows
  --only LIST      cause only these faults, a comma list of
                   ${FAULT_NAMES.join(', ')} (restore-az-a needs fail-az-a)
  --seed N         the shoppers' seed (default ${LIMITS.seed.normal})
${commonHelp(FLAGS, '2 bad options or a program without the region verbs this needs')}`;

// Parses argv (without node and the script) into the run's options; `root` is the repository root.
export function parseOptions(argv, root) {
  const given = parseFlags(argv, root, FLAGS);
  const { help, quick, assert, shoppers, windowSeconds, wholeSeconds, seed, dataTier, out, state, program } = given;
  const unfit = given.only.filter((n) => !byName(n).tiers.includes(dataTier));
  if (given.onlyGiven && unfit.length > 0) {
    throw new UsageError(`--only ${unfit.join(',')}: not a fault of --data-tier ${dataTier} ` +
      `(it has ${FAULTS.filter((f) => f.tiers.includes(dataTier)).map((f) => f.name).join(', ')})`);
  }
  const faults = given.only.filter((n) => byName(n).tiers.includes(dataTier));
  for (const n of faults) {
    const before = byName(n).after;
    if (before && !faults.includes(before)) throw new UsageError(`--only ${n} needs ${before} before it`);
  }
  return {
    help, quick, assert, shoppers, windowSeconds, wholeSeconds, seed, dataTier, faults,
    leadSeconds: quick ? 2 : 3,  // load before each fault
    out, state, program,
    products: 300,
    instances: 4,
    azs: 3,
  };
}
