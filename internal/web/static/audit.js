// The audit log: every settings change (lines, channels, users, roles,
// teams, the workspace), newest first, read-only, a page at a time.
import { api, q } from './api.js';
import { h, replace, showPage } from './dom.js';
import { t, fmtDateTime } from './i18n.js';

const ENTITIES = ['line', 'channel', 'user', 'role', 'team', 'workspace'];
const PAGE = 50;
const MAX_CHANGES = 6;

export function mount(root) {
  let alive = true;
  let cursor = '';
  let names = new Map(); // user id → name, to show members and queues by name
  let seq = 0;
  const entity = h('select', { class: 'input input-sm', testid: 'audit-entity', 'aria-label': t('audit.entity') },
    h('option', { value: '' }, t('audit.allEntities')),
    ENTITIES.map((e) => h('option', { value: e }, t('audit.entity.' + e))));
  const rows = h('tbody', {});
  const table = h('table', { class: 'table', testid: 'audit-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('audit.col.when')), h('th', {}, t('audit.col.who')), h('th', {}, t('audit.col.what')),
      h('th', {}, t('audit.col.action')), h('th', {}, t('audit.col.changes')))),
    rows);
  const empty = h('div', { class: 'list-empty', testid: 'audit-empty', hidden: true }, t('audit.empty'));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'audit-more', hidden: true, onclick: () => load(false) }, t('audit.more'));
  entity.addEventListener('change', () => load(true));
  replace(root, h('div', { class: 'page page-wide' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('audit.title')), h('p', { class: 'muted' }, t('audit.subtitle'))),
      h('label', { class: 'inline-label' }, h('span', { class: 'muted' }, t('audit.entity')), entity)),
    h('div', { class: 'card card-flush' }, h('div', { class: 'table-scroll' }, table), empty),
    error,
    h('div', { class: 'more-row' }, more)));

  async function load(fresh) {
    const my = ++seq;
    if (fresh) cursor = '';
    more.disabled = true;
    error.hidden = true;
    try {
      const [r, us] = await Promise.all([
        api('GET', '/api/v1/audit' + q({ entity: entity.value, limit: PAGE, cursor })),
        names.size ? null : api('GET', '/api/v1/users').catch(() => null),
      ]);
      if (us) names = new Map(us.users.map((u) => [u.id, u.name]));
      if (!alive || my !== seq) return;
      cursor = r.next_cursor || '';
      showPage({ rows, table, empty, more }, r.entries.map(row), fresh, !!cursor);
    } catch (e) {
      if (!alive || my !== seq) return;
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  function row(e) {
    const before = obj(e.before);
    const after = obj(e.after);
    const label = (after && after.name) || (before && before.name) || (after && after.email) || (before && before.email) || '';
    return h('tr', { testid: 'audit-row', dataset: { entity: e.entity, action: e.action, entityId: e.entity_id } },
      h('td', { class: 'muted nowrap' }, fmtDateTime(e.created_at)),
      h('td', {}, e.actor_id ? e.actor_name : h('span', { class: 'muted' }, t('audit.system'))),
      h('td', {}, h('span', { class: 'chip chip-type' }, known('audit.entity.' + e.entity, e.entity)),
        ' ', label ? h('span', { class: 'strong' }, String(label)) : h('code', { class: 'code' }, e.entity_id)),
      h('td', {}, known('audit.action.' + e.action, e.action)),
      h('td', { class: 'audit-changes' }, changes(before, after, names)));
  }

  load(true);
  return { unmount() { alive = false; } };
}

// known translates key, or shows the server's word for one it does not know.
function known(key, raw) {
  const s = t(key);
  return s === key ? raw : s;
}

function obj(v) {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

// show is a value as short text: user ids (a queue, a team's members) by name.
function show(v, names) {
  if (v === undefined || v === null) return '—';
  const name = (id) => names.get(id) || id;
  let s;
  if (typeof v === 'string') s = names.has(v) ? name(v) : v;
  else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) s = v.map(name).join(', ');
  else if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'user_id' in x)) {
    s = v.map((m) => name(m.user_id) + (m.head ? ' (' + t('audit.head') + ')' : '')).join(', ');
  } else s = JSON.stringify(v);
  if (s === '') return '“”';
  return s.length > 80 ? s.slice(0, 79) + '…' : s;
}

const SKIP = new Set(['id', 'workspace_id', 'created_at', 'updated_at']);

// changes lists what an entry changed: the fields that differ between
// before and after (a created or deleted record shows no diff).
function changes(before, after, names) {
  if (!before || !after) return h('span', { class: 'muted' }, before ? t('audit.removed') : t('audit.added'));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => !SKIP.has(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (!keys.length) return h('span', { class: 'muted' }, '—');
  const shown = keys.slice(0, MAX_CHANGES);
  return h('ul', { class: 'change-list' },
    shown.map((k) => h('li', {}, h('code', {}, k), ': ', h('span', { class: 'muted' }, show(before[k], names)), ' → ', show(after[k], names))),
    keys.length > shown.length ? h('li', { class: 'muted' }, t('audit.moreChanges', { n: keys.length - shown.length })) : null);
}
