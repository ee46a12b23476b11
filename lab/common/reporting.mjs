// What every lab's report is made of: number formats, tables (plain text and Markdown), the head and the
// --assert section of the Markdown. The chart is chart.mjs.

export const DASH = '—';

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
