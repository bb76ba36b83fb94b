// Teams: people who see each other's sessions at team scope, each with
// heads. With settings.edit teams are created, renamed, given members
// (chosen from the users, each with a "head" checkbox) and deleted;
// without it the page lists them read-only.
import { api } from './api.js';
import { h, add, replace, avatar } from './dom.js';
import { t, fmtNumber } from './i18n.js';
import { field, input, clearErrors, showError, errorSlot } from './forms.js';

export function mount(root, ctx) {
  let alive = true;
  const editable = ctx.can('settings.edit');
  let users = [];
  let byId = new Map();
  const count = h('p', { class: 'muted', testid: 'teams-count' });
  const listBox = h('div', { class: 'stack', testid: 'teams-list' }, h('div', { class: 'card' }, t('common.loading')));
  const createBox = h('div', {});
  replace(root, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('teams.title')), count,
      h('p', { class: 'muted small' }, editable ? t('teams.hint') : t('teams.readOnly')))),
    createBox, listBox));

  async function load() {
    try {
      const [ts, us] = await Promise.all([api('GET', '/api/v1/teams'), api('GET', '/api/v1/users')]);
      if (!alive) return;
      users = us.users;
      byId = new Map(users.map((u) => [u.id, u]));
      if (editable) replace(createBox, createForm());
      renderList(ts.teams);
    } catch (e) {
      if (alive) replace(listBox, h('div', { class: 'card' }, h('p', { class: 'form-error' }, e.message)));
    }
  }

  function setCount() {
    count.textContent = t('teams.count', { n: fmtNumber(listBox.querySelectorAll('[data-testid=team]').length) });
  }

  function renderList(teams) {
    if (!teams.length) {
      replace(listBox, h('div', { class: 'card list-empty', testid: 'teams-empty' }, t('teams.empty')));
    } else {
      replace(listBox, teams.map((tm) => (editable ? teamForm(tm) : teamView(tm))));
    }
    setCount();
  }

  function userLabel(id) {
    const u = byId.get(id);
    return u ? { name: u.name, email: u.email, active: u.active } : { name: t('teams.unknownUser'), email: '', active: true };
  }

  // --- read-only ---

  function teamView(tm) {
    const heads = tm.members.filter((m) => m.head);
    return h('section', { class: 'card', testid: 'team', dataset: { teamId: tm.id } },
      h('div', { class: 'title-row' }, h('h2', { class: 'card-title', testid: 'team-title' }, tm.name),
        h('span', { class: 'chip' }, t('teams.members', { n: fmtNumber(tm.members.length) })),
        heads.length ? h('span', { class: 'chip chip-pin' }, t('teams.heads', { n: fmtNumber(heads.length) })) : null),
      tm.members.length
        ? h('ul', { class: 'member-list', testid: 'team-members' }, tm.members.map((m) => {
          const u = userLabel(m.user_id);
          return h('li', { class: 'member', testid: 'team-member', dataset: { userId: m.user_id, head: String(!!m.head) } },
            avatar(u.name, m.user_id, 'sm'),
            h('span', { class: 'queue-who' }, h('span', { class: 'queue-name' }, u.name), h('span', { class: 'muted queue-email' }, u.email)),
            m.head ? h('span', { class: 'chip chip-pin', testid: 'team-head' }, t('teams.head')) : null);
        }))
        : h('p', { class: 'muted' }, t('teams.noMembers')));
  }

  // --- editing ---

  // memberEditor edits a list of {user_id, head}; get() returns it.
  function memberEditor(initial) {
    const members = initial.map((m) => ({ user_id: m.user_id, head: !!m.head }));
    const list = h('ul', { class: 'member-list', testid: 'member-list' });
    const addSel = h('select', { class: 'input', testid: 'member-add-select', 'aria-label': t('teams.addLabel') });
    const addBtn = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'member-add' }, t('teams.add'));
    function draw() {
      replace(list, members.length ? members.map((m, i) => {
        const u = userLabel(m.user_id);
        return h('li', { class: 'member', testid: 'member', dataset: { userId: m.user_id } },
          avatar(u.name, m.user_id, 'sm'),
          h('span', { class: 'queue-who' }, h('span', { class: 'queue-name' }, u.name), h('span', { class: 'muted queue-email' }, u.email)),
          u.active === false ? h('span', { class: 'chip chip-off' }, t('common.inactive')) : null,
          h('label', { class: 'check' },
            h('input', { type: 'checkbox', testid: 'member-head', checked: m.head, onchange: (e) => { m.head = e.target.checked; } }),
            h('span', {}, t('teams.head'))),
          h('button', {
            type: 'button', class: 'icon-btn icon-danger', testid: 'member-remove', 'aria-label': t('teams.remove'), title: t('teams.remove'),
            onclick: () => { members.splice(i, 1); draw(); },
          }, '×'));
      }) : h('li', { class: 'queue-empty muted', testid: 'member-none' }, t('teams.noMembers')));
      const rest = users.filter((u) => u.active && !members.some((m) => m.user_id === u.id));
      replace(addSel, rest.length
        ? rest.map((u) => h('option', { value: u.id }, u.name + ' — ' + u.email))
        : h('option', { value: '' }, t('teams.nobodyToAdd')));
      addSel.disabled = addBtn.disabled = !rest.length;
    }
    addBtn.addEventListener('click', () => {
      if (addSel.value && !members.some((m) => m.user_id === addSel.value)) {
        members.push({ user_id: addSel.value, head: false });
        draw();
      }
    });
    draw();
    return {
      el: h('div', { class: 'members-edit' }, list, errorSlot('members'), h('div', { class: 'inline-form' }, addSel, addBtn)),
      get: () => members.map((m) => ({ ...m })),
    };
  }

  function createForm() {
    const name = input('name', '', { autocomplete: 'off', testid: 'team-new-name', placeholder: t('teams.namePlaceholder'), maxlength: 100 });
    let editor = memberEditor([]);
    const editorBox = h('div', {}, editor.el);
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'team-create' }, t('teams.create'));
    const form = h('form', { class: 'card', novalidate: true, testid: 'team-create-form' },
      h('h2', { class: 'card-title' }, t('teams.new')),
      field(t('teams.name'), name, { name: 'name' }),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('teams.membersLabel')), editorBox),
      h('div', { class: 'form-foot' }, errorSlot(''), h('div', { class: 'form-foot-actions' }, btn)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      btn.disabled = true;
      try {
        const tm = await api('POST', '/api/v1/teams', { name: name.value, members: editor.get() });
        if (!alive) return;
        name.value = '';
        editor = memberEditor([]);
        replace(editorBox, editor.el);
        ctx.toast(t('teams.created', { name: tm.name }), 'ok');
        const empty = listBox.querySelector('[data-testid=teams-empty]');
        if (empty) empty.remove();
        listBox.prepend(teamForm(tm));
        setCount();
      } catch (err) {
        showError(form, err);
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  }

  function teamForm(tm) {
    const name = input('name', tm.name, { autocomplete: 'off', testid: 'team-name', maxlength: 100 });
    const editor = memberEditor(tm.members);
    const status = h('span', { class: 'save-status', testid: 'save-status', role: 'status' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'team-save' }, t('common.save'));
    const del = h('button', { type: 'button', class: 'btn btn-danger-ghost', testid: 'team-delete' }, t('teams.delete'));
    const form = h('form', { class: 'card', novalidate: true, testid: 'team', dataset: { teamId: tm.id } },
      field(t('teams.name'), name, { name: 'name' }),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('teams.membersLabel')), editor.el),
      h('div', { class: 'form-foot' }, errorSlot(''), h('div', { class: 'form-foot-actions' }, status, del, save)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      status.textContent = '';
      save.disabled = true;
      try {
        const nt = await api('PATCH', '/api/v1/teams/' + encodeURIComponent(tm.id), { name: name.value, members: editor.get() });
        if (!alive) return;
        const fresh = teamForm(nt);
        form.replaceWith(fresh);
        const st = fresh.querySelector('[data-testid=save-status]');
        st.textContent = t('common.saved');
        st.classList.add('ok');
      } catch (err) {
        showError(form, err);
        save.disabled = false;
      }
    });
    del.addEventListener('click', async () => {
      if (!window.confirm(t('teams.deleteConfirm', { name: tm.name }))) return;
      clearErrors(form);
      try {
        await api('DELETE', '/api/v1/teams/' + encodeURIComponent(tm.id));
        if (!alive) return;
        form.remove();
        ctx.toast(t('teams.deleted', { name: tm.name }), 'ok');
        if (!listBox.querySelector('[data-testid=team]')) add(listBox, h('div', { class: 'card list-empty', testid: 'teams-empty' }, t('teams.empty')));
        setCount();
      } catch (err) {
        showError(form, err);
      }
    });
    return form;
  }

  load();
  return { unmount() { alive = false; } };
}
