// The labs' charts, drawn by hand as SVG (no packages): a document (svgDocument) of side-by-side panels. A
// panel is a value axis from 0 to `max`, drawn `height` pixels up from its base line and `width` pixels
// across from `x0`, with its title, grid lines, base line and legend; bars() fills it with one slot per item
// of the run (a scenario, a configuration): its label below, and a row of columns, each a bar of one or more
// stacked segments. Elements are appended, in drawing order, to the list the panel was given.

export const GREY = '#888';

// The colours the charts use.
export const COLORS = {
  blue: '#2f6fb0',
  orange: '#e07b39',
  purple: '#8a5cc2',
  navy: '#1f4e79',
  sky: '#7fb3e0',
  sand: '#f2c49b',
};

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

// A round top for an axis whose largest value is `largest`: {max, step}, about `ticks` grid lines.
export function niceAxis(largest, ticks) {
  const step = niceStep(largest, ticks);
  return { max: Math.ceil(largest / step) * step, step };
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

const kColumnGap = 4;   // between the columns of one slot
const kLineHeight = 14; // between the lines of a label, and of the notes above a column

export class Panel {
  constructor(out, { x0, width, top, height, max = 1 }) {
    Object.assign(this, { out, x0, width, top, height, max });
    this.base = top + height;
  }

  // The vertical position of value v.
  y(v) {
    return this.base - (this.height * v) / this.max;
  }

  // The panel's title in bold, `dx` left of the axis and `dy` above the top.
  title(text, { dx, dy }) {
    this.out.push(`<text x="${this.x0 - dx}" y="${this.top - dy}" font-weight="bold">${escXml(text)}</text>`);
  }

  // Grid lines from 0 up to max, every `step`, each labelled label(v) left of the axis.
  grid(step, label) {
    for (let v = 0; v <= this.max + 1e-9; v += step) {
      const y = this.y(v);
      this.out.push(`<line x1="${this.x0}" y1="${y}" x2="${this.x0 + this.width}" y2="${y}" stroke="#ddd"/>`);
      this.out.push(`<text x="${this.x0 - 8}" y="${y + 4}" text-anchor="end" fill="${GREY}">${escXml(label(v))}</text>`);
    }
  }

  // The axis at 0.
  baseline() {
    this.out.push(`<line x1="${this.x0}" y1="${this.base}" x2="${this.x0 + this.width}" y2="${this.base}" stroke="#333"/>`);
  }

  // A row of legend entries whose text stands on y: {dx (from x0), text, color, swatch}, the swatch 'box' (a
  // square), 'line' (a short thick line) or none (the text itself in the colour).
  legend(y, entries) {
    for (const { dx, text, color, swatch } of entries) {
      const x = this.x0 + dx;
      if (!swatch) {
        this.out.push(`<text x="${x}" y="${y}" fill="${color}">${escXml(text)}</text>`);
        continue;
      }
      const h = swatch === 'line' ? 3 : 12;
      this.out.push(`<rect x="${x}" y="${y - 10}" width="12" height="${h}" fill="${color}"/>` +
        `<text x="${x + 18}" y="${y}">${escXml(text)}</text>`);
    }
  }

  // One slot per item, evenly across the panel. For each item:
  //   label(item)    the lines written below the slot
  //   columns(item)  null: the item has no figures ("error" in the slot); else its columns, side by side:
  //                  each null (nothing drawn, its place kept), {missing: text} (the text instead of a bar)
  //                  or {segments: [{value, color, tip}], text}: a bar of the segments stacked from 0 (tip:
  //                  a tooltip), with `text` (optional) written on top of it in `textSize`
  //   notes(item)    optional: lines ({text, fill}) written above the slot's tallest column, the first highest
  // A column is Math.min(barWidth.max, barWidth.share × the slot's width) wide.
  bars(items, { label, columns, notes, barWidth, textSize = 11 }) {
    const gw = this.width / Math.max(1, items.length);
    const bw = Math.min(barWidth.max, gw * barWidth.share);
    items.forEach((item, i) => {
      const cx = this.x0 + gw * i + gw / 2;
      label(item).forEach((line, k) => {
        this.out.push(`<text x="${cx}" y="${this.base + 18 + kLineHeight * k}" text-anchor="middle">${escXml(line)}</text>`);
      });
      const cols = columns(item);
      if (cols === null) {
        this.out.push(`<text x="${cx}" y="${this.base - 8}" text-anchor="middle" fill="${GREY}">error</text>`);
        return;
      }
      const n = cols.length;
      let tallest = 0;
      cols.forEach((col, j) => {
        if (col === null) return;
        const x = cx - (bw * n) / 2 - (kColumnGap / 2) * (n - 1) + j * (bw + kColumnGap);
        if (col.missing !== undefined) {
          this.out.push(`<text x="${x + bw / 2}" y="${this.base - 6}" text-anchor="middle" fill="${GREY}" font-size="10">${escXml(col.missing)}</text>`);
          return;
        }
        let sum = 0;
        for (const { value, color, tip } of col.segments) {
          const y = this.y(sum + value);
          const rect = `<rect x="${x}" y="${y}" width="${bw}" height="${this.y(sum) - y}" fill="${color}"`;
          this.out.push(tip === undefined ? `${rect}/>` : `${rect}><title>${escXml(tip)}</title></rect>`);
          sum += value;
        }
        tallest = Math.max(tallest, sum);
        if (col.text !== undefined) {
          this.out.push(`<text x="${x + bw / 2}" y="${this.y(sum) - 4}" text-anchor="middle" font-size="${textSize}">${escXml(col.text)}</text>`);
        }
      });
      const lines = notes ? notes(item) : [];
      const yTop = this.y(tallest);
      lines.forEach(({ text, fill }, k) => {
        const attrs = fill ? ` fill="${fill}"` : '';
        this.out.push(`<text x="${cx}" y="${yTop - (6 + kLineHeight * (lines.length - 1 - k))}" text-anchor="middle" font-size="11"${attrs}>${escXml(text)}</text>`);
      });
    });
  }
}
