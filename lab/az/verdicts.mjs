// The properties `lab/az/run --assert` checks: what the architecture promises when one part fails. What can be
// counted is counted and compared with zero (lines, orders, duplicates, checks that did not finish); the
// recovery targets are durations, in whole seconds as the report measures them (lab/README.md): browsing
// within 5 s of any fault, writes within 15 s of a PostgreSQL failover and 5 s of a Redis failover, the whole
// store within 30 s of losing zone a.

import { kBrowseWithin } from './faults.mjs';

// Whether `back` (secondsBack's answer) is within `limit` seconds; why not, as text.
function within(back, limit, what) {
  if (back.requests === 0) return { ok: false, why: `no ${what} request was sent in the window` };
  if (back.seconds === null) return { ok: false, why: `${what} did not work again within the window` };
  return { ok: back.seconds <= limit, why: `${what} worked again after ${back.seconds} s` };
}

export function verdicts(results, faults) {
  const out = [];
  const check = (scope, what, ok, why) => out.push({ fault: scope, what: `${scope}: ${what}`, ok: Boolean(ok), why });
  for (const r of results) {
    if (r.error) check('run', 'every fault is caused and the run ends', false, r.error);
    for (const f of r.faults) {
      const def = faults.find((x) => x.name === f.name);
      if (f.error) check(f.name, 'the fault and its window run', false, f.error);
      check(f.name, 'the store served before the fault (no request failed in the lead-in)', f.failedBeforeFault === 0,
        `${f.failedBeforeFault} request(s) failed before the fault was caused`);
      check(f.name, 'the region is whole again afterwards', !f.notWhole, f.notWhole);
      const c = f.checks;
      const notes = (pattern) => c.notes.filter((n) => pattern.test(n)).slice(0, 3).join('; ');
      check(f.name, 'every shopper checked its cart and its orders', c.errors.length === 0,
        `${c.errors.length} of ${c.shoppers} checks failed, e.g. ${c.errors.slice(0, 2).join('; ')}`);
      check(f.name, 'no acknowledged cart line is lost', c.lostLines === 0,
        `${c.lostLines} acknowledged line(s) missing: ${notes(/cart line/)}`);
      check(f.name, 'no acknowledged order is lost', c.lostOrders === 0,
        `${c.lostOrders} acknowledged order(s) missing: ${notes(/is missing/)}`);
      check(f.name, 'no duplicate order', c.duplicates === 0,
        `${c.duplicates} duplicate(s): ${notes(/Idempotency-Key|repeats/)}`);
      const browse = within(f.back.browse, kBrowseWithin, 'browsing');
      check(f.name, `browsing serves again within ${kBrowseWithin} s`, browse.ok, browse.why);
      if (def?.writesWithin) {
        const parts = [within(f.back.cart, def.writesWithin, 'cart adds'), within(f.back.checkout, def.writesWithin, 'checkout')];
        check(f.name, `writes (cart adds and checkouts) work again within ${def.writesWithin} s`,
          parts.every((p) => p.ok), parts.map((p) => p.why).join('; '));
      }
      if (def?.storeWithin) {
        const parts = [within(f.back.browse, def.storeWithin, 'browsing'), within(f.back.cart, def.storeWithin, 'cart adds'),
          within(f.back.checkout, def.storeWithin, 'checkout')];
        if (f.back.register.requests > 0) parts.push(within(f.back.register, def.storeWithin, 'registration'));
        check(f.name, `the whole store serves again within ${def.storeWithin} s`, parts.every((p) => p.ok),
          parts.map((p) => p.why).join('; '));
      }
    }
  }
  return out;
}
