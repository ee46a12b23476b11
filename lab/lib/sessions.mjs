// The sessions lab: every scenario on a fresh start of one local region (the same state directory, so
// PostgreSQL is initialised and the catalog seeded once), then the table, the chart and the raw figures.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { HELP, UsageError, parseOptions } from './options.mjs';
import { Region, freePort, instanceLogs } from './region.mjs';
import { markdown, svg, textTable } from './report.mjs';
import { SCENARIOS, ScenarioRun } from './scenarios.mjs';
import { verdicts } from './verdicts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Progress goes to stderr: stdout carries only the table.
const step = (text) => process.stderr.write(`==> ${text}\n`);
const info = (text) => process.stderr.write(`    ${text}\n`);

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

// Distinct free ports for the load balancer, PostgreSQL and Redis.
async function pickPorts() {
  const ports = new Set();
  while (ports.size < 3) ports.add(await freePort());
  const [lb, pg, redis] = ports;
  return { lb, pg, redis };
}

// mkdir -p, one level at a time (Node's recursive mkdir can spin forever under /proc).
function makeDirs(dir) {
  if (fs.existsSync(dir)) return;
  makeDirs(path.dirname(dir));
  fs.mkdirSync(dir);
}

// After a signal the handler owns the ending (it stops the region, then exits): the run only waits.
const waitForever = () => new Promise(() => {});

export async function main(argv) {
  let options;
  try {
    options = parseOptions(argv, root);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`lab/sessions: ${err.message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    fs.accessSync(options.program, fs.constants.X_OK);
  } catch {
    process.stderr.write(`lab/sessions: ${options.program} is not an executable program\n` +
      '  next: cmake --build build/release --target myclothes (or give --program PATH)\n');
    return 2;
  }

  try {
    makeDirs(options.out);
    fs.accessSync(options.out, fs.constants.W_OK);
  } catch (err) {
    process.stderr.write(`lab/sessions: --out ${options.out}: ${err.code ?? err.message}\n`);
    return 2;
  }

  const started = new Date();
  const t0 = Date.now();
  const tempState = options.state === null;
  const state = tempState ? fs.mkdtempSync(path.join(os.tmpdir(), 'myclothes-lab-sessions-')) : options.state;
  try {
    makeDirs(state);
  } catch (err) {
    process.stderr.write(`lab/sessions: --state ${state}: ${err.code ?? err.message}\n`);
    return 2;
  }
  const ports = await pickPorts();
  const logFile = path.join(state, 'lab-region.log');

  // Whatever ends the run, the region it started goes down first.
  let current = null;
  let stopping = false;
  const onSignal = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nlab/sessions: ${signal}: bringing the region down …\n`);
    if (current) await current.stop();
    if (tempState) fs.rmSync(state, { recursive: true, force: true });
    process.stderr.write(`lab/sessions: stopped${tempState ? '' : `; the region's files are in ${state}`}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

  step(`sessions lab: ${options.shoppers} shoppers × ${options.lines} lines; scenarios ${options.scenarios.join(', ')}`);
  info(`state ${state}${tempState ? ' (temporary)' : ''}; load balancer port ${ports.lb}, PostgreSQL ${ports.pg}, Redis ${ports.redis}`);

  const results = [];
  let trouble = false;
  for (const [i, name] of options.scenarios.entries()) {
    const def = SCENARIOS[name];
    step(`[${i + 1}/${options.scenarios.length}] ${name}: ${def.title}`);
    const region = new Region({
      program: options.program, root, state, ports, products: options.products, instances: options.instances,
      azs: options.azs, session: def.session, sticky: def.lbSticky, logFile,
      extraArgs: ['--replicas', '0'],  // sessions and carts never touch the replicas
    });
    current = region;
    let result;
    try {
      info(`region: starting (--session ${def.session}${def.lbSticky ? ' --sticky' : ''}, ${options.instances} instances over ${options.azs} zones) …`);
      const ts = Date.now();
      const lb = await region.start();
      info(`region: serving at ${lb.href} after ${((Date.now() - ts) / 1000).toFixed(1)} s`);
      result = await new ScenarioRun({ name, options, region, lb, log: info }).run();
    } catch (err) {
      result = { name, title: def.title, shoppers: options.shoppers, lines: options.lines, error: err.message,
        traffic: { total: 0, failed: 0, inKillWindow: 0, failedInKillWindow: 0, byStatus: {}, failures: [] } };
    }
    if (stopping) return await waitForever();
    if (result.error) {
      trouble = true;
      info(`error: ${result.error}`);
    }
    info('region: stopping …');
    const stopped = await region.stop();
    if (stopping) return await waitForever();
    current = null;
    if (!stopped.clean) info(`warning: the region did not stop cleanly (${stopped.signal ?? `status ${stopped.code}`}); see ${logFile}`);
    if (result.error) info(`logs: ${logFile} and ${path.join(state, 'logs')}/ (${instanceLogs(state).length} files)`);
    if (result.traffic.failed + result.traffic.failedInKillWindow > 0) {
      info(`failed requests: ${result.traffic.failed} (+${result.traffic.failedInKillWindow} in the kill window); instance logs in ${path.join(state, 'logs')}/`);
      for (const f of result.traffic.failures.slice(0, 3)) info(`  ${f.request} → ${f.answer} (${f.instance ?? '?'})`);
    }
    results.push(result);
  }

  const seconds = (Date.now() - t0) / 1000;
  const checked = options.assert ? verdicts(results) : null;
  const figures = { started: started.toISOString(), seconds, machine: machine(options.program),
    options: { ...options, out: undefined, help: undefined, state }, ports, results, verdicts: checked };
  fs.writeFileSync(path.join(options.out, 'sessions.json'), `${JSON.stringify(figures, null, 2)}\n`);
  fs.writeFileSync(path.join(options.out, 'sessions.md'),
    markdown({ results, options, machine: figures.machine, started, seconds, verdicts: checked }));
  fs.writeFileSync(path.join(options.out, 'sessions.svg'), svg({ results, options, started }));

  process.stdout.write(`\n${textTable(results)}\n\n`);
  step(`done in ${seconds.toFixed(0)} s; table, chart and figures in ${path.relative(process.cwd(), options.out) || '.'}/ ` +
    '(sessions.md, sessions.svg, sessions.json)');

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
