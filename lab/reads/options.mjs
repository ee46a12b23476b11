// lab/reads' command line: the configurations, the flags, their limits, and the help text (common/flags.mjs
// parses).

import { commonHelp, parseFlags } from '../common/flags.mjs';

// The configurations, in the order they run. `replicas` is `region up --replicas K`; `cache: false` adds
// `--no-cache` (the instances read PostgreSQL for every catalog read).
export const CONFIGURATIONS = [
  { name: 'nocache-r0', label: 'no cache, 0 replicas', cache: false, replicas: 0 },
  { name: 'nocache-r2', label: 'no cache, 2 replicas', cache: false, replicas: 2 },
  { name: 'cache-r2', label: 'cache, 2 replicas', cache: true, replicas: 2 },
  { name: 'cache-r5', label: 'cache, 5 replicas', cache: true, replicas: 5 },
];

export const LIMITS = {
  shoppers: { min: 1, max: 500, normal: 32, quick: 32 },
  requests: { min: 1, max: 5000, normal: 300, quick: 50 },
  products: { min: 50, max: 1_000_000, normal: 2000, quick: 2000 },
  seconds: { min: 5, max: 3600, normal: 120, quick: 30 },
  seed: { min: 0, max: 2 ** 32 - 1, normal: 20261125, quick: 20261125 },
};

const FLAGS = {
  name: 'reads',
  counts: {
    '--shoppers': { key: 'shoppers', limits: LIMITS.shoppers },
    '--requests': { key: 'requests', limits: LIMITS.requests },
    '--products': { key: 'products', limits: LIMITS.products },
    '--max-seconds': { key: 'maxSeconds', limits: LIMITS.seconds },
    '--seed': { key: 'seed', limits: LIMITS.seed },
  },
  only: { names: CONFIGURATIONS.map((c) => c.name), noun: 'configuration' },
};

export const HELP = `Usage: lab/reads/run [options]

Runs one bounded, read-heavy browsing workload against a real local region (HAProxy, 2 instances,
PostgreSQL primary and K streaming read replicas, Redis) in four configurations and prints, for each,
where the catalog reads went: queries on the primary, queries on the replicas, the cache hit ratio,
client-side p50/p99 latency, requests and failed requests.

Configurations, in this order, each on a fresh region start (same state directory: seeded once):
  ${CONFIGURATIONS.map((c) => `${c.name.padEnd(11)} ${c.label}`).join('\n  ')}

The workload: every shopper sends a fixed list of requests, the same in every configuration (seeded):
product JSON and pages with a Zipf-like popularity, category listings (JSON and pages), and popular
searches in Korean and English (JSON and pages).

Options:
  --shoppers N     concurrent shoppers (${LIMITS.shoppers.min}-${LIMITS.shoppers.max}, default ${LIMITS.shoppers.normal}; --quick ${LIMITS.shoppers.quick})
  --requests N     requests each shopper sends (${LIMITS.requests.min}-${LIMITS.requests.max}, default ${LIMITS.requests.normal}; --quick ${LIMITS.requests.quick})
  --products N     products to seed when the catalog is empty (${LIMITS.products.min}-${LIMITS.products.max}, default ${LIMITS.products.normal})
  --max-seconds S  stop a configuration's workload after S seconds even if unfinished
                   (${LIMITS.seconds.min}-${LIMITS.seconds.max}, default ${LIMITS.seconds.normal}; --quick ${LIMITS.seconds.quick}); an unfinished workload is a failed run
  --quick          a smaller run (about a minute): ${LIMITS.shoppers.quick} shoppers x ${LIMITS.requests.quick} requests
  --only LIST      run only these configurations: ${CONFIGURATIONS.map((c) => c.name).join('|')} (repeatable, or a comma list)
  --seed N         the workload's seed (default ${LIMITS.seed.normal})
${commonHelp(FLAGS, '2 bad options or a program without the needed region flags')}`;

// Parses argv (without node and the script) into the run's options; `root` is the repository root.
export function parseOptions(argv, root) {
  const given = parseFlags(argv, root, FLAGS);
  const { help, quick, assert, shoppers, requests, products, maxSeconds, out, state, program, seed } = given;
  return {
    help, quick, assert, shoppers, requests, products, maxSeconds,
    configurations: CONFIGURATIONS.filter((c) => given.only.includes(c.name)),
    out, state, program,
    instances: 2,
    azs: 2,
    session: 'redis',
    seed,
  };
}
