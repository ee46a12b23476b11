// lab/sessions' command line: the scenarios, the flags, their limits, and the help text (common/flags.mjs parses).

import { commonHelp, parseFlags } from '../common/flags.mjs';

export const SCENARIO_NAMES = ['sticky', 'sticky-lb', 'cookie', 'redis'];

export const LIMITS = {
  shoppers: { min: 1, max: 1000, normal: 200, quick: 12 },
  lines: { min: 1, max: 30, normal: 6, quick: 4 },
};

const FLAGS = {
  name: 'sessions',
  counts: {
    '--shoppers': { key: 'shoppers', limits: LIMITS.shoppers },
    '--lines': { key: 'lines', limits: LIMITS.lines },
  },
  only: { names: SCENARIO_NAMES, noun: 'scenario' },
};

export const HELP = `Usage: lab/sessions/run [options]

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
${commonHelp(FLAGS, '2 bad options')}`;

// Parses argv (without node and the script) into the run's options; `root` is the repository root.
export function parseOptions(argv, root) {
  const { help, quick, assert, shoppers, lines, only, out, state, program } = parseFlags(argv, root, FLAGS);
  return {
    help, quick, assert, shoppers, lines,
    looks: 3,  // how many times each shopper looks at its cart in a check
    tamperSources: quick ? 2 : 5,  // shoppers whose real cookies are tampered with
    scenarios: only,
    out, state, program,
    products: 300,
    instances: 4,
    azs: 2,
    seed: 20261125,
  };
}
