// The labs' command line: the flags every lab has (-h/--help, --quick, --assert, --only, --out, --state,
// --program) and a lab's own whole-number flags and word choices, given as tables. Bad input is a UsageError
// (exit 2).

import path from 'node:path';

export class UsageError extends Error {}

const kPathFlags = ['--out', '--state', '--program'];

function parseCount(flag, text, limits) {
  if (!/^[0-9]+$/.test(text ?? '')) throw new UsageError(`${flag} takes a whole number, got "${text ?? ''}"`);
  const n = Number(text);
  if (n < limits.min || n > limits.max) {
    throw new UsageError(`${flag} must be between ${limits.min} and ${limits.max}, got ${n}`);
  }
  return n;
}

// The help text for the flags every lab has but --only (its place in the list differs), then what a run prints
// and how it exits; `table` is the lab's table for parseFlags, `exit2` says what exits 2.
export function commonHelp(table, exit2) {
  const { name, only } = table;
  return `  --out DIR        where ${name}.md, ${name}.svg and ${name}.json go (default lab/results/${name})
  --state DIR      the region's state directory, reused by every ${only.noun} and kept afterwards
                   (default: a fresh temporary directory, removed after a run without errors)
  --program PATH   the myclothes binary (default build/release/myclothes)
  --assert         exit 1 unless every property the architecture promises holds (see lab/README.md)
  -h, --help       this text

Progress goes to stderr; the table goes to stdout and, with the chart and raw figures, to --out.
Exit status: 0 done (and, with --assert, every property held), 1 a property or the run failed,
${exit2}, 130 interrupted.`;
}

// Parses argv (without node and the script) for lab/NAME; `root` is the repository root. The lab's table:
//   counts  {'--flag': {key, limits: {min, max, normal, quick}}}: whole numbers within min…max; when not
//           given, `quick` under --quick, else `normal`
//   choices optional {'--flag': {key, names, normal}}: one of the words `names`, `normal` when not given
//   only    {names, noun}: what --only chooses from (in their order) and what one of them is called
// Returns {help, quick, assert, only: the chosen names in their order (all when --only is not given), onlyGiven
// (whether --only was given), out (default lab/results/NAME), state (null when not given), program (default
// build/release/myclothes), and every count and choice by its key}.
export function parseFlags(argv, root, { name, counts, choices = {}, only }) {
  const given = { only: [] };
  const takesValue = (arg) => arg === '--only' || kPathFlags.includes(arg) || Object.hasOwn(counts, arg) ||
    Object.hasOwn(choices, arg);
  const args = [...argv];
  while (args.length > 0) {
    let arg = args.shift();
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (takesValue(arg) && value === undefined) {
      if (args.length === 0 || args[0].startsWith('--')) throw new UsageError(`${arg} needs a value (see --help)`);
      value = args.shift();
    }
    if (!takesValue(arg) && value !== undefined) throw new UsageError(`${arg} takes no value (see --help)`);
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
      case '--out':
      case '--state':
      case '--program':
        if (value === '') throw new UsageError(`${arg} needs a path`);
        given[arg.slice(2)] = path.resolve(value);
        break;
      case '--only':
        for (const one of value.split(',').map((s) => s.trim())) {
          if (!only.names.includes(one)) {
            throw new UsageError(`--only: unknown ${only.noun} "${one}" (one of ${only.names.join(', ')})`);
          }
          if (!given.only.includes(one)) given.only.push(one);
        }
        break;
      default:
        if (!takesValue(arg)) throw new UsageError(`unknown option ${arg} (see --help)`);
        if (Object.hasOwn(choices, arg)) {
          if (!choices[arg].names.includes(value)) {
            throw new UsageError(`${arg} takes one of ${choices[arg].names.join(', ')}, got "${value}"`);
          }
          given[choices[arg].key] = value;
        } else {
          given[counts[arg].key] = parseCount(arg, value, counts[arg].limits);
        }
    }
  }
  const quick = given.quick === true;
  const result = {
    help: given.help === true,
    quick,
    assert: given.assert === true,
    only: only.names.filter((n) => given.only.length === 0 || given.only.includes(n)),
    onlyGiven: given.only.length > 0,
    out: given.out ?? path.join(root, 'lab', 'results', name),
    state: given.state ?? null,
    program: given.program ?? path.join(root, 'build', 'release', 'myclothes'),
  };
  for (const { key, limits } of Object.values(counts)) {
    result[key] = given[key] ?? (quick ? limits.quick : limits.normal);
  }
  for (const { key, normal } of Object.values(choices)) result[key] = given[key] ?? normal;
  return result;
}
