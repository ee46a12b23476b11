// What every lab run does around its own measurements: the command line, the checks before anything starts,
// the output and state directories, one region at a time on the same state directory (every item of the run
// — a scenario, a configuration — on a fresh start, and brought down whatever happens, Ctrl-C included), then
// the raw figures (NAME.json), the report (NAME.md, NAME.svg), the tables on stdout and the --assert verdicts.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { UsageError } from './flags.mjs';
import { Region } from './region.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Progress goes to stderr: stdout carries only the tables.
export const step = (text) => process.stderr.write(`==> ${text}\n`);
export const info = (text) => process.stderr.write(`    ${text}\n`);

function machine(program) {
  const sh = (cmd, args, fallback) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return fallback;
    }
  };
  return {
    nproc: Number(sh('nproc', [], String(os.availableParallelism()))),
    uname: sh('uname', ['-a'], `${os.type()} ${os.release()} ${os.machine()}`),
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    node: process.versions.node,
    program: path.relative(root, program) || program,
  };
}

// mkdir -p, one level at a time (Node's recursive mkdir can spin forever under /proc).
function makeDirs(dir) {
  if (fs.existsSync(dir)) return;
  makeDirs(path.dirname(dir));
  fs.mkdirSync(dir);
}

// After a signal the handler owns the ending (it stops the region, then exits): the run only waits.
const waitForever = () => new Promise(() => {});

// Runs lab/NAME (started by lab/NAME/run) with argv; resolves with the exit status (0 done, 1 a property or
// the run failed, 2 bad options; a signal exits 130 or 143 itself). The lab:
//   name                   'sessions': lab/sessions/, sessions.json/.md/.svg, the temporary state's prefix
//   help, parseOptions     the --help text; argv → options (a UsageError for bad input), with at least
//                          program, out, state, assert, products, instances and azs
//   check(options)         optional: why the program cannot run this lab (exit 2), or null
//   pickPorts(state)       the region's ports {lb, pg, redis}
//   headline(options)      the first progress line; portsText(ports) the ports in the second
//   items(options)         what runs, in order, each on a fresh region; title(item) names it in the progress
//   regionSettings(item, options)  the item's Region settings beyond the common ones (session, sticky,
//                          extraArgs)
//   run(item, region, ctx) starts the region and measures; never throws: a result, with `error` if it failed
//   afterStop(result, item, ctx)  once the region is down: what to say (and the logs to read)
//   verdicts(results)      the --assert properties
//   figures()              optional: keys added to NAME.json and to markdown's arguments
//   markdown(args), svg(args), tables(results)  the report
// `ctx` is {options, state, logFile}.
export async function runLab(argv, lab) {
  const name = `lab/${lab.name}`;
  let options;
  try {
    options = lab.parseOptions(argv, root);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${lab.help}\n`);
    return 0;
  }
  try {
    fs.accessSync(options.program, fs.constants.X_OK);
  } catch {
    process.stderr.write(`${name}: ${options.program} is not an executable program\n` +
      '  next: cmake --build build/release --target myclothes (or give --program PATH)\n');
    return 2;
  }
  const unfit = lab.check ? await lab.check(options) : null;
  if (unfit) {
    process.stderr.write(`${name}: ${unfit}\n`);
    return 2;
  }
  try {
    makeDirs(options.out);
    fs.accessSync(options.out, fs.constants.W_OK);
  } catch (err) {
    process.stderr.write(`${name}: --out ${options.out}: ${err.code ?? err.message}\n`);
    return 2;
  }

  const started = new Date();
  const t0 = Date.now();
  const tempState = options.state === null;
  const state = tempState ? fs.mkdtempSync(path.join(os.tmpdir(), `myclothes-lab-${lab.name}-`)) : options.state;
  try {
    makeDirs(state);
  } catch (err) {
    process.stderr.write(`${name}: --state ${state}: ${err.code ?? err.message}\n`);
    return 2;
  }
  const ports = await lab.pickPorts(state);
  const ctx = { options, state, logFile: path.join(state, 'lab-region.log') };

  // Whatever ends the run, the region it started goes down first.
  let current = null;
  let stopping = false;
  const onSignal = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${name}: ${signal}: bringing the region down …\n`);
    if (current) await current.stop();
    if (tempState) fs.rmSync(state, { recursive: true, force: true });
    process.stderr.write(`${name}: stopped${tempState ? '' : `; the region's files are in ${state}`}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

  step(lab.headline(options));
  info(`state ${state}${tempState ? ' (temporary)' : ''}; ${lab.portsText(ports)}`);

  const results = [];
  let trouble = false;
  const items = lab.items(options);
  for (const [i, item] of items.entries()) {
    step(`[${i + 1}/${items.length}] ${lab.title(item)}`);
    const region = new Region({
      program: options.program, root, state, ports, products: options.products, instances: options.instances,
      azs: options.azs, logFile: ctx.logFile, ...lab.regionSettings(item, options),
    });
    current = region;
    const result = await lab.run(item, region, ctx);
    if (stopping) return await waitForever();
    if (result.error) {
      trouble = true;
      info(`error: ${result.error}`);
    }
    info('region: stopping …');
    const stopped = await region.stop();
    if (stopping) return await waitForever();
    current = null;
    if (!stopped.clean) {
      info(`warning: the region did not stop cleanly (${stopped.signal ?? `status ${stopped.code}`}); see ${ctx.logFile}`);
    }
    lab.afterStop(result, item, ctx);
    results.push(result);
  }

  const seconds = (Date.now() - t0) / 1000;
  const checked = options.assert ? lab.verdicts(results) : null;
  const extra = lab.figures ? lab.figures() : {};
  const figures = {
    started: started.toISOString(), seconds, machine: machine(options.program),
    options: { ...options, out: undefined, help: undefined, state }, ports, ...extra,
    results, verdicts: checked,
  };
  const file = (ext) => `${lab.name}.${ext}`;
  fs.writeFileSync(path.join(options.out, file('json')), `${JSON.stringify(figures, null, 2)}\n`);
  fs.writeFileSync(path.join(options.out, file('md')),
    lab.markdown({ results, options, machine: figures.machine, started, seconds, ...extra, verdicts: checked }));
  fs.writeFileSync(path.join(options.out, file('svg')), lab.svg({ results, options, started }));

  process.stdout.write(`\n${lab.tables(results)}\n\n`);
  step(`done in ${seconds.toFixed(0)} s; table, chart and figures in ${path.relative(process.cwd(), options.out) || '.'}/ ` +
    `(${file('md')}, ${file('svg')}, ${file('json')})`);

  let code = trouble ? 1 : 0;
  if (checked) {
    const failed = checked.filter((v) => !v.ok);
    for (const v of failed) process.stderr.write(`assert: FAILED ${v.what}: ${v.why}\n`);
    if (failed.length === 0) step(`assert: all ${checked.length} properties hold`);
    else code = 1;
  }
  if (tempState && code === 0) {
    fs.rmSync(state, { recursive: true, force: true });
  } else if (tempState) {
    info(`the region's state and logs are kept in ${state}`);
  }
  return code;
}
