// SVG charts drawn here (no library): horizontal bars and lines over days.
// Labels are text nodes (dom.js s), never markup.
import { s, h } from './dom.js';
import { fmtNumber } from './i18n.js';

export const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

// bars draws one horizontal bar a item: [{label, value, color?}], with the
// value written beside it (fmt formats it).
export function bars(items, { testid, fmt = fmtNumber, title } = {}) {
  const rowH = 26;
  const labelW = 150;
  const width = 520;
  const barW = width - labelW - 70;
  const height = Math.max(items.length * rowH, rowH);
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'data-testid': testid, 'aria-label': title || '' });
  items.forEach((it, i) => {
    const y = i * rowH;
    const w = it.value > 0 ? Math.max(2, (it.value / max) * barW) : 0;
    svg.appendChild(s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, clip(it.label, 22)));
    svg.appendChild(s('rect', { x: labelW, y: y + 5, width: w, height: rowH - 10, rx: 3, fill: it.color || PALETTE[i % PALETTE.length],
      class: 'chart-bar', 'data-value': it.value }));
    svg.appendChild(s('text', { x: labelW + w + 6, y: y + rowH / 2 + 4, class: 'chart-value' }, fmt(it.value)));
  });
  return svg;
}

// lines draws series over the days: days ['YYYY-MM-DD'…], series
// [{name, values: [n per day]}], with a legend.
export function lines(days, series, { testid, fmtDay = (d) => d, title } = {}) {
  const width = 720;
  const height = 220;
  const left = 40;
  const bottom = 24;
  const plotW = width - left - 10;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...series.flatMap((sr) => sr.values));
  const x = (i) => left + (days.length <= 1 ? plotW / 2 : (i / (days.length - 1)) * plotW);
  const y = (v) => 10 + plotH - (v / max) * plotH;
  const svg = s('svg', { class: 'chart chart-lines', viewBox: `0 0 ${width} ${height}`, role: 'img', 'data-testid': testid, 'aria-label': title || '' });
  for (const v of [0, max / 2, max]) {
    svg.appendChild(s('line', { x1: left, x2: width - 10, y1: y(v), y2: y(v), class: 'chart-grid' }));
    svg.appendChild(s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-axis' }, fmtNumber(Math.round(v))));
  }
  if (days.length) {
    svg.appendChild(s('text', { x: x(0), y: height - 6, class: 'chart-axis' }, fmtDay(days[0])));
    if (days.length > 1) svg.appendChild(s('text', { x: x(days.length - 1), y: height - 6, 'text-anchor': 'end', class: 'chart-axis' }, fmtDay(days[days.length - 1])));
  }
  series.forEach((sr, k) => {
    const color = PALETTE[k % PALETTE.length];
    const pts = sr.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.appendChild(s('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2, class: 'chart-series', 'data-name': sr.name }));
    sr.values.forEach((v, i) => {
      if (v > 0) svg.appendChild(s('circle', { cx: x(i), cy: y(v), r: 2.5, fill: color }, s('title', {}, `${sr.name}: ${fmtNumber(v)} · ${fmtDay(days[i])}`)));
    });
  });
  const legend = h('div', { class: 'chart-legend' }, series.map((sr, k) =>
    h('span', { class: 'chart-key' }, h('span', { class: 'chart-swatch', dataset: { color: String(k % PALETTE.length) } }), sr.name)));
  return h('div', { class: 'chart-box' }, svg, legend);
}

function clip(str, n) {
  const v = String(str);
  return v.length > n ? v.slice(0, n - 1) + '…' : v;
}
