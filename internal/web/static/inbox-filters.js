// The inbox's search box and filters (issue 11): a term matched against the
// customer's name and external id (q, debounced), and a popover with the
// line, the status (on the tabs that do not fix it) and the channel (when
// the line has several and the user may read them). They narrow the tab
// on screen; chips show what applies, each removable, and one button
// clears all. Kept across re-mounts (a language switch).
import { api } from './api.js';
import { h, replace, debounce } from './dom.js';
import { t } from './i18n.js';

const STATUSES = ['open', 'queued', 'in_work', 'waiting_client', 'closing', 'closed', 'spam'];
const WITH_STATUS = new Set(['mine', 'all']); // offered and queue fix the status
const SEARCH_MS = 300;
const F = { q: '', line_id: '', channel_id: '', status: '' };
const channelsOf = new Map(); // line id → Promise of its channels

// inboxFilters builds the bar. lines() is the lines the user knows (id →
// line); tab() the tab on screen; onChange runs when what applies changes.
export function inboxFilters({ lines, tab, can, onChange }) {
  const input = h('input', {
    type: 'search', class: 'input filter-search', testid: 'dialog-search', maxlength: 100, autocomplete: 'off',
    placeholder: t('filters.search'), 'aria-label': t('filters.search'), value: F.q,
  });
  const toggle = h('button', { type: 'button', class: 'btn btn-secondary btn-sm filter-toggle', testid: 'filter-toggle', 'aria-expanded': 'false' });
  const pop = h('div', { class: 'filter-pop', testid: 'filter-pop', hidden: true, role: 'group', 'aria-label': t('filters.title') });
  const chips = h('div', { class: 'filter-chips', testid: 'filter-chips' });
  const el = h('div', { class: 'filter-bar', testid: 'filter-bar' }, h('div', { class: 'filter-row' }, input, toggle), pop, chips);

  const applies = () => ({ q: F.q, line_id: F.line_id, channel_id: F.channel_id, status: WITH_STATUS.has(tab()) ? F.status : '' });
  const active = () => Object.values(applies()).some(Boolean);
  const changed = () => { render(); onChange(); };

  const search = debounce(() => { const v = input.value.trim(); if (v !== F.q) { F.q = v; changed(); } }, SEARCH_MS);
  input.addEventListener('input', search);
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape' && input.value) { e.stopPropagation(); input.value = ''; search(); } });
  toggle.addEventListener('click', () => { pop.hidden = !pop.hidden; render(); });
  el.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !pop.hidden) { pop.hidden = true; render(); toggle.focus(); } });
  const outside = (e) => { if (!pop.hidden && !el.contains(e.target)) { pop.hidden = true; render(); } };
  document.addEventListener('pointerdown', outside);

  function select(name, testid, options, value, set) {
    const s = h('select', { class: 'input input-sm', testid, 'aria-label': name },
      options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
    s.addEventListener('change', () => { set(s.value); changed(); });
    return h('label', { class: 'filter-field' }, h('span', { class: 'field-label' }, name), s);
  }

  function channels(lineId) {
    if (!lineId || !can('lines.view')) return Promise.resolve([]);
    if (!channelsOf.has(lineId)) {
      channelsOf.set(lineId, api('GET', '/api/v1/lines/' + encodeURIComponent(lineId) + '/channels').then((r) => r.channels || [], () => { channelsOf.delete(lineId); return []; }));
    }
    return channelsOf.get(lineId);
  }

  let renderSeq = 0;
  async function render() {
    const seq = ++renderSeq;
    const ls = [...lines().values()];
    const a = applies();
    const n = ['line_id', 'channel_id', 'status'].filter((k) => a[k]).length;
    toggle.textContent = n ? t('filters.buttonN', { n }) : t('filters.button');
    toggle.classList.toggle('active', n > 0);
    toggle.setAttribute('aria-expanded', String(!pop.hidden));
    const fields = [select(t('filters.line'), 'filter-line', [['', t('filters.anyLine')], ...ls.map((l) => [l.id, l.name])], F.line_id,
      (v) => { F.line_id = v; F.channel_id = ''; })];
    if (WITH_STATUS.has(tab())) {
      fields.push(select(t('filters.status'), 'filter-status', [['', t('filters.anyStatus')], ...STATUSES.map((s) => [s, t('filters.status.' + s)])], F.status, (v) => { F.status = v; }));
    }
    const chs = await channels(F.line_id);
    if (seq !== renderSeq) return;
    if (chs.length > 1) {
      fields.push(select(t('filters.channel'), 'filter-channel', [['', t('filters.anyChannel')], ...chs.map((c) => [c.id, c.name || c.type])], F.channel_id, (v) => { F.channel_id = v; }));
    }
    replace(pop, fields);
    const chip = (label, clear) => h('span', { class: 'chip filter-chip', testid: 'filter-chip' }, label,
      h('button', { type: 'button', class: 'chip-x', 'aria-label': t('filters.remove', { what: label }), onclick: () => { clear(); changed(); } }, '×'));
    const list = [];
    if (a.q) list.push(chip('“' + a.q + '”', () => { F.q = ''; input.value = ''; }));
    if (a.line_id) list.push(chip((lines().get(a.line_id) || {}).name || t('filters.line'), () => { F.line_id = ''; F.channel_id = ''; }));
    if (a.channel_id) list.push(chip((chs.find((c) => c.id === a.channel_id) || {}).name || t('filters.channel'), () => { F.channel_id = ''; }));
    if (a.status) list.push(chip(t('filters.status.' + a.status), () => { F.status = ''; }));
    if (list.length) {
      list.push(h('button', { type: 'button', class: 'btn btn-ghost btn-sm', testid: 'filter-clear',
        onclick: () => { F.q = F.line_id = F.channel_id = F.status = ''; input.value = ''; changed(); } }, t('filters.clear')));
    }
    replace(chips, list);
    chips.hidden = !list.length;
  }
  render();

  return {
    el,
    // query is the GET /api/v1/dialogs filter the tab on screen adds.
    query: applies,
    active,
    render,
    destroy() { search.cancel(); document.removeEventListener('pointerdown', outside); },
  };
}
