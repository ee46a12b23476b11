// The sessions lab: every scenario on a fresh start of one local region (the same state directory, so
// PostgreSQL is initialised and the catalog seeded once), then the table, the chart and the raw figures.

import path from 'node:path';

import { info, runLab } from '../common/harness.mjs';
import { HELP, parseOptions } from './options.mjs';
import { instanceLogs, regionPorts } from '../common/region.mjs';
import { markdown, svg, textTable } from './report.mjs';
import { SCENARIOS, ScenarioRun } from './scenarios.mjs';
import { verdicts } from './verdicts.mjs';

export function main(argv) {
  return runLab(argv, {
    name: 'sessions',
    help: HELP,
    parseOptions,
    pickPorts: () => regionPorts(0),
    headline: (options) => `sessions lab: ${options.shoppers} shoppers × ${options.lines} lines; ` +
      `scenarios ${options.scenarios.join(', ')}`,
    portsText: (ports) => `load balancer port ${ports.lb}, PostgreSQL ${ports.pg}, Redis ${ports.redis}`,
    items: (options) => options.scenarios,
    title: (name) => `${name}: ${SCENARIOS[name].title}`,
    regionSettings: (name) => ({
      session: SCENARIOS[name].session, sticky: SCENARIOS[name].lbSticky,
      extraArgs: ['--replicas', '0'],  // sessions and carts never touch the replicas
    }),

    async run(name, region, { options }) {
      const def = SCENARIOS[name];
      try {
        info(`region: starting (--session ${def.session}${def.lbSticky ? ' --sticky' : ''}, ${options.instances} instances over ${options.azs} zones) …`);
        const ts = Date.now();
        const lb = await region.start();
        info(`region: serving at ${lb.href} after ${((Date.now() - ts) / 1000).toFixed(1)} s`);
        return await new ScenarioRun({ name, options, region, lb, log: info }).run();
      } catch (err) {
        return { name, title: def.title, shoppers: options.shoppers, lines: options.lines, error: err.message,
          traffic: { total: 0, failed: 0, inKillWindow: 0, failedInKillWindow: 0, byStatus: {}, failures: [] } };
      }
    },

    afterStop(result, name, { state, logFile }) {
      if (result.error) info(`logs: ${logFile} and ${path.join(state, 'logs')}/ (${instanceLogs(state).length} files)`);
      if (result.traffic.failed + result.traffic.failedInKillWindow > 0) {
        info(`failed requests: ${result.traffic.failed} (+${result.traffic.failedInKillWindow} in the kill window); instance logs in ${path.join(state, 'logs')}/`);
        for (const f of result.traffic.failures.slice(0, 3)) info(`  ${f.request} → ${f.answer} (${f.instance ?? '?'})`);
      }
    },

    verdicts,
    markdown,
    svg,
    tables: textTable,
  });
}
