// The lab's command line: flags, their limits, and the help text. Bad input is a UsageError (exit 2).

import path from 'node:path';

export const SCENARIO_NAMES = ['sticky', 'sticky-lb', 'cookie', 'redis'];

export const LIMITS = {
  shoppers: { min: 1, max: 1000, normal: 200, quick: 12 },
  lines: { min: 1, max: 30, normal: 6, quick: 4 },
};

export const HELP = `Usage: lab/sessions [options]

Runs each session strategy against a real local region (HAProxy, 4 instances over 2 zones,
PostgreSQL, Redis) and prints what happens to the shoppers' carts, in numbers.

Scenarios, in this order, each on a fresh region start:
  sticky      carts in instance memory, round-robin load balancer: carts appear and disappear
  sticky-lb   carts in instance memory behind LB stickiness (cookie MCLB); then one instance is killed
  cookie      the whole session in a sealed cookie: request size up to the 4096-byte cap, tampering
  redis       only a session id travels, carts in Redis; then one instance is killed

Options:
  --shoppers N     shoppers per scenario (${LIMITS.shoppers.min}-${LIMITS.shoppers.max}, default ${LIMITS.shoppers.normal}; --quick ${LIMITS.shoppers.quick})
  --lines M        cart lines each shopper adds (${LIMITS.lines.min}-${LIMITS.lines.max}, default ${LIMITS.lines.normal}; --quick ${LIMITS.lines.quick})
  --quick          a smaller run (under ~90 s): ${LIMITS.shoppers.quick} shoppers x ${LIMITS.lines.quick} lines, fewer tampered cookies
  --only LIST      run only these scenarios: ${SCENARIO_NAMES.join('|')} (repeatable, or a comma list)
  --out DIR        where sessions.md, sessions.svg and sessions.json go (default lab/results/sessions)
  --state DIR      the region's state directory, reused by every scenario and kept afterwards
                   (default: a fresh temporary directory, removed after a run without errors)
  --program PATH   the myclothes binary (default build/release/myclothes)
  --assert         exit 1 unless every property the architecture promises holds (see lab/README.md)
  -h, --help       this text

Progress goes to stderr; the table goes to stdout and, with the chart and raw figures, to --out.
Exit status: 0 done (and, with --assert, every property held), 1 a property or the run failed,
2 bad options, 130 interrupted.`;

export class UsageError extends Error {}

function parseCount(flag, text, limits) {
  if (!/^[0-9]+$/.test(text ?? '')) throw new UsageError(`${flag} takes a whole number, got "${text ?? ''}"`);
  const n = Number(text);
  if (n < limits.min || n > limits.max) {
    throw new UsageError(`${flag} must be between ${limits.min} and ${limits.max}, got ${n}`);
  }
  return n;
}

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
    const takesValue = ['--shoppers', '--lines', '--out', '--state', '--program', '--only'].includes(arg);
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
      case '--lines':
        given.lines = parseCount(arg, value, LIMITS.lines);
        break;
      case '--out':
      case '--state':
      case '--program':
        if (value === '') throw new UsageError(`${arg} needs a path`);
        given[arg.slice(2)] = path.resolve(value);
        break;
      case '--only':
        for (const name of value.split(',').map((s) => s.trim())) {
          if (!SCENARIO_NAMES.includes(name)) {
            throw new UsageError(`--only: unknown scenario "${name}" (one of ${SCENARIO_NAMES.join(', ')})`);
          }
          if (!given.only.includes(name)) given.only.push(name);
        }
        break;
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  const quick = given.quick === true;
  return {
    help: given.help === true,
    quick,
    assert: given.assert === true,
    shoppers: given.shoppers ?? (quick ? LIMITS.shoppers.quick : LIMITS.shoppers.normal),
    lines: given.lines ?? (quick ? LIMITS.lines.quick : LIMITS.lines.normal),
    looks: 3,  // how many times each shopper looks at its cart in a check
    tamperSources: quick ? 2 : 5,  // shoppers whose real cookies are tampered with
    scenarios: SCENARIO_NAMES.filter((n) => given.only.length === 0 || given.only.includes(n)),
    out: given.out ?? path.join(root, 'lab', 'results', 'sessions'),
    state: given.state ?? null,
    program: given.program ?? path.join(root, 'build', 'release', 'myclothes'),
    products: 300,
    instances: 4,
    azs: 2,
    seed: 20261125,
  };
}
