// Users: the list, create, role changes (the predefined roles and the
// workspace's custom ones, from GET /roles), deactivation and absences.
import { api } from './api.js';
import { h, replace, avatar } from './dom.js';
import { t, fmtDate, fmtDateTime } from './i18n.js';
import { field, input, select, clearErrors, showError, errorSlot } from './forms.js';

const KINDS = ['lunch', 'vacation', 'sick_leave', 'other'];

export function mount(root, ctx) {
  let alive = true;
  let users = [];
  // [key, label] of every role a user can be given; the predefined ones
  // until GET /roles answers.
  let roleOptions = ['administrator', 'director', 'manager'].map((r) => [r, t('role.' + r)]);
  const openAbsences = new Set();
  const listBox = h('div', { class: 'card card-flush' }, h('div', { class: 'list-empty' }, t('common.loading')));
  const count = h('p', { class: 'muted', testid: 'users-count' });
  const canEdit = ctx.can('settings.edit');
  const createBox = h('div', {});

  replace(root, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('users.title')), count)),
    createBox,
    listBox));

  const roleLabel = (key) => {
    const o = roleOptions.find(([k]) => k === key);
    return o ? o[1] : t('users.unknownRole');
  };

  function createForm() {
    const email = input('email', '', { type: 'email', autocomplete: 'off', testid: 'user-email' });
    const name = input('name', '', { autocomplete: 'off', testid: 'user-name' });
    const password = input('password', '', { type: 'password', autocomplete: 'new-password', testid: 'user-password' });
    const role = select('role', 'manager', roleOptions, { testid: 'user-role' });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'user-create' }, t('users.create'));
    const form = h('form', { class: 'card', novalidate: true, testid: 'user-create-form' },
      h('h2', { class: 'card-title' }, t('users.new')),
      h('div', { class: 'grid-4' },
        field(t('users.name'), name, { name: 'name' }),
        field(t('users.email'), email, { name: 'email' }),
        field(t('users.password'), password, { name: 'password', hint: t('users.passwordHint') }),
        field(t('users.role'), role, { name: 'role' })),
      h('div', { class: 'form-foot' }, errorSlot(''), h('div', { class: 'form-foot-actions' }, btn)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      btn.disabled = true;
      try {
        const u = await api('POST', '/api/v1/users', { email: email.value, name: name.value, password: password.value, role: role.value });
        form.reset();
        role.value = 'manager';
        ctx.toast(t('users.created', { name: u.name }), 'ok');
        load();
      } catch (err) {
        showError(form, err);
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  }

  async function load() {
    try {
      const [r, rs] = await Promise.all([api('GET', '/api/v1/users'), api('GET', '/api/v1/roles').catch(() => null)]);
      if (!alive) return;
      users = r.users;
      if (rs) roleOptions = rs.roles.map((x) => [x.key, x.predefined ? t('role.' + x.key) : x.name]);
      if (canEdit && !createBox.firstChild) replace(createBox, createForm());
      render();
    } catch (e) {
      if (alive) replace(listBox, h('p', { class: 'form-error' }, e.message));
    }
  }

  function render() {
    const active = users.filter((u) => u.active).length;
    count.textContent = t('users.count', { n: users.length, active });
    const rows = [];
    for (const u of users) {
      rows.push(row(u));
      if (openAbsences.has(u.id)) rows.push(absenceRow(u));
    }
    replace(listBox, h('table', { class: 'table', testid: 'users-table' },
      h('thead', {}, h('tr', {}, h('th', {}, t('users.col.user')), h('th', {}, t('users.col.role')), h('th', {}, t('users.col.status')),
        h('th', {}, t('users.col.created')), h('th', { class: 'right' }, t('users.col.actions')))),
      h('tbody', {}, rows)));
  }

  function row(u) {
    const self = u.id === ctx.me.id;
    let roleCell;
    if (canEdit) {
      const opts = roleOptions.some(([k]) => k === u.role) ? roleOptions : [...roleOptions, [u.role, t('users.unknownRole')]];
      const sel = select('role', u.role, opts, { testid: 'user-role-select', 'aria-label': t('users.role'), class: 'input input-sm' });
      sel.addEventListener('change', async () => {
        try {
          await api('PATCH', '/api/v1/users/' + encodeURIComponent(u.id), { role: sel.value });
          ctx.toast(t('users.roleChanged', { name: u.name }), 'ok');
          load();
        } catch (err) {
          ctx.toast(err.message, 'error');
          sel.value = u.role;
        }
      });
      roleCell = sel;
    } else {
      roleCell = roleLabel(u.role);
    }
    const actions = [];
    actions.push(h('button', {
      type: 'button', class: ['btn', 'btn-sm', openAbsences.has(u.id) ? 'btn-secondary active' : 'btn-ghost'], testid: 'user-absences',
      'aria-expanded': String(openAbsences.has(u.id)),
      onclick: () => { if (openAbsences.has(u.id)) openAbsences.delete(u.id); else openAbsences.add(u.id); render(); },
    }, t('users.absences')));
    if (canEdit && u.active) {
      actions.push(h('button', {
        type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'user-deactivate', onclick: async () => {
          if (!window.confirm(t('users.deactivateConfirm', { name: u.name }))) return;
          try {
            await api('POST', '/api/v1/users/' + encodeURIComponent(u.id) + '/deactivate');
            ctx.toast(t('users.deactivated', { name: u.name }), 'ok');
            load();
          } catch (err) { ctx.toast(err.message, 'error'); }
        },
      }, t('users.deactivate')));
    }
    if (canEdit && !u.active) {
      actions.push(h('button', {
        type: 'button', class: 'btn btn-sm btn-ghost', testid: 'user-activate', onclick: async () => {
          try {
            await api('PATCH', '/api/v1/users/' + encodeURIComponent(u.id), { active: true });
            load();
          } catch (err) { ctx.toast(err.message, 'error'); }
        },
      }, t('users.activate')));
    }
    return h('tr', { testid: 'user-row', dataset: { userId: u.id }, class: !u.active && 'row-muted' },
      h('td', {}, h('div', { class: 'user-cell' }, avatar(u.name, u.id),
        h('div', {}, h('div', { class: 'strong' }, u.name, self ? h('span', { class: 'muted' }, ' (' + t('users.you') + ')') : null),
          h('div', { class: 'muted small' }, u.email)))),
      h('td', {}, roleCell),
      h('td', {}, h('span', { class: ['chip', u.active ? 'chip-ok' : 'chip-off'] }, u.active ? t('common.active') : t('common.inactive'))),
      h('td', { class: 'muted' }, fmtDate(u.created_at)),
      h('td', { class: 'right' }, h('div', { class: 'row-actions' }, actions)));
  }

  function absenceRow(u) {
    const list = h('div', { class: 'absences', testid: 'absence-list' }, h('span', { class: 'muted' }, t('common.loading')));
    const mayEdit = canEdit || u.id === ctx.me.id;
    const kind = select('kind', 'vacation', KINDS.map((k) => [k, t('absence.' + k)]), { testid: 'absence-kind' });
    const starts = input('starts_at', '', { type: 'datetime-local', testid: 'absence-starts' });
    const ends = input('ends_at', '', { type: 'datetime-local', testid: 'absence-ends' });
    const note = input('note', '', { testid: 'absence-note', autocomplete: 'off' });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary btn-sm', testid: 'absence-add' }, t('absence.add'));
    const form = h('form', { class: 'absence-form', novalidate: true, testid: 'absence-form' },
      field(t('absence.kind'), kind, { name: 'kind' }),
      field(t('absence.starts'), starts, { name: 'starts_at' }),
      field(t('absence.ends'), ends, { name: 'ends_at' }),
      field(t('absence.note'), note, { name: 'note' }),
      h('div', { class: 'absence-submit' }, btn),
      errorSlot(''));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const s = localToISO(starts.value);
      const en = localToISO(ends.value);
      if (!s) { showError(form, { field: 'starts_at', message: t('absence.needTime') }); return; }
      if (!en) { showError(form, { field: 'ends_at', message: t('absence.needTime') }); return; }
      try {
        await api('POST', '/api/v1/users/' + encodeURIComponent(u.id) + '/absences', { kind: kind.value, starts_at: s, ends_at: en, note: note.value });
        form.reset();
        loadAbsences();
      } catch (err) {
        showError(form, err);
      }
    });
    async function loadAbsences() {
      try {
        const r = await api('GET', '/api/v1/users/' + encodeURIComponent(u.id) + '/absences');
        if (!alive) return;
        replace(list, r.absences.length ? r.absences.map((a) => h('div', { class: 'absence', testid: 'absence' },
          h('span', { class: 'chip' }, t('absence.' + a.kind)),
          h('span', {}, fmtDateTime(a.starts_at) + ' — ' + fmtDateTime(a.ends_at)),
          a.note ? h('span', { class: 'muted' }, a.note) : null,
          mayEdit ? h('button', {
            type: 'button', class: 'icon-btn icon-danger', testid: 'absence-delete', 'aria-label': t('absence.delete'), title: t('absence.delete'),
            onclick: async () => {
              try {
                await api('DELETE', '/api/v1/users/' + encodeURIComponent(u.id) + '/absences/' + encodeURIComponent(a.id));
                loadAbsences();
              } catch (err) { ctx.toast(err.message, 'error'); }
            },
          }, '×') : null))
          : h('span', { class: 'muted', testid: 'absence-none' }, t('absence.none')));
      } catch (err) {
        if (alive) replace(list, h('span', { class: 'form-error' }, err.message));
      }
    }
    loadAbsences();
    return h('tr', { class: 'absence-row', testid: 'absence-row' },
      h('td', { colspan: 5 }, h('div', { class: 'absence-panel' },
        h('h3', {}, t('absence.title', { name: u.name })), list, mayEdit ? form : null)));
  }

  load();
  return { unmount() { alive = false; } };
}

// localToISO turns a datetime-local value (the browser's zone) into RFC 3339.
function localToISO(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
