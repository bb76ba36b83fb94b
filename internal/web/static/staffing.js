// The staffing planner: the operators each hour of the week needs for a
// service level (GET /api/v1/stats/staffing, Erlang C cross-checked by the
// routing simulator) as a heat map, with today's scheduled operators beside
// today's row.
import { api, q } from './api.js';
import { h, s, replace } from './dom.js';
import { t, fmtNumber } from './i18n.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function mount(root) {
  let alive = true;
  let seq = 0;
  const num = (key, value, min, max) => h('label', { class: 'inline-label' }, h('span', { class: 'muted' }, t('staffing.' + key)),
    h('input', { class: 'input input-sm staffing-num', type: 'number', min, max, value, testid: 'staffing-' + key }));
  const fields = { target_wait: num('target_wait', 20, 1, 3600), service_level: num('service_level', 80, 1, 99), concurrency: num('concurrency', 1, 1, 100), weeks: num('weeks', 4, 1, 26) };
  const lineSel = h('select', { class: 'input input-sm', testid: 'staffing-line', 'aria-label': t('stats.line') }, h('option', { value: '' }, t('stats.allLines')));
  const body = h('div', { testid: 'staffing-body' }, h('p', { class: 'muted' }, t('common.loading')));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, testid: 'staffing-error' });
  for (const el of [...Object.values(fields).map((l) => l.querySelector('input')), lineSel]) el.addEventListener('change', load);
  replace(root, h('div', { class: 'page page-wide', testid: 'staffing-page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('staffing.title')), h('p', { class: 'muted' }, t('staffing.subtitle'))),
      h('a', { href: '#/stats', class: 'btn btn-secondary btn-sm' }, t('staffing.back'))),
    h('div', { class: 'card history-filters' }, lineSel, Object.values(fields)),
    error, body));

  api('GET', '/api/v1/lines').then((ls) => {
    for (const l of ls.lines) lineSel.appendChild(h('option', { value: l.id }, l.name));
  }).catch(() => {});

  async function load() {
    const my = ++seq;
    error.hidden = true;
    const params = { line_id: lineSel.value };
    for (const [k, l] of Object.entries(fields)) params[k] = l.querySelector('input').value;
    try {
      const plan = await api('GET', '/api/v1/stats/staffing' + q(params));
      if (!alive || my !== seq) return;
      render(plan);
    } catch (e) {
      if (!alive || my !== seq) return;
      error.textContent = e.message;
      error.hidden = false;
    }
  }

  function render(plan) {
    const cell = 30;
    const left = 90;
    const top = 22;
    const rows = 8; // the week and today's schedule
    const max = Math.max(1, ...plan.cells.map((c) => c.operators));
    const svg = s('svg', { class: 'chart heatmap', viewBox: `0 0 ${left + 24 * cell + 4} ${top + rows * cell + 4}`, role: 'img', 'data-testid': 'staffing-heatmap', 'aria-label': t('staffing.title') });
    for (let hr = 0; hr < 24; hr++) svg.appendChild(s('text', { x: left + hr * cell + cell / 2, y: 14, 'text-anchor': 'middle', class: 'chart-axis' }, String(hr)));
    const label = (row, text) => svg.appendChild(s('text', { x: left - 8, y: top + row * cell + cell / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, text));
    DAYS.forEach((d, i) => label(i, t('staffing.day.' + d)));
    label(7, t('staffing.today'));
    const needToday = plan.cells.filter((c) => c.weekday === plan.today.weekday).map((c) => c.operators);
    for (const c of plan.cells) {
      const level = c.operators === 0 ? 0 : 1 + Math.min(4, Math.floor((c.operators / max) * 4.999));
      const g = s('g', { class: 'heat-cell', 'data-weekday': c.weekday, 'data-hour': c.hour, 'data-operators': c.operators },
        s('rect', { x: left + c.hour * cell, y: top + c.weekday * cell, width: cell - 2, height: cell - 2, rx: 3, class: 'heat-' + level }),
        s('title', {}, t('staffing.cellTitle', { day: t('staffing.day.' + DAYS[c.weekday]), hour: c.hour, arrivals: fmtNumber(Math.round(c.arrivals_per_hour * 10) / 10),
          operators: c.operators, wait: fmtNumber(Math.round(c.mean_wait_seconds)) })));
      if (c.operators > 0) g.appendChild(s('text', { x: left + c.hour * cell + cell / 2 - 1, y: top + c.weekday * cell + cell / 2 + 3, 'text-anchor': 'middle', class: level >= 4 ? 'heat-text heat-text-light' : 'heat-text' }, String(c.operators)));
      svg.appendChild(g);
    }
    plan.today.scheduled.forEach((n, hr) => {
      const short = n < needToday[hr];
      svg.appendChild(s('g', { class: 'heat-cell', 'data-scheduled': n, 'data-short': short ? 'yes' : 'no' },
        s('rect', { x: left + hr * cell, y: top + 7 * cell, width: cell - 2, height: cell - 2, rx: 3, class: short ? 'heat-short' : 'heat-ok' }),
        s('text', { x: left + hr * cell + cell / 2 - 1, y: top + 7 * cell + cell / 2 + 3, 'text-anchor': 'middle', class: 'heat-text' }, String(n))));
    });
    const ch = plan.check;
    replace(body,
      h('div', { class: 'card' }, h('p', { class: 'muted', testid: 'staffing-basis' }, t('staffing.basis', { from: plan.from, to: plan.to, handle: fmtNumber(Math.round(plan.handle_time_seconds)) })),
        h('div', { class: 'table-scroll' }, svg)),
      ch ? h('div', { class: 'card', testid: 'staffing-check' }, h('h2', { class: 'card-title' }, t('staffing.check')),
        h('p', {}, t('staffing.checkText', { day: t('staffing.day.' + DAYS[ch.weekday]), hour: ch.hour, places: ch.places,
          erlang: fmtNumber(Math.round(ch.erlang_c_p_wait * 1000) / 10), sim: fmtNumber(Math.round(ch.simulated_p_wait * 1000) / 10),
          ewait: fmtNumber(Math.round(ch.erlang_c_mean_wait_seconds * 10) / 10), swait: fmtNumber(Math.round(ch.simulated_mean_wait_seconds * 10) / 10) })))
        : h('div', { class: 'card list-empty', testid: 'staffing-empty' }, t('staffing.empty')));
  }

  load();
  return { unmount() { alive = false; } };
}
