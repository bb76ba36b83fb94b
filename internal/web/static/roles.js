// Roles: every role's permissions as one grid, the permissions of the
// catalogue in rows (in its order) and the roles in columns. The predefined
// roles (Administrator, Director, Manager) cannot be changed. With
// roles.edit, custom roles are renamed, changed and deleted in their
// column, and a new one is made in the last column.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { t, fmtNumber } from './i18n.js';
import { SCOPES } from './rights.js';
import { fieldMessage } from './fielderrors.js';

const NEW = 'new';

export function mount(root, ctx) {
  let alive = true;
  const editable = ctx.can('roles.edit');
  let catalogue = [];
  let roles = [];
  // Unsaved edits by role key (and NEW): {name, grants}; they survive a
  // redraw after another role was saved.
  const drafts = {};
  let busy = false;

  const errorEl = h('div', { class: 'banner banner-error', role: 'alert', testid: 'roles-error', hidden: true });
  const box = h('div', { class: 'card card-flush' }, h('div', { class: 'list-empty' }, t('common.loading')));
  replace(root, h('div', { class: 'page page-wide' },
    h('div', { class: 'page-head' }, h('div', {},
      h('h1', {}, t('roles.title')),
      h('p', { class: 'muted', testid: 'roles-mode' }, editable ? t('roles.subtitle') : t('roles.readOnly')))),
    h('p', { class: 'banner', testid: 'roles-predefined-note' }, t('roles.predefinedNote')),
    errorEl, box));

  async function load() {
    try {
      const [ps, rs] = await Promise.all([api('GET', '/api/v1/permissions'), api('GET', '/api/v1/roles')]);
      if (!alive) return;
      catalogue = ps.permissions;
      roles = rs.roles;
      render();
    } catch (e) {
      if (alive) replace(box, h('p', { class: 'form-error' }, e.message));
    }
  }

  const roleName = (r) => (r.predefined ? t('role.' + r.key) : r.name);
  const mayEdit = (r) => editable && !r.predefined;

  function draftOf(key) {
    if (!drafts[key]) {
      const r = roles.find((x) => x.key === key);
      drafts[key] = r ? { name: r.name, grants: { ...r.permissions } } : { name: '', grants: {} };
    }
    return drafts[key];
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = false;
  }

  function hideError() { errorEl.hidden = true; errorEl.textContent = ''; }

  function render() {
    const cols = editable ? [...roles, { key: NEW, name: '', predefined: false, permissions: {}, users: 0 }] : roles;
    const head = h('tr', {}, h('th', { class: 'perm-col' }, t('roles.permission')), cols.map(headCell));
    const body = catalogue.map((p) => h('tr', { testid: 'perm-row', dataset: { permission: p.permission } },
      h('th', { class: 'perm-col', scope: 'row' },
        h('div', { class: 'strong' }, t('perm.' + p.permission)),
        h('div', { class: 'muted small' }, h('code', {}, p.permission), ' · ', t('permHint.' + p.permission))),
      cols.map((r) => cell(r, p))));
    const foot = editable ? h('tfoot', {}, h('tr', {}, h('td', {}), cols.map(footCell))) : null;
    replace(box, h('div', { class: 'table-scroll' },
      h('table', { class: 'table grid-table', testid: 'roles-table' }, h('thead', {}, head), h('tbody', {}, body), foot)));
  }

  function headCell(r) {
    const isNew = r.key === NEW;
    let title;
    if (mayEdit(r)) {
      const d = draftOf(r.key);
      title = h('input', {
        class: 'input input-sm', name: 'name', value: d.name, autocomplete: 'off', testid: 'role-name',
        dataset: { roleKey: r.key }, 'aria-label': isNew ? t('roles.newName') : t('roles.name'),
        placeholder: isNew ? t('roles.newName') : '', maxlength: 100,
        oninput: (e) => { d.name = e.target.value; },
      });
    } else {
      title = h('div', { class: 'strong', testid: 'role-title' }, roleName(r));
    }
    return h('th', { class: 'role-col', testid: 'role-col', dataset: { roleKey: r.key } },
      isNew ? h('div', { class: 'role-kind' }, t('roles.new')) : null,
      title,
      isNew ? null : h('div', { class: 'role-meta' },
        r.predefined ? h('span', { class: 'chip chip-lock', testid: 'role-predefined', title: t('roles.predefinedNote') }, t('roles.predefined')) : null,
        h('span', { class: 'muted small', testid: 'role-users' }, t('roles.users', { n: fmtNumber(r.users) }))));
  }

  function cell(r, p) {
    const perm = p.permission;
    if (!mayEdit(r)) {
      const sc = (r.permissions || {})[perm] || 'none';
      return h('td', { class: 'scope-cell', dataset: { roleKey: r.key } },
        h('span', { class: ['scope', 'scope-' + sc], testid: 'perm-scope', dataset: { permission: perm, scope: sc } }, t('scope.' + sc)));
    }
    const d = draftOf(r.key);
    const options = p.scoped ? SCOPES : ['none', 'all'];
    const value = options.includes(d.grants[perm]) ? d.grants[perm] : 'none';
    const sel = h('select', {
      class: ['input', 'input-sm', 'scope-select', 'scope-' + value], name: perm, testid: 'perm-select',
      dataset: { roleKey: r.key, permission: perm }, 'aria-label': t('perm.' + perm) + ' — ' + (r.key === NEW ? t('roles.new') : r.name),
    }, options.map((o) => h('option', { value: o, selected: o === value }, t('scope.' + o))));
    sel.value = value;
    sel.addEventListener('change', () => {
      if (sel.value === 'none') delete d.grants[perm];
      else d.grants[perm] = sel.value;
      sel.className = 'input input-sm scope-select scope-' + sel.value;
    });
    return h('td', { class: 'scope-cell', dataset: { roleKey: r.key } }, sel);
  }

  function footCell(r) {
    if (r.key === NEW) {
      return h('td', {}, h('div', { class: 'role-actions' },
        h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: 'role-create', disabled: busy, onclick: create }, t('roles.create'))));
    }
    if (!mayEdit(r)) return h('td', { class: 'muted small' }, t('roles.locked'));
    return h('td', {}, h('div', { class: 'role-actions' },
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', testid: 'role-save', dataset: { roleKey: r.key }, disabled: busy, onclick: () => save(r) }, t('common.save')),
      h('button', { type: 'button', class: 'btn btn-danger-ghost btn-sm', testid: 'role-delete', dataset: { roleKey: r.key }, disabled: busy, onclick: () => remove(r) }, t('roles.delete'))));
  }

  // run does one change, shows the server's refusal above the grid, and
  // reloads the grid on success.
  async function run(fn, done) {
    if (busy) return;
    busy = true;
    hideError();
    render();
    try {
      await fn();
      if (!alive) return;
      done();
      const rs = await api('GET', '/api/v1/roles');
      if (!alive) return;
      roles = rs.roles;
    } catch (e) {
      if (alive) showError(fieldMessage(e));
    } finally {
      busy = false;
      if (alive) render();
    }
  }

  function create() {
    const d = draftOf(NEW);
    run(() => api('POST', '/api/v1/roles', { name: d.name, permissions: { ...d.grants } }), () => {
      delete drafts[NEW];
      ctx.toast(t('roles.created', { name: d.name.trim() }), 'ok');
    });
  }

  function save(r) {
    const d = draftOf(r.key);
    run(() => api('PATCH', '/api/v1/roles/' + encodeURIComponent(r.key), { name: d.name, permissions: { ...d.grants } }), () => {
      delete drafts[r.key];
      ctx.toast(t('roles.saved', { name: d.name.trim() }), 'ok');
    });
  }

  function remove(r) {
    if (!window.confirm(t('roles.deleteConfirm', { name: r.name }))) return;
    run(() => api('DELETE', '/api/v1/roles/' + encodeURIComponent(r.key)), () => {
      delete drafts[r.key];
      ctx.toast(t('roles.deleted', { name: r.name }), 'ok');
    });
  }

  load();
  return { unmount() { alive = false; } };
}
