// The dialog history ("Contact center > Dialog list" of the seed): every
// dialog within the caller's dialogs.view scope, filtered by line, channel,
// operator, status, period, rating, customer and full text, a page at a
// time, and exported as CSV with the same filters.
import { api, q } from './api.js';
import { h, replace, showPage } from './dom.js';
import { t, fmtDateTime } from './i18n.js';

const PAGE = 50;
const STATUSES = ['open', 'queued', 'in_work', 'waiting_client', 'closing', 'closed', 'spam'];
const RATINGS = ['any', 'none', '5', '4', '3', '2', '1', 'like', 'dislike'];

// dayStart is the start of a local date (YYYY-MM-DD) as RFC 3339, days
// after it.
function dayStart(v, days = 0) {
  if (!v) return '';
  const [y, m, d] = v.split('-').map(Number);
  return new Date(y, m - 1, d + days).toISOString();
}

export function mount(root, ctx) {
  let alive = true;
  let seq = 0;
  let cursor = '';
  const names = { lines: new Map(), channels: new Map(), users: new Map() };
  const sel = (key, options) => h('select', { class: 'input input-sm', testid: 'history-' + key, 'aria-label': t('history.f.' + key) },
    h('option', { value: '' }, t('history.any.' + key)), options);
  const line = sel('line', []);
  const channel = sel('channel', []);
  const operator = sel('operator', []);
  const status = sel('status', STATUSES.map((s) => h('option', { value: s }, t('history.status.' + s))));
  const rating = sel('rating', RATINGS.map((r) => h('option', { value: r }, t('history.rating.' + r))));
  const from = h('input', { class: 'input input-sm', type: 'date', testid: 'history-from', 'aria-label': t('history.f.from') });
  const to = h('input', { class: 'input input-sm', type: 'date', testid: 'history-to', 'aria-label': t('history.f.to') });
  const customer = h('input', { class: 'input input-sm', type: 'search', testid: 'history-customer', placeholder: t('history.f.customer'), 'aria-label': t('history.f.customer'), maxlength: 100 });
  const text = h('input', { class: 'input input-sm', type: 'search', testid: 'history-text', placeholder: t('history.f.text'), 'aria-label': t('history.f.text'), maxlength: 200 });
  const exportLink = h('a', { class: 'btn btn-secondary btn-sm', testid: 'history-export', download: '' }, t('history.export'));
  const rows = h('tbody', {});
  const table = h('table', { class: 'table table-compact', testid: 'history-table' },
    h('thead', {}, h('tr', {}, ['customer', 'line', 'channel', 'operator', 'status', 'activity', 'rating', 'last'].map((c) => h('th', {}, t('history.col.' + c))))),
    rows);
  const empty = h('div', { class: 'list-empty', testid: 'history-empty', hidden: true }, t('history.empty'));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, testid: 'history-error' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'history-more', hidden: true, onclick: () => load(false) }, t('history.more'));
  let timer = null;
  for (const el of [line, channel, operator, status, rating, from, to]) el.addEventListener('change', () => load(true));
  for (const el of [customer, text]) el.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => load(true), 300); });
  replace(root, h('div', { class: 'page page-wide', testid: 'history-page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('history.title')), h('p', { class: 'muted' }, t('history.subtitle'))), exportLink),
    h('div', { class: 'card history-filters' }, line, channel, operator, status, rating, from, to, customer, text),
    h('div', { class: 'card card-flush' }, h('div', { class: 'table-scroll' }, table), empty),
    error, h('div', { class: 'more-row' }, more)));

  function filters() {
    return { line_id: line.value, channel_id: channel.value, operator_id: operator.value, status: status.value, rating: rating.value,
      from: dayStart(from.value), to: dayStart(to.value, 1), q: customer.value.trim(), text: text.value.trim() };
  }

  async function loadNames() {
    const [ls, us] = await Promise.all([api('GET', '/api/v1/lines').catch(() => null), api('GET', '/api/v1/users').catch(() => null)]);
    for (const l of (ls && ls.lines) || []) {
      names.lines.set(l.id, l.name);
      line.appendChild(h('option', { value: l.id }, l.name));
    }
    if (ls && ctx.can('lines.view')) {
      const chs = await Promise.all(ls.lines.map((l) => api('GET', '/api/v1/lines/' + l.id + '/channels').catch(() => null)));
      for (const c of chs) for (const ch of (c && c.channels) || []) {
        names.channels.set(ch.id, ch.name);
        channel.appendChild(h('option', { value: ch.id }, ch.name));
      }
    }
    for (const u of (us && us.users) || []) {
      names.users.set(u.id, u.name);
      operator.appendChild(h('option', { value: u.id }, u.name));
    }
  }

  async function load(fresh) {
    const my = ++seq;
    if (fresh) cursor = '';
    const f = filters();
    exportLink.href = '/api/v1/dialogs/export' + q(f);
    more.disabled = true;
    error.hidden = true;
    try {
      const page = await api('GET', '/api/v1/dialogs' + q({ ...f, limit: PAGE, cursor }));
      if (!alive || my !== seq) return;
      cursor = page.next_cursor || '';
      showPage({ rows, table, empty, more }, page.dialogs.map(row), fresh, !!cursor);
    } catch (e) {
      if (!alive || my !== seq) return;
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  function row(d) {
    const s = d.session;
    const r = s && s.rating;
    const rated = r ? (r.scale === 'stars' ? '★'.repeat(r.value) : t(r.value ? 'history.rating.like' : 'history.rating.dislike')) : '';
    return h('tr', { testid: 'history-row', dataset: { dialog: d.id } },
      h('td', {}, h('a', { href: '#/inbox/' + encodeURIComponent(d.id), class: 'strong-link' }, d.customer.name || d.customer.external_id)),
      h('td', {}, names.lines.get(d.line_id) || ''),
      h('td', {}, names.channels.get(d.channel_id) || ''),
      h('td', {}, d.operator_id ? names.users.get(d.operator_id) || '' : h('span', { class: 'muted' }, '—')),
      h('td', {}, h('span', { class: 'chip' }, t('history.status.' + d.status))),
      h('td', { class: 'muted nowrap' }, fmtDateTime(d.last_message_at)),
      h('td', {}, rated),
      h('td', { class: 'history-last' }, d.last_message ? d.last_message.text : ''));
  }

  loadNames().catch(() => {}).finally(() => load(true));
  return { unmount() { alive = false; clearTimeout(timer); } };
}
