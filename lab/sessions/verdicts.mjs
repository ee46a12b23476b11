// The properties --assert checks: what the architecture promises about each session strategy. Every
// property is a count compared with zero or with all, never a timing, so the verdict of a run does not
// depend on how fast the machine is. The one allowance is the kill window: requests that overlap the
// second after a SIGKILL may fail (only redis mode bounds them, below 1 % of its requests).

const kKillWindowFailureShare = 0.01;

export function verdicts(results) {
  const out = [];
  const check = (scenario, what, ok, why) => out.push({ scenario, what: `${scenario}: ${what}`, ok: Boolean(ok), why });
  for (const r of results) {
    const n = r.shoppers;
    if (r.error) check(r.name, 'the scenario runs to the end', false, r.error);
    if (r.intactAfterBrowsing === undefined) continue;
    const t = r.traffic;
    switch (r.name) {
      case 'sticky':
        check(r.name, 'without LB stickiness at least one cart breaks', r.intactAfterBrowsing < n,
          `all ${n} carts stayed intact`);
        break;
      case 'sticky-lb':
        check(r.name, 'with LB stickiness every cart is intact before the kill', r.intactAfterBrowsing === n,
          `${n - r.intactAfterBrowsing} of ${n} carts broke`);
        check(r.name, 'the kill loses at least one cart', r.kill && r.kill.intact < n,
          r.kill ? `all ${n} carts survived the kill of ${r.kill.victim}` : 'no kill happened');
        break;
      case 'cookie': {
        check(r.name, 'every cart is intact', r.intactAfterBrowsing === n, `${n - r.intactAfterBrowsing} of ${n} carts broke`);
        const tp = r.tamper;
        check(r.name, 'every tampered cookie is rejected (an empty cart)', tp && tp.sent > 0 && tp.rejected === tp.sent,
          tp ? `${tp.sent - tp.rejected} of ${tp.sent} were not answered with an empty cart` : 'no tampering happened');
        check(r.name, 'no tampered cookie gets a 5xx', tp && tp.serverErrors === 0,
          tp ? `${tp.serverErrors} answered 5xx or failed` : 'no tampering happened');
        const g = r.growth;
        check(r.name, 'a growing cart reaches 413 cart_too_large_for_cookie', g && g.cap !== null,
          g ? `no 413 after ${g.series.length} adds` : 'the cart was not grown');
        if (g && g.cap !== null) {
          check(r.name, 'after the 413 the cart is unchanged', g.cartUnchanged, 'the cart differs from the acknowledged lines');
          check(r.name, 'the cookie (name+value) is at most 4096 bytes', g.cookieBytes <= 4096, `it is ${g.cookieBytes} bytes`);
        }
        break;
      }
      case 'redis':
        check(r.name, 'every cart is intact before the kill', r.intactAfterBrowsing === n,
          `${n - r.intactAfterBrowsing} of ${n} carts broke`);
        check(r.name, 'every cart is intact after the kill', r.kill && r.kill.intact === n,
          r.kill ? `${n - r.kill.intact} of ${n} carts were lost` : 'no kill happened');
        check(r.name, `requests failed in the kill window are below ${kKillWindowFailureShare * 100}% of all`,
          t.failedInKillWindow < kKillWindowFailureShare * t.total,
          `${t.failedInKillWindow} of ${t.total} requests failed in the kill window`);
        break;
      default:
        break;
    }
    check(r.name, 'no request fails outside the kill window', t.failed === 0,
      `${t.failed} of ${t.total} failed, e.g. ${t.failures.filter((f) => !f.inKillWindow).slice(0, 2)
        .map((f) => `${f.request} → ${f.answer}`).join('; ')}`);
  }
  return out;
}
