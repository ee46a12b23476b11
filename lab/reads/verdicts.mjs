// The properties `lab/reads/run --assert` checks: what the architecture promises about read replicas and the
// cache. Every property compares counts (never a duration), so a slow machine does not change the verdict.

const kMinHitRatio = 0.5;
const kStorySearchNth = 10;  // from the tenth search for "항공 점퍼" on, no database is reached (cache on)

const pct = (x) => (x === null ? 'no lookups' : `${(100 * x).toFixed(1)}%`);

// The no-cache configuration to compare a cache configuration with: the same number of replicas, else the
// closest number.
export function matchingNoCache(r, results) {
  const candidates = results.filter((x) => !x.config.cache && x.server);
  if (candidates.length === 0) return null;
  return candidates.reduce((best, x) =>
    (Math.abs(x.config.replicas - r.config.replicas) < Math.abs(best.config.replicas - r.config.replicas) ? x : best));
}

export function verdicts(results, { sameWorkload }) {
  const out = [];
  const check = (label, what, ok, why) => out.push({ configuration: label, what: `${label}: ${what}`, ok: Boolean(ok), why });
  for (const r of results) {
    const c = r.config;
    if (r.error) {
      check(c.label, 'the configuration runs to the end', false, r.error);
      continue;
    }
    check(c.label, 'the whole workload was sent', r.run.unsent === 0,
      `${r.run.unsent} requests were not sent before --max-seconds`);
    const cv = r.client;
    check(c.label, 'no request fails', cv.failed === 0,
      `${cv.failed} of ${cv.requests} failed, e.g. ${cv.failures.slice(0, 2).map((f) => `${f.request} → ${f.answer}`).join('; ')}`);
    const s = r.server;
    check(c.label, 'every instance answered /metrics before and after, and none restarted',
      s.missing.length === 0 && s.restarted.length === 0,
      `missing: ${s.missing.join(', ') || 'none'}; restarted: ${s.restarted.join(', ') || 'none'}`);
    if (c.replicas === 0) {
      check(c.label, 'every query ran on the primary', s.replica === 0 && s.primary > 0,
        `${s.primary} on the primary, ${s.replica} on replicas`);
      check(c.label, 'no answer says X-DB: replica', (cv.xdb.replica ?? 0) === 0,
        `${cv.xdb.replica} answers say X-DB: replica`);
    } else if (!c.cache) {
      check(c.label, 'catalog reads go to the replicas (queries on replicas > on the primary)', s.replica > s.primary,
        `${s.replica} on replicas, ${s.primary} on the primary`);
    }
    if (!c.cache) {
      check(c.label, 'the cache is off: no cache hit (server) and no answer says X-Cache: hit',
        (s.cache.hit ?? 0) === 0 && (cv.xcache.hit ?? 0) === 0,
        `${s.cache.hit ?? 0} hits on the server, ${cv.xcache.hit ?? 0} answers say X-Cache: hit`);
    }
    if (c.cache) {
      check(c.label, `the cache hit ratio is above ${kMinHitRatio * 100}%`, s.hitRatio !== null && s.hitRatio > kMinHitRatio,
        `it is ${pct(s.hitRatio)} (${s.cache.hit ?? 0} hits of ${s.lookups} lookups)`);
      const base = matchingNoCache(r, results);
      if (base) {
        const dbHere = s.primary + s.replica;
        const dbThere = base.server.primary + base.server.replica;
        check(c.label, `fewer database queries than "${base.config.label}"`, dbHere < dbThere,
          `${dbHere} queries here, ${dbThere} there`);
      }
      const st = r.storySearch;
      check(c.label, `from the ${kStorySearchNth}th search for "항공 점퍼" on, none reaches a database`,
        st.judged >= kStorySearchNth && st.lateReachedDb.length === 0,
        st.judged < kStorySearchNth
          ? `only ${st.judged} such searches were sent (more shoppers or requests, please)`
          : `search no. ${st.lateReachedDb.map((x) => `${x.nth} (X-DB ${x.xdb})`).join(', ')} reached a database`);
    }
  }
  if (results.length > 1) {
    check('all', 'every configuration ran the same workload (catalog fingerprint and plan)', sameWorkload,
      'the catalog or the plan differed between configurations');
  }
  return out;
}
