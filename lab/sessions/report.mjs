// Turns the scenarios' results into the table (text and Markdown) and a hand-drawn SVG chart.

import { COLORS, GREY, Panel, niceStep, svgDocument } from '../common/chart.mjs';
import { DASH, fmtInt, markdownHead, mdTable, plainTable, verdictSection } from '../common/reporting.mjs';

export const COLUMNS = [
  'scenario',
  'carts intact after browsing',
  'carts intact after kill',
  'failed requests (of total)',
  'median request bytes as the cart grows',
  'tampered cookies rejected',
];

export function fmtBytes(n) {
  if (n === null || n === undefined) return '?';
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

function share(part, whole) {
  if (whole === 0) return `${part}/0`;
  const pct = part === whole ? 100 : Math.floor((100 * part) / whole);
  return `${part}/${whole} (${pct}%)`;
}

function lineWord(n) {
  return n === 1 ? '1 line' : `${n} lines`;
}

function bytesCell(r) {
  const at = (k) => r.bytes?.find((b) => b.lines === k)?.head;
  const parts = [];
  if (at(1) !== undefined) parts.push(`${lineWord(1)} ${fmtBytes(at(1))}`);
  if (r.lines > 1 && at(r.lines) !== undefined) parts.push(`${lineWord(r.lines)} ${fmtBytes(at(r.lines))}`);
  const g = r.growth;
  if (g && g.cap !== null) {
    const inner = g.points.filter((p) => p.label === 'checkpoint' && p.lines > r.lines && p.lines < g.cap);
    const big = inner.find((p) => p.lines === 50) ?? inner[inner.length - 1];
    if (big) parts.push(`${lineWord(big.lines)} ${fmtBytes(big.head)}`);
    const full = g.points.find((p) => p.label === 'after the 413');
    return `${parts.join(' → ')}, cap at ${g.cap} lines (${fmtBytes(full?.head)})`;
  }
  if (g && g.cap === null) return `${parts.join(' → ')}, no 413 seen`;
  return parts.length > 0 ? parts.join(' → ') : DASH;
}

export function rowOf(r) {
  if (r.error && r.intactAfterBrowsing === undefined) {
    return [r.name, 'error', DASH, `${r.traffic.failed} of ${fmtInt(r.traffic.total)}`, DASH, DASH];
  }
  const t = r.traffic;
  let failed = `${t.failed} of ${fmtInt(t.total)}`;
  if (r.kill) failed += `; kill window: ${t.failedInKillWindow} of ${fmtInt(t.inKillWindow)}`;
  return [
    r.name,
    share(r.intactAfterBrowsing, r.shoppers),
    r.kill ? share(r.kill.intact, r.shoppers) : DASH,
    failed,
    bytesCell(r),
    r.tamper ? share(r.tamper.rejected, r.tamper.sent) : DASH,
  ];
}

export function textTable(results) {
  return plainTable(COLUMNS, results.map(rowOf));
}

export function markdown({ results, options, machine, started, seconds, verdicts }) {
  const out = markdownHead({
    title: 'Session strategies, measured on a local region', started, seconds, machine,
    options: `${options.shoppers} shoppers × ${options.lines} lines, ${options.looks} looks per check, ` +
      `scenarios ${options.scenarios.join(', ')}${options.quick ? ', --quick' : ''}${options.assert ? ', --assert' : ''}; ` +
      `region: ${options.instances} instances over ${options.azs} zones, ${options.products} products; seed ${options.seed}`,
  });
  out.push('');
  out.push(mdTable(COLUMNS, results.map(rowOf)));
  out.push('');
  out.push('![carts intact per scenario, and cookie request bytes against cart lines](sessions.svg)');
  out.push('');
  out.push('A cart is *intact* when every look at it (GET /api/v1/cart) shows exactly the lines the store ' +
    'acknowledged to that shopper. Request bytes: request line and headers of GET /api/v1/cart (the cart badge ' +
    'after each add, and the looks) while the cart had that many lines, median over the shoppers; for the cookie ' +
    'row the larger sizes come from one shopper growing a cart until 413. A failed request is a network error, ' +
    'a timeout or a 5xx; expected 4xx answers (413, 409) are not failures.');
  for (const r of results) {
    out.push('');
    out.push(`## ${r.name}: ${r.title}`);
    out.push('');
    if (r.error) out.push(`**The scenario stopped with an error:** ${r.error}`, '');
    if (r.intactAfterBrowsing !== undefined) {
      out.push(`- browsing: ${r.acknowledgedLines} cart lines acknowledged in ${(r.browsingMs / 1000).toFixed(1)} s; ` +
        `${share(r.intactAfterBrowsing, r.shoppers)} carts intact`);
      out.push(`- last answer per shopper came from: ${Object.entries(r.servedBy ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || DASH}`);
      if (Object.keys(r.refusedAdds ?? {}).length > 0) {
        out.push(`- adds the store refused (expected answers): ${Object.entries(r.refusedAdds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      const broken = r.brokenAfterBrowsing ?? [];
      if (broken.length > 0) {
        const b = broken[0];
        out.push(`- a broken cart, e.g. ${b.shopper} (${b.acknowledged} lines acknowledged): looks saw ` +
          b.looks.map((l) => `${l.lines === null ? `status ${l.status}` : lineWord(l.lines)} from ${l.instance ?? '?'}`).join('; '));
      }
    }
    if (r.kill) {
      const k = r.kill;
      out.push(`- kill: ${k.victim} (the last instance of ${k.pinnedToVictim} shoppers) SIGKILLed while shoppers browsed; ` +
        `${k.replacement ?? 'a replacement'} in service ${(k.replacedMs / 1000).toFixed(1)} s later`);
      out.push(`- after the kill: ${share(k.intact, r.shoppers)} carts intact; lost ${k.lostPinned} of the ` +
        `${k.pinnedToVictim} shoppers served by ${k.victim}, ${k.lostOthers} of the others`);
      out.push(`- requests overlapping the ${r.traffic.killWindowMs} ms after the kill: ${r.traffic.inKillWindow}, ` +
        `of which failed: ${r.traffic.failedInKillWindow}`);
    }
    if (r.traffic) {
      out.push(`- requests: ${fmtInt(r.traffic.total)}; answers: ${Object.entries(r.traffic.byStatus).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
      for (const f of r.traffic.failures) {
        out.push(`  - failed: ${f.at} ${f.request} → ${f.answer} (instance ${f.instance ?? '?'}${f.inKillWindow ? ', in the kill window' : ''})`);
      }
    }
    if (r.growth) {
      const g = r.growth;
      out.push('');
      out.push(g.cap === null
        ? `No 413 was seen while growing a cart (${g.series.length} adds).`
        : `One shopper grew a cart until the store answered 413 \`cart_too_large_for_cookie\` when adding line ` +
          `${g.cap + 1}: the cap is **${g.cap} lines**. After the 413 the cart was ${g.cartUnchanged ? 'unchanged' : '**changed**'}, ` +
          `the cookie ${g.cookieUnchanged ? 'unchanged' : '**changed**'} (${g.setCookieOn413 ? 'the 413 set a cookie' : 'the 413 set no cookie'}), ` +
          `and \`mc_state\` name+value is ${g.cookieBytes} bytes (limit 4096).`);
      out.push('');
      out.push(mdTable(['cart lines', 'Cookie header (bytes)', 'request line + headers (bytes)'],
        g.points.map((p) => [p.label === 'after the 413' ? `${p.lines} (cap)` : p.lines, p.cookie, p.head])));
      if (g.unexpected.length > 0) out.push('', `Unexpected answers while growing: ${g.unexpected.join('; ')}`);
    }
    if (r.tamper) {
      const t = r.tamper;
      out.push('');
      out.push(`Tampered cookies: **${share(t.rejected, t.sent)} rejected** (answered with an empty cart), ` +
        `${t.serverErrors} answered 5xx. \`myclothes_session_rejected_total\` over the ${t.instancesRead} instances grew by ` +
        `${t.metricGrowth} (${Object.entries(t.metricByReason).map(([k, v]) => `${k} +${v}`).join(', ')}).`);
      out.push('');
      out.push(mdTable(['tampering', 'sent', 'rejected', 'answers'],
        Object.entries(t.byKind).map(([k, v]) => [k, v.sent, v.rejected,
          Object.entries(v.statuses).map(([s, n]) => `${s} ×${n}`).join(', ')])));
      out.push('', 'An expired cookie cannot be made from outside without the key, so that case is not sent here.');
    }
  }
  out.push(...verdictSection(verdicts), '');
  return out.join('\n');
}

// Left: % of carts intact after browsing and after the kill, per scenario. Right: cookie-mode request
// bytes against cart lines, with the 4096-byte cap and, for scale, what a session id costs in redis mode.
export function svg({ results, options, started }) {
  const { blue, orange, purple } = COLORS;
  const s = [];
  const frame = { top: 96, height: 270 };

  // Bars.
  const bars = new Panel(s, { ...frame, x0: 60, width: 400, max: 100 });
  bars.title('carts intact (%)', { dx: 40, dy: 22 });
  bars.grid(25, (p) => `${p}`);
  const column = (v, r, color) => {
    if (v === null) return { missing: 'no kill' };
    const pct = (100 * v) / r.shoppers;
    return { segments: [{ value: pct, color }], text: Math.round(pct) };
  };
  bars.bars(results, {
    label: (r) => [r.name],
    columns: (r) => (r.intactAfterBrowsing === undefined ? null
      : [column(r.intactAfterBrowsing, r, blue), column(r.kill ? r.kill.intact : null, r, orange)]),
    barWidth: { max: 42, share: 0.32 },
  });
  bars.baseline();
  bars.legend(bars.base + 48, [
    { dx: 0, text: 'after browsing', color: blue, swatch: 'box' },
    { dx: 130, text: 'after one instance was killed', color: orange, swatch: 'box' },
  ]);

  // Cookie bytes.
  const cookie = results.find((r) => r.growth && r.growth.series.length > 0);
  const g = cookie?.growth;
  const maxBytes = g ? Math.max(4096, ...g.series.map((p) => p.head)) : 4096;
  const yStep = 1024;
  const bytes = new Panel(s, { ...frame, x0: 570, width: 370, max: Math.ceil((maxBytes + 200) / yStep) * yStep });
  const { x0: cx0, width: cw, top, height: plotH, base } = bytes;
  bytes.title('cookie mode: request bytes vs cart lines', { dx: 50, dy: 22 });
  if (!cookie) {
    s.push(`<text x="${cx0 + cw / 2}" y="${top + plotH / 2}" text-anchor="middle" fill="${GREY}">the cookie scenario did not run</text>`);
  } else {
    const series = g.series.filter((p) => p.lines > 0 || p.cookie > 0);
    const maxLines = Math.max(...g.series.map((p) => p.lines), g.cap ?? 0, 1);
    const xStep = niceStep(maxLines, 5);
    const xMax = Math.ceil((maxLines + 1) / xStep) * xStep;
    const X = (v) => cx0 + (cw * v) / xMax;
    const Y = (v) => bytes.y(v);
    bytes.grid(yStep, (v) => (v === 0 ? '0' : `${v / 1024} KB`));
    for (let v = 0; v <= xMax; v += xStep) {
      s.push(`<text x="${X(v)}" y="${base + 18}" text-anchor="middle" fill="${GREY}">${v}</text>`);
    }
    s.push(`<text x="${cx0 + cw / 2}" y="${base + 34}" text-anchor="middle" fill="${GREY}">cart lines</text>`);
    bytes.baseline();
    s.push(`<line x1="${cx0}" y1="${Y(4096)}" x2="${cx0 + cw}" y2="${Y(4096)}" stroke="#c33" stroke-dasharray="6 4"/>`);
    s.push(`<text x="${cx0 + 4}" y="${Y(4096) - 5}" fill="#c33">a cookie holds at most 4096 bytes</text>`);
    const poly = (key, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
      series.map((p) => `${X(p.lines).toFixed(1)},${Y(p[key]).toFixed(1)}`).join(' ')}"/>`;
    s.push(poly('head', purple));
    s.push(poly('cookie', blue));
    if (g.cap !== null) {
      s.push(`<line x1="${X(g.cap)}" y1="${top}" x2="${X(g.cap)}" y2="${base}" stroke="${GREY}" stroke-dasharray="2 3"/>`);
      s.push(`<text x="${X(g.cap) - 4}" y="${top + 12}" text-anchor="end" fill="${GREY}">413 at line ${g.cap + 1}</text>`);
    }
    const redis = results.find((r) => r.name === 'redis' && r.bytes?.length);
    if (redis) {
      const b = redis.bytes[redis.bytes.length - 1].head;
      s.push(`<line x1="${cx0}" y1="${Y(b)}" x2="${cx0 + cw}" y2="${Y(b)}" stroke="${orange}" stroke-width="2" stroke-dasharray="4 3"/>`);
    }
    bytes.legend(base + 48, [
      { dx: 0, text: 'Cookie header', color: blue, swatch: 'line' },
      { dx: 112, text: 'request line + headers', color: purple, swatch: 'line' },
      ...(redis ? [{ dx: 275, text: 'redis: only an id', color: orange, swatch: 'line' }] : []),
    ]);
  }
  return svgDocument({
    width: 980, height: 430, title: 'MyClothes: what happens to carts under each session strategy',
    subtitle: `${started.toISOString().slice(0, 10)}, ${options.shoppers} shoppers × ${options.lines} lines, ` +
      `${options.instances} instances over ${options.azs} zones`,
  }, s);
}
