// The statistics dashboard (SPEC §10): figures of a period of days in the
// workspace's time zone, charts drawn in SVG (charts.js), the operators'
// table sortable by any column. What the caller sees follows stats.view
// (own, team, all): the server sums only the rows within it.
import { api, q } from './api.js';
import { h, replace } from './dom.js';
import { t, fmtNumber, getLocale } from './i18n.js';
import { bars, lines, PALETTE } from './charts.js';

const MAX_CHANNELS = 6;

// iso is a local date as YYYY-MM-DD.
function iso(d) {
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

// presets are the period picker's shortcuts: [from, to] as dates.
export function presetRange(name, now = new Date()) {
  const day = (y, m, d) => new Date(y, m, d);
  const y = now.getFullYear();
  const m = now.getMonth();
  const d = now.getDate();
  switch (name) {
    case 'today': return [iso(now), iso(now)];
    case '7d': return [iso(day(y, m, d - 6)), iso(now)];
    case 'thisMonth': return [iso(day(y, m, 1)), iso(now)];
    case 'lastMonth': return [iso(day(y, m - 1, 1)), iso(day(y, m, 0))];
    default: return [iso(day(y, m, d - 29)), iso(now)];
  }
}

const PRESETS = ['today', '7d', '30d', 'thisMonth', 'lastMonth'];

// fmtSeconds is a duration for people: seconds, minutes or hours.
export function fmtSeconds(v) {
  if (v === null || v === undefined) return '—';
  if (v > 0 && v < 1) return '< 1 ' + t('unit.s');
  if (v < 60) return fmtNumber(Math.round(v)) + ' ' + t('unit.s');
  if (v < 3600) return fmtNumber(Math.round(v / 6) / 10) + ' ' + t('unit.min');
  return fmtNumber(Math.round(v / 360) / 10) + ' ' + t('unit.h');
}

const pct = (v) => (v === null || v === undefined ? '—' : new Intl.NumberFormat(getLocale() === 'ru' ? 'ru-RU' : 'en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(v));
const avg = (v) => (v === null || v === undefined ? '—' : fmtNumber(Math.round(v * 100) / 100));
const fmtDay = (d) => new Intl.DateTimeFormat(getLocale() === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short' }).format(new Date(d + 'T12:00:00'));

// The response-time distribution's ranges, in seconds.
const RANGES = [[0, 30], [30, 60], [60, 300], [300, 900], [900, 3600], [3600, 14400], [14400, Infinity]];

function rangeLabel([a, b]) {
  if (a === 0) return '< ' + fmtSeconds(b);
  return b === Infinity ? '≥ ' + fmtSeconds(a) : fmtSeconds(a) + '–' + fmtSeconds(b);
}

// distribution groups a histogram's buckets into RANGES by their lower bound.
export function distribution(buckets) {
  const n = RANGES.map(() => 0);
  for (const b of buckets || []) {
    const i = RANGES.findIndex(([lo, hi]) => b.from >= lo && b.from < hi);
    n[i < 0 ? RANGES.length - 1 : i] += b.count;
  }
  return RANGES.map((r, i) => ({ label: rangeLabel(r), value: n[i] }));
}

export function mount(root, ctx) {
  let alive = true;
  let seq = 0;
  let [from, to] = presetRange('30d');
  let sortKey = 'received';
  let sortDir = -1;
  let names = { lines: new Map(), channels: new Map(), users: new Map() };
  const fromIn = h('input', { class: 'input input-sm', type: 'date', value: from, testid: 'stats-from', 'aria-label': t('stats.from') });
  const toIn = h('input', { class: 'input input-sm', type: 'date', value: to, testid: 'stats-to', 'aria-label': t('stats.to') });
  const lineSel = h('select', { class: 'input input-sm', testid: 'stats-line', 'aria-label': t('stats.line') }, h('option', { value: '' }, t('stats.allLines')));
  const presets = h('div', { class: 'segmented', role: 'group', 'aria-label': t('stats.period') }, PRESETS.map((p) =>
    h('button', { type: 'button', class: 'btn btn-secondary btn-sm', testid: 'stats-preset-' + p, onclick: () => { [from, to] = presetRange(p); fromIn.value = from; toIn.value = to; load(); } }, t('stats.preset.' + p))));
  for (const el of [fromIn, toIn, lineSel]) el.addEventListener('change', () => { from = fromIn.value; to = toIn.value; load(); });
  const body = h('div', { testid: 'stats-body' }, h('p', { class: 'muted' }, t('common.loading')));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, testid: 'stats-error' });
  replace(root, h('div', { class: 'page page-wide', testid: 'stats-page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('stats.title')), h('p', { class: 'muted', testid: 'stats-scope' }, t('stats.scope.' + ctx.scope('stats.view')))),
      h('div', { class: 'stats-controls' }, presets, fromIn, toIn, lineSel,
        ctx.scope('stats.view') === 'all' ? h('a', { href: '#/staffing', class: 'btn btn-secondary btn-sm', testid: 'stats-staffing' }, t('staffing.title')) : null)),
    error, body));

  // loadNames reads the names of lines, channels and users (again when a
  // figure names one not seen yet: a line created since).
  async function loadNames() {
    const [ls, us] = await Promise.all([api('GET', '/api/v1/lines').catch(() => null), api('GET', '/api/v1/users').catch(() => null)]);
    if (ls) {
      const chosen = lineSel.value;
      replace(lineSel, h('option', { value: '' }, t('stats.allLines')), ls.lines.map((l) => h('option', { value: l.id }, l.name)));
      lineSel.value = chosen;
      for (const l of ls.lines) names.lines.set(l.id, l.name);
      if (ctx.can('lines.view')) {
        const chs = await Promise.all(ls.lines.map((l) => api('GET', '/api/v1/lines/' + l.id + '/channels').catch(() => null)));
        for (const c of chs) for (const ch of (c && c.channels) || []) names.channels.set(ch.id, ch.name);
      }
    }
    if (us) for (const u of us.users) names.users.set(u.id, u.name);
  }

  async function load() {
    const my = ++seq;
    error.hidden = true;
    const filter = { from, to, line_id: lineSel.value };
    try {
      const [sum, daily, chans, ops] = await Promise.all([
        api('GET', '/api/v1/stats/summary' + q(filter)),
        api('GET', '/api/v1/stats/daily' + q(filter)),
        api('GET', '/api/v1/stats/channels' + q(filter)),
        api('GET', '/api/v1/stats/operators' + q(filter)),
      ]);
      const top = chans.rows.filter((r) => r.figures.received > 0).sort((a, b) => b.figures.received - a.figures.received).slice(0, MAX_CHANNELS);
      const perChannel = await Promise.all(top.map((r) => api('GET', '/api/v1/stats/daily' + q({ ...filter, channel_id: r.channel_id }))));
      const unknown = top.some((r) => !names.channels.has(r.channel_id)) || ops.rows.some((r) => r.operator_id && !names.users.has(r.operator_id));
      if (unknown) await loadNames().catch(() => {});
      if (!alive || my !== seq) return;
      render(sum, daily, top, perChannel, ops);
    } catch (e) {
      if (!alive || my !== seq) return;
      error.textContent = e.message;
      error.hidden = false;
    }
  }

  function render(sum, daily, top, perChannel, ops) {
    const f = sum.figures;
    if (f.received === 0) {
      replace(body, h('div', { class: 'card list-empty', testid: 'stats-empty' }, t('stats.empty')));
      return;
    }
    const open = f.received - f.closed - f.spam;
    const card = (key, value, sub) => h('div', { class: 'stat-card', testid: 'stat-' + key },
      h('div', { class: 'stat-label' }, t('stats.fig.' + key)), h('div', { class: 'stat-value' }, value), sub ? h('div', { class: 'muted stat-sub' }, sub) : null);
    const days = daily.rows.map((r) => r.day);
    const stars = f.ratings.stars;
    const like = f.ratings.like;
    replace(body,
      h('div', { class: 'stat-cards' },
        card('received', fmtNumber(f.received)),
        card('taken', fmtNumber(f.taken)),
        card('closed', fmtNumber(f.closed)),
        card('unanswered', fmtNumber(f.unanswered)),
        card('spam', fmtNumber(f.spam)),
        card('offHours', pct(f.off_hours_share), fmtNumber(f.off_hours)),
        card('frt', fmtSeconds(f.first_response.median), t('stats.p90', { v: fmtSeconds(f.first_response.p90) })),
        card('ttc', fmtSeconds(f.time_to_close.median), t('stats.p90', { v: fmtSeconds(f.time_to_close.p90) })),
        card('messages', fmtNumber(f.messages)),
        card('rating', stars.count ? avg(stars.average) + ' ★' : like.count ? pct(like.average) : '—', fmtNumber(f.ratings.count)),
        card('votes', avg(f.votes.average), fmtNumber(f.votes.count))),
      h('div', { class: 'chart-grid2' },
        h('div', { class: 'card' }, h('h2', { class: 'card-title' }, t('stats.chart.channels')),
          lines(days, top.map((r, i) => ({ name: names.channels.get(r.channel_id) || t('stats.channel'), values: perChannel[i].rows.map((d) => d.figures.received) })),
            { testid: 'chart-channels', fmtDay, title: t('stats.chart.channels') })),
        h('div', { class: 'card' }, h('h2', { class: 'card-title' }, t('stats.chart.status')),
          bars([
            { label: t('stats.status.open'), value: open, color: PALETTE[0] },
            { label: t('stats.status.closed'), value: f.closed - f.unanswered, color: PALETTE[1] },
            { label: t('stats.status.unanswered'), value: f.unanswered, color: PALETTE[2] },
            { label: t('stats.status.spam'), value: f.spam, color: PALETTE[3] },
          ], { testid: 'chart-status', title: t('stats.chart.status') })),
        h('div', { class: 'card' }, h('h2', { class: 'card-title' }, t('stats.chart.frt')),
          bars(distribution(f.first_response.buckets), { testid: 'chart-frt', title: t('stats.chart.frt') })),
        h('div', { class: 'card' }, h('h2', { class: 'card-title' }, t('stats.chart.ratings')),
          bars([5, 4, 3, 2, 1].map((v) => ({ label: '★'.repeat(v), value: stars.values[String(v)] || 0, color: PALETTE[1] }))
            .concat([{ label: t('history.rating.like'), value: like.values['1'] || 0, color: PALETTE[0] },
            { label: t('history.rating.dislike'), value: like.values['0'] || 0, color: PALETTE[3] }]),
          { testid: 'chart-ratings', title: t('stats.chart.ratings') }))),
      operatorsTable(ops.rows));
  }

  const COLS = [
    ['name', (r) => names.users.get(r.operator_id) || (r.operator_id ? r.operator_id : t('stats.nobody')), 'text'],
    ['received', (r) => r.figures.received],
    ['taken', (r) => r.figures.taken],
    ['closed', (r) => r.figures.closed],
    ['unanswered', (r) => r.figures.unanswered],
    ['frtMedian', (r) => r.figures.first_response.median, 'sec'],
    ['frtP90', (r) => r.figures.first_response.p90, 'sec'],
    ['rating', (r) => (r.figures.ratings.stars.count ? r.figures.ratings.stars.average : null), 'avg'],
    ['messages', (r) => r.figures.messages],
  ];

  let lastRows = [];
  function operatorsTable(rows) {
    lastRows = rows;
    const wrap = h('div', { class: 'card card-flush', testid: 'stats-operators' });
    const draw = () => {
      const col = COLS.find((c) => c[0] === sortKey);
      const sorted = [...lastRows].sort((a, b) => {
        const va = col[1](a);
        const vb = col[1](b);
        if (va === vb) return 0;
        if (va === null || va === undefined) return 1;
        if (vb === null || vb === undefined) return -1;
        return (col[2] === 'text' ? String(va).localeCompare(String(vb)) : va - vb) * sortDir;
      });
      replace(wrap, h('div', { class: 'table-scroll' }, h('table', { class: 'table table-compact' },
        h('thead', {}, h('tr', {}, COLS.map(([key]) => h('th', { class: key === 'name' ? '' : 'right', 'aria-sort': key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none' },
          h('button', { type: 'button', class: 'sort-btn', testid: 'sort-' + key, onclick: () => { sortDir = key === sortKey ? -sortDir : (key === 'name' ? 1 : -1); sortKey = key; draw(); } },
            t('stats.col.' + key), key === sortKey ? (sortDir > 0 ? ' ▲' : ' ▼') : ''))))),
        h('tbody', {}, sorted.map((r) => h('tr', { testid: 'operator-row', dataset: { operator: r.operator_id } }, COLS.map(([key, get, kind]) => {
          const v = get(r);
          const text = kind === 'text' ? v : kind === 'sec' ? fmtSeconds(v) : kind === 'avg' ? avg(v) : fmtNumber(v);
          return h('td', { class: key === 'name' ? '' : 'right' }, text);
        })))))));
    };
    draw();
    return h('div', {}, h('h2', { class: 'section-title' }, t('stats.operators')), wrap);
  }

  loadNames().catch(() => {}).finally(load);
  return { unmount() { alive = false; } };
}
