// What every lab's report is made of: number formats, tables (plain text and Markdown), the head and the
// --assert section of the Markdown, and the frame of the hand-drawn SVG chart.

export const DASH = '—';
export const GREY = '#888';

export const fmtInt = (n) => (n === null || n === undefined ? '?' : n.toLocaleString('en-US'));

// A table for the terminal: columns padded to their widest cell (counted in code points).
export function plainTable(header, rows) {
  const all = [header, ...rows];
  const width = header.map((_, c) => Math.max(...all.map((row) => [...row[c]].length)));
  const line = (row) => row.map((cell, c) => cell + ' '.repeat(width[c] - [...cell].length)).join(' | ');
  return [line(all[0]), width.map((w) => '-'.repeat(w)).join('-|-'), ...all.slice(1).map(line)].join('\n');
}

export function mdTable(header, rows) {
  const esc = (s) => String(s).replaceAll('|', '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

// The first lines of a report: its title, then when, on what and how the run was made (`options` is the
// lab's own description of its options).
export function markdownHead({ title, started, seconds, machine, options }) {
  return [
    `# ${title}`,
    '',
    `- date: ${started.toISOString()} (the run took ${seconds.toFixed(0)} s)`,
    `- machine: ${machine.nproc} cores (nproc), ${machine.cpu}; \`${machine.uname}\`; node ${machine.node}`,
    `- options: ${options}`,
    `- program: \`${machine.program}\``,
  ];
}

// The --assert section (nothing without --assert).
export function verdictSection(verdicts) {
  if (!verdicts) return [];
  return ['', '## Properties (--assert)', '',
    ...verdicts.map((v) => `- ${v.ok ? 'holds' : '**FAILED**'}: ${v.what}${v.ok ? '' : ` — ${v.why}`}`)];
}

export function escXml(s) {
  return String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

// A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `range` into about `ticks` parts.
export function niceStep(range, ticks) {
  const raw = Math.max(range, 1) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

// An SVG document on white with a title and a grey subtitle above `body`, its other elements.
export function svgDocument({ width, height, title, subtitle }, body) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="20" y="26" font-size="16" font-weight="bold">${escXml(title)}</text>`,
    `<text x="20" y="46" fill="${GREY}">${escXml(subtitle)}</text>`,
    ...body,
    '</svg>',
  ].join('\n') + '\n';
}
