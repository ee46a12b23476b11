// lab/reads' command line: the configurations, the flags, their limits, and the help text. Bad input is a
// UsageError (exit 2).

import path from 'node:path';

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
};

export const HELP = `Usage: lab/reads [options]

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
  --seed N         the workload's seed (default 20261125)
  --out DIR        where reads.md, reads.svg and reads.json go (default lab/results/reads)
  --state DIR      the region's state directory, reused by every configuration and kept afterwards
                   (default: a fresh temporary directory, removed after a run without errors)
  --program PATH   the myclothes binary (default build/release/myclothes)
  --assert         exit 1 unless every property the architecture promises holds (see lab/README.md)
  -h, --help       this text

Progress goes to stderr; the table goes to stdout and, with the chart and raw figures, to --out.
Exit status: 0 done (and, with --assert, every property held), 1 a property or the run failed,
2 bad options or a program without the needed region flags, 130 interrupted.`;

export class UsageError extends Error {}

function parseCount(flag, text, limits) {
  if (!/^[0-9]+$/.test(text ?? '')) throw new UsageError(`${flag} takes a whole number, got "${text ?? ''}"`);
  const n = Number(text);
  if (n < limits.min || n > limits.max) {
    throw new UsageError(`${flag} must be between ${limits.min} and ${limits.max}, got ${n}`);
  }
  return n;
}

const kValueFlags = ['--shoppers', '--requests', '--products', '--max-seconds', '--only', '--seed', '--out', '--state',
  '--program'];

// Parses argv (without node and the script) into the run's options; `root` is the repository root.
export function parseOptions(argv, root) {
  const given = { only: [] };
  const args = [...argv];
  while (args.length > 0) {
    let arg = args.shift();
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const takesValue = kValueFlags.includes(arg);
    if (takesValue && value === undefined) {
      if (args.length === 0 || args[0].startsWith('--')) throw new UsageError(`${arg} needs a value (see --help)`);
      value = args.shift();
    }
    if (!takesValue && value !== undefined) throw new UsageError(`${arg} takes no value (see --help)`);
    switch (arg) {
      case '-h':
      case '--help':
        given.help = true;
        break;
      case '--quick':
        given.quick = true;
        break;
      case '--assert':
        given.assert = true;
        break;
      case '--shoppers':
        given.shoppers = parseCount(arg, value, LIMITS.shoppers);
        break;
      case '--requests':
        given.requests = parseCount(arg, value, LIMITS.requests);
        break;
      case '--products':
        given.products = parseCount(arg, value, LIMITS.products);
        break;
      case '--max-seconds':
        given.maxSeconds = parseCount(arg, value, LIMITS.seconds);
        break;
      case '--seed':
        given.seed = parseCount(arg, value, { min: 0, max: 2 ** 32 - 1 });
        break;
      case '--out':
      case '--state':
      case '--program':
        if (value === '') throw new UsageError(`${arg} needs a path`);
        given[arg.slice(2)] = path.resolve(value);
        break;
      case '--only':
        for (const name of value.split(',').map((s) => s.trim())) {
          if (!CONFIGURATIONS.some((c) => c.name === name)) {
            throw new UsageError(`--only: unknown configuration "${name}" (one of ${CONFIGURATIONS.map((c) => c.name).join(', ')})`);
          }
          if (!given.only.includes(name)) given.only.push(name);
        }
        break;
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  const quick = given.quick === true;
  const pick = (key, flag) => given[key] ?? (quick ? LIMITS[flag].quick : LIMITS[flag].normal);
  return {
    help: given.help === true,
    quick,
    assert: given.assert === true,
    shoppers: pick('shoppers', 'shoppers'),
    requests: pick('requests', 'requests'),
    products: pick('products', 'products'),
    maxSeconds: pick('maxSeconds', 'seconds'),
    configurations: CONFIGURATIONS.filter((c) => given.only.length === 0 || given.only.includes(c.name)),
    out: given.out ?? path.join(root, 'lab', 'results', 'reads'),
    state: given.state ?? null,
    program: given.program ?? path.join(root, 'build', 'release', 'myclothes'),
    instances: 2,
    azs: 2,
    session: 'redis',
    seed: given.seed ?? 20261125,
  };
}
