// Open lines: the list with "create", and a line's settings in tabs (queue,
// working hours, rating, auto-replies, channels, other). Each tab saves its
// own fields with PATCH /api/v1/lines/{id}; a refused value shows the
// server's message next to the field it names.
import { api } from './api.js';
import { h, add, replace, avatar } from './dom.js';
import { secretCard, keysButton } from './channel-keys.js';
import { channelDetail, healthSummary, kindLabel, WIDGET } from './channel-widget.js';
import { t, fmtDate, fmtNumber } from './i18n.js';
import {
  field, input, textarea, select, toggle, radioCards, radioValue, duration, section,
  clearErrors, showError, saveBar, errorSlot,
} from './forms.js';

export const TABS = ['queue', 'hours', 'rating', 'autoreplies', 'channels', 'other'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES = [
  'UTC', 'Europe/London', 'Europe/Dublin', 'Europe/Lisbon', 'Europe/Paris', 'Europe/Berlin', 'Europe/Madrid', 'Europe/Rome',
  'Europe/Amsterdam', 'Europe/Warsaw', 'Europe/Prague', 'Europe/Helsinki', 'Europe/Kyiv', 'Europe/Riga', 'Europe/Vilnius',
  'Europe/Tallinn', 'Europe/Minsk', 'Europe/Istanbul', 'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara',
  'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Yakutsk',
  'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka', 'Asia/Almaty', 'Asia/Tashkent', 'Asia/Bishkek', 'Asia/Tbilisi',
  'Asia/Yerevan', 'Asia/Baku', 'Asia/Dubai', 'Asia/Kolkata', 'Asia/Bangkok', 'Asia/Singapore', 'Asia/Shanghai',
  'Asia/Hong_Kong', 'Asia/Tokyo', 'Asia/Seoul', 'Australia/Sydney', 'Pacific/Auckland', 'America/New_York',
  'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Toronto', 'America/Mexico_City',
  'America/Sao_Paulo', 'America/Argentina/Buenos_Aires', 'Africa/Cairo', 'Africa/Johannesburg', 'Africa/Lagos',
];

// --- the list ---

export function mount(root, ctx) {
  let alive = true;
  const listBox = h('div', { class: 'card card-flush' }, h('div', { class: 'list-empty' }, t('common.loading')));
  const usage = h('p', { class: 'muted', testid: 'lines-usage' });
  const name = h('input', { class: 'input', name: 'name', testid: 'line-new-name', placeholder: t('lines.newPlaceholder'), autocomplete: 'off' });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'line-create' }, t('lines.create'));
  const form = h('form', { class: 'inline-form', novalidate: true, testid: 'line-create-form' },
    field(t('lines.newName'), name, { name: 'name' }), createBtn, errorSlot(''));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    createBtn.disabled = true;
    try {
      const l = await api('POST', '/api/v1/lines', { name: name.value });
      ctx.toast(t('lines.created', { name: l.name }), 'ok');
      ctx.navigate('#/lines/' + encodeURIComponent(l.id) + '/queue');
    } catch (err) {
      showError(form, err);
    } finally {
      createBtn.disabled = false;
    }
  });
  replace(root, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('lines.title')), usage)),
    ctx.can('lines.edit') ? h('div', { class: 'card' }, h('h2', { class: 'card-title' }, t('lines.new')), form)
      : h('p', { class: 'banner', testid: 'lines-read-only' }, t('lines.readOnly')),
    listBox));

  (async () => {
    try {
      const [ls, ws] = await Promise.all([api('GET', '/api/v1/lines'), api('GET', '/api/v1/workspace')]);
      if (!alive) return;
      usage.textContent = ws.line_limit === null
        ? t('lines.usageUnlimited', { n: fmtNumber(ws.active_lines), plan: t('plan.' + ws.plan) })
        : t('lines.usage', { n: fmtNumber(ws.active_lines), limit: fmtNumber(ws.line_limit), plan: t('plan.' + ws.plan) });
      renderList(ls.lines);
    } catch (e) {
      if (alive) replace(listBox, h('p', { class: 'form-error' }, e.message));
    }
  })();

  function renderList(lines) {
    if (!lines.length) {
      replace(listBox, h('div', { class: 'list-empty', testid: 'lines-empty' }, t('lines.empty')));
      return;
    }
    replace(listBox, h('table', { class: 'table', testid: 'lines-table' },
      h('thead', {}, h('tr', {}, h('th', {}, t('lines.col.name')), h('th', {}, t('lines.col.mode')), h('th', {}, t('lines.col.operators')),
        h('th', {}, t('lines.col.queueTime')), h('th', {}, t('lines.col.status')), h('th', {}, t('lines.col.created')))),
      h('tbody', {}, lines.map((l) => h('tr', { testid: 'line-row', dataset: { lineId: l.id } },
        h('td', {}, h('a', { href: '#/lines/' + encodeURIComponent(l.id) + '/queue', class: 'strong-link', testid: 'line-link' }, l.name)),
        h('td', {}, t('mode.' + l.mode)),
        h('td', {}, fmtNumber((l.queue || []).length)),
        h('td', {}, fmtSeconds(l.queue_time)),
        h('td', {}, h('span', { class: ['chip', l.active ? 'chip-ok' : 'chip-off'] }, l.active ? t('common.active') : t('common.inactive'))),
        h('td', { class: 'muted' }, fmtDate(l.created_at)))))));
  }

  return { unmount() { alive = false; } };
}

export function fmtSeconds(sec) {
  if (sec % 3600 === 0 && sec > 0) return fmtNumber(sec / 3600) + ' ' + t('unit.h');
  if (sec % 60 === 0 && sec > 0) return fmtNumber(sec / 60) + ' ' + t('unit.min');
  return fmtNumber(sec) + ' ' + t('unit.s');
}

// --- one line ---

export function mountLine(root, ctx, params) {
  let alive = true;
  let id = params.id;
  let tab = TABS.includes(params.tab) ? params.tab : 'queue';
  let line = null;
  let users = [];
  const editable = ctx.can('lines.edit');

  const title = h('h1', { testid: 'line-title' });
  const activeChip = h('span', { class: 'chip' });
  const tabsNav = h('nav', { class: 'subtabs', 'aria-label': t('line.tabs') });
  const body = h('div', { class: 'tab-body' }, h('div', { class: 'card' }, t('common.loading')));
  replace(root, h('div', { class: 'page' },
    h('div', { class: 'breadcrumb' }, h('a', { href: '#/lines', testid: 'back-lines' }, t('lines.title')), h('span', { 'aria-hidden': 'true' }, '›'), h('span', {}, t('line.settings'))),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, title, activeChip)),
    editable ? null : h('p', { class: 'banner', testid: 'line-read-only' }, t('line.readOnly')),
    tabsNav, body));

  function renderTop() {
    title.textContent = line ? line.name : '';
    activeChip.className = 'chip ' + (line && line.active ? 'chip-ok' : 'chip-off');
    activeChip.textContent = line ? (line.active ? t('common.active') : t('common.inactive')) : '';
    replace(tabsNav, TABS.map((k) => h('a', {
      href: '#/lines/' + encodeURIComponent(id) + '/' + k, class: ['subtab', k === tab && 'active'],
      testid: 'line-tab-' + k, 'aria-current': k === tab ? 'page' : false,
    }, t('line.tab.' + k))));
  }

  async function load() {
    try {
      const [l, us] = await Promise.all([api('GET', '/api/v1/lines/' + encodeURIComponent(id)), api('GET', '/api/v1/users')]);
      if (!alive) return;
      line = l;
      users = us.users;
      renderTop();
      renderTab();
    } catch (e) {
      if (!alive) return;
      replace(body, h('div', { class: 'card' }, h('p', { class: 'form-error', testid: 'line-error' }, e.message)));
    }
  }

  function renderTab() {
    const builders = { queue: queueTab, hours: hoursTab, rating: ratingTab, autoreplies: autoTab, channels: channelsTab, other: otherTab };
    replace(body, builders[tab]());
  }

  // settingsForm builds a tab's form: fields, then Save; collect() returns
  // the PATCH body (or throws {field, message} for a value it cannot read).
  // Without lines.edit the fields are disabled and there is no Save.
  function settingsForm(name, fields, collect) {
    const bar = saveBar(t('common.save'), !editable);
    const fs = h('fieldset', { class: 'fieldset', disabled: !editable }, fields);
    const form = h('form', { class: 'card settings-form', novalidate: true, testid: 'line-form-' + name }, fs, editable ? bar.el : null);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!editable) return;
      clearErrors(form);
      bar.status.textContent = '';
      bar.btn.disabled = true;
      let patch;
      try {
        patch = collect(form);
      } catch (err) {
        showError(form, err);
        bar.btn.disabled = false;
        return;
      }
      try {
        line = await api('PATCH', '/api/v1/lines/' + encodeURIComponent(id), patch);
        if (!alive) return;
        renderTop();
        renderTab();
        const st = body.querySelector('[data-testid="save-status"]');
        if (st) { st.textContent = t('common.saved'); st.classList.add('ok'); }
      } catch (err) {
        showError(form, err);
        bar.btn.disabled = false;
      }
    });
    return form;
  }

  // --- queue ---

  function queueTab() {
    const queue = [...(line.queue || [])];
    const byId = new Map(users.map((u) => [u.id, u]));
    const list = h('ol', { class: 'queue-list', testid: 'queue-list' });
    const addSel = h('select', { class: 'input', testid: 'queue-add-select', 'aria-label': t('queue.addLabel') });
    const addBtn = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'queue-add' }, t('queue.add'));
    let dragFrom = -1;

    function move(i, j) {
      if (j < 0 || j >= queue.length) return;
      const [x] = queue.splice(i, 1);
      queue.splice(j, 0, x);
      renderQueue();
    }

    function renderQueue() {
      if (!queue.length) {
        replace(list, h('li', { class: 'queue-empty muted', testid: 'queue-empty' }, t('queue.empty')));
      } else {
        replace(list, queue.map((uid, i) => {
          const u = byId.get(uid) || { name: uid, email: '' };
          const li = h('li', { class: 'queue-item', testid: 'queue-item', dataset: { userId: uid }, draggable: editable ? 'true' : 'false' },
            h('span', { class: 'drag', 'aria-hidden': 'true', title: t('queue.drag') }, '⋮⋮'),
            h('span', { class: 'queue-pos' }, String(i + 1)),
            avatar(u.name, uid, 'sm'),
            h('span', { class: 'queue-who' }, h('span', { class: 'queue-name' }, u.name), h('span', { class: 'muted queue-email' }, u.email)),
            u.active === false ? h('span', { class: 'chip chip-off' }, t('common.inactive')) : null,
            h('span', { class: 'queue-btns' },
              h('button', { type: 'button', class: 'icon-btn', testid: 'queue-up', 'aria-label': t('queue.up'), title: t('queue.up'), disabled: i === 0, onclick: () => move(i, i - 1) }, '↑'),
              h('button', { type: 'button', class: 'icon-btn', testid: 'queue-down', 'aria-label': t('queue.down'), title: t('queue.down'), disabled: i === queue.length - 1, onclick: () => move(i, i + 1) }, '↓'),
              h('button', { type: 'button', class: 'icon-btn icon-danger', testid: 'queue-remove', 'aria-label': t('queue.remove'), title: t('queue.remove'), onclick: () => { queue.splice(i, 1); renderQueue(); } }, '×')));
          if (!editable) return li;
          li.addEventListener('dragstart', (e) => { dragFrom = i; e.dataTransfer.effectAllowed = 'move'; li.classList.add('dragging'); });
          li.addEventListener('dragend', () => li.classList.remove('dragging'));
          li.addEventListener('dragover', (e) => { e.preventDefault(); li.classList.add('drop'); });
          li.addEventListener('dragleave', () => li.classList.remove('drop'));
          li.addEventListener('drop', (e) => { e.preventDefault(); li.classList.remove('drop'); if (dragFrom >= 0 && dragFrom !== i) move(dragFrom, i); dragFrom = -1; });
          return li;
        }));
      }
      const rest = users.filter((u) => u.active && !queue.includes(u.id));
      replace(addSel, rest.length
        ? rest.map((u) => h('option', { value: u.id }, u.name + ' — ' + u.email))
        : h('option', { value: '' }, t('queue.nobodyToAdd')));
      addSel.disabled = addBtn.disabled = !rest.length;
    }
    addBtn.addEventListener('click', () => {
      if (addSel.value && !queue.includes(addSel.value)) { queue.push(addSel.value); renderQueue(); }
    });
    renderQueue();

    const qt = duration('queue_time', line.queue_time);
    const limit = input('limit', line.limit, { type: 'number', min: 0, class: 'input input-num' });
    const form = settingsForm('queue', [
      section(t('queue.mode'), t('queue.modeHint'),
        radioCards('mode', line.mode, [
          ['evenly', t('mode.evenly'), t('mode.evenlyHint')],
          ['strictly', t('mode.strictly'), t('mode.strictlyHint')],
          ['all', t('mode.all'), t('mode.allHint')],
        ]), errorSlot('mode')),
      section(t('queue.operators'), t('queue.operatorsHint'),
        list, errorSlot('queue'),
        h('div', { class: 'inline-form' }, addSel, addBtn)),
      section(t('queue.distribution'), null,
        field(t('queue.queueTime'), qt.el, { name: 'queue_time', hint: t('queue.queueTimeHint') }),
        toggle('check_available', line.check_available, t('queue.checkAvailable'), t('queue.checkAvailableHint'))),
      section(t('queue.limit'), t('queue.limitHint'),
        toggle('limit_enabled', line.limit_enabled, t('queue.limitEnabled')),
        h('div', { class: 'grid-2' },
          field(t('queue.limitValue'), limit, { name: 'limit' }),
          field(t('queue.limitExcludes'), select('limit_excludes', line.limit_excludes, [
            ['answered', t('excl.answered')], ['waiting_client', t('excl.waiting_client')], ['closing', t('excl.closing')],
          ]), { name: 'limit_excludes' }))),
    ], (f) => ({
      mode: radioValue(f, 'mode'),
      queue: [...queue],
      queue_time: qt.get(),
      check_available: f.elements.check_available.checked,
      limit_enabled: f.elements.limit_enabled.checked,
      limit: intOf(limit.value),
      limit_excludes: f.elements.limit_excludes.value,
    }));
    return form;
  }

  // --- working hours ---

  function hoursTab() {
    const wh = line.working_hours;
    const week = {};
    for (const d of DAYS) week[d] = (wh.week[d] || []).map((iv) => ({ ...iv }));
    const daysOff = new Set(wh.days_off || []);
    const holidays = [...(wh.holidays || [])];

    const tz = input('working_hours.timezone', wh.timezone, { list: 'tz-zones', autocomplete: 'off', spellcheck: 'false', testid: 'timezone', class: 'input input-tz' });
    const zones = h('datalist', { id: 'tz-zones' }, ZONES.map((z) => h('option', { value: z })));

    const weekBox = h('div', { class: 'week', testid: 'week' });
    function renderWeek() {
      replace(weekBox, DAYS.map((d) => {
        const off = daysOff.has(d);
        const ivs = week[d];
        const row = h('div', { class: ['day-row', off && 'day-off'], testid: 'day-' + d, dataset: { day: d } },
          h('div', { class: 'day-name' }, t('day.' + d)),
          h('div', { class: 'day-intervals' },
            ivs.length === 0 ? h('span', { class: 'muted day-closed' }, t('hours.closed')) : null,
            ivs.map((iv, i) => h('span', { class: 'interval', testid: 'interval' },
              timeInput('working_hours.week.' + d + '.' + i + '.from', iv.from, (v) => { iv.from = v; }, t('hours.from')),
              h('span', { class: 'dash', 'aria-hidden': 'true' }, '–'),
              timeInput('working_hours.week.' + d + '.' + i + '.to', iv.to, (v) => { iv.to = v; }, t('hours.to')),
              h('button', { type: 'button', class: 'icon-btn icon-danger', testid: 'interval-remove', 'aria-label': t('hours.removeInterval'), title: t('hours.removeInterval'), onclick: () => { ivs.splice(i, 1); renderWeek(); } }, '×'))),
            h('button', { type: 'button', class: 'btn btn-ghost btn-sm', testid: 'interval-add-' + d, onclick: () => { ivs.push(nextInterval(ivs)); renderWeek(); } }, '+ ' + t('hours.addInterval'))),
          h('label', { class: 'check day-off-check' },
            h('input', { type: 'checkbox', name: 'working_hours.days_off', value: d, checked: off, testid: 'day-off-' + d, onchange: (e) => { if (e.target.checked) daysOff.add(d); else daysOff.delete(d); row.classList.toggle('day-off', e.target.checked); } }),
            h('span', {}, t('hours.dayOff'))),
          errorSlot('working_hours.week.' + d));
        return row;
      }));
    }
    renderWeek();

    const holInput = input('working_hours.holidays', '', { placeholder: t('hours.holidayPlaceholder'), testid: 'holiday-input', autocomplete: 'off' });
    const holList = h('div', { class: 'chips', testid: 'holidays' });
    function renderHolidays() {
      replace(holList, holidays.length ? holidays.map((d, i) => h('span', { class: 'chip chip-removable', testid: 'holiday' }, d,
        h('button', { type: 'button', class: 'chip-x', 'aria-label': t('hours.removeHoliday'), onclick: () => { holidays.splice(i, 1); renderHolidays(); } }, '×')))
        : h('span', { class: 'muted' }, t('hours.noHolidays')));
    }
    const addHoliday = () => {
      const v = holInput.value.trim();
      if (v && !holidays.includes(v)) holidays.push(v);
      holInput.value = '';
      renderHolidays();
    };
    holInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addHoliday(); } });
    renderHolidays();

    return settingsForm('hours', [
      section(t('hours.title'), t('hours.hint'),
        toggle('working_hours.enabled', wh.enabled, t('hours.enabled'), t('hours.enabledHint')),
        field(t('hours.timezone'), tz, { name: 'working_hours.timezone', hint: t('hours.timezoneHint') }), zones),
      section(t('hours.week'), t('hours.weekHint'), weekBox, errorSlot('working_hours.week'), errorSlot('working_hours.days_off')),
      section(t('hours.holidays'), t('hours.holidaysHint'),
        holList,
        h('div', { class: 'inline-form' }, holInput, h('button', { type: 'button', class: 'btn btn-secondary', testid: 'holiday-add', onclick: addHoliday }, t('hours.addHoliday'))),
        errorSlot('working_hours.holidays')),
      section(t('hours.offHours'), t('hours.offHoursHint'),
        field(t('hours.offHoursRule'), select('working_hours.off_hours_rule', wh.off_hours_rule, [['text', t('rule.text')], ['none', t('rule.none')]]), { name: 'working_hours.off_hours_rule' }),
        field(t('hours.offHoursText'), textarea('working_hours.off_hours_text', wh.off_hours_text), { name: 'working_hours.off_hours_text', wide: true })),
    ], (f) => {
      if (holInput.value.trim()) addHoliday();
      const outWeek = {};
      for (const d of DAYS) outWeek[d] = week[d].map((iv) => ({ from: iv.from.trim(), to: iv.to.trim() }));
      return {
        working_hours: {
          enabled: f.elements['working_hours.enabled'].checked,
          timezone: tz.value.trim(),
          week: outWeek,
          days_off: DAYS.filter((d) => daysOff.has(d)),
          holidays: [...holidays],
          off_hours_rule: f.elements['working_hours.off_hours_rule'].value,
          off_hours_text: f.elements['working_hours.off_hours_text'].value,
        },
      };
    });
  }

  // --- rating ---

  function ratingTab() {
    const win = duration('rating_window', line.rating_window, { allowZero: true });
    const delay = duration('full_close_delay', line.full_close_delay, { allowZero: true });
    return settingsForm('rating', [
      section(t('rating.title'), t('rating.hint'),
        toggle('rating_enabled', line.rating_enabled, t('rating.enabled'), t('rating.enabledHint')),
        h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('rating.scale')),
          radioCards('rating_scale', line.rating_scale, [['like', t('scale.like'), t('scale.likeHint')], ['stars', t('scale.stars'), t('scale.starsHint')]]),
          errorSlot('rating_scale')),
        field(t('rating.text'), textarea('rating_text', line.rating_text), { name: 'rating_text', wide: true }),
        field(t('rating.thanks'), textarea('rating_thanks_text', line.rating_thanks_text), { name: 'rating_thanks_text', wide: true })),
      section(t('rating.closing'), null,
        field(t('rating.window'), win.el, { name: 'rating_window', hint: t('rating.windowHint') }),
        toggle('close_on_rating', line.close_on_rating, t('rating.closeOnRating'), t('rating.closeOnRatingHint')),
        field(t('rating.fullCloseDelay'), delay.el, { name: 'full_close_delay', hint: t('rating.fullCloseDelayHint') })),
    ], (f) => ({
      rating_enabled: f.elements.rating_enabled.checked,
      rating_scale: radioValue(f, 'rating_scale'),
      rating_text: f.elements.rating_text.value,
      rating_thanks_text: f.elements.rating_thanks_text.value,
      rating_window: win.get(),
      close_on_rating: f.elements.close_on_rating.checked,
      full_close_delay: delay.get(),
    }));
  }

  // --- auto-replies ---

  function autoTab() {
    const na = duration('no_answer_time', line.no_answer_time);
    const ac = duration('auto_close_time', line.auto_close_time);
    return settingsForm('autoreplies', [
      section(t('auto.welcome'), t('auto.welcomeHint'),
        toggle('welcome_enabled', line.welcome_enabled, t('auto.welcomeEnabled')),
        field(t('auto.text'), textarea('welcome_text', line.welcome_text), { name: 'welcome_text', wide: true })),
      section(t('auto.noAnswer'), t('auto.noAnswerHint'),
        toggle('no_answer_enabled', line.no_answer_enabled, t('auto.noAnswerEnabled')),
        field(t('auto.after'), na.el, { name: 'no_answer_time' }),
        field(t('auto.text'), textarea('no_answer_text', line.no_answer_text), { name: 'no_answer_text', wide: true })),
      section(t('auto.close'), t('auto.closeHint'),
        field(t('auto.closeRule'), select('close_rule', line.close_rule, [['text', t('rule.text')], ['none', t('rule.none')]]), { name: 'close_rule' }),
        field(t('auto.text'), textarea('close_text', line.close_text), { name: 'close_text', wide: true })),
      section(t('auto.autoClose'), t('auto.autoCloseHint'),
        toggle('auto_close_enabled', line.auto_close_enabled, t('auto.autoCloseEnabled')),
        field(t('auto.after'), ac.el, { name: 'auto_close_time' }),
        field(t('auto.text'), textarea('auto_close_text', line.auto_close_text), { name: 'auto_close_text', wide: true })),
    ], (f) => ({
      welcome_enabled: f.elements.welcome_enabled.checked,
      welcome_text: f.elements.welcome_text.value,
      no_answer_enabled: f.elements.no_answer_enabled.checked,
      no_answer_time: na.get(),
      no_answer_text: f.elements.no_answer_text.value,
      close_rule: f.elements.close_rule.value,
      close_text: f.elements.close_text.value,
      auto_close_enabled: f.elements.auto_close_enabled.checked,
      auto_close_time: ac.get(),
      auto_close_text: f.elements.auto_close_text.value,
    }));
  }

  // --- channels ---

  // The line's channels, each with its health; one of them opened below
  // the list (#/lines/{id}/channels/{channel}: channel-widget.js).
  // Connecting one picks its kind: an API channel's first key is shown
  // once; a new widget opens at once, with its snippet.
  function channelsTab() {
    const connect = ctx.can('channels.connect');
    const open = openChannelOf(location.hash);
    const box = h('div', { class: 'card card-flush' }, h('div', { class: 'list-empty' }, t('common.loading')));
    const name = h('input', { class: 'input', name: 'name', testid: 'channel-name', placeholder: t('channels.namePlaceholder'), autocomplete: 'off' });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'channel-create' }, t('channels.connectBtn'));
    const kindHint = h('p', { class: 'muted', testid: 'channel-type-hint' });
    const form = h('form', { class: 'card', novalidate: true, testid: 'channel-form' },
      h('h2', { class: 'card-title' }, t('channels.new')),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('channels.type')),
        radioCards('type', 'api', [['api', t('channels.typeApi'), t('channels.typeApiHint')], ['widget', t('channels.typeWidget'), t('channels.typeWidgetHint')]]),
        errorSlot('type')),
      kindHint,
      h('div', { class: 'inline-form' }, field(t('channels.name'), name, { name: 'name' }), btn),
      errorSlot(''));
    const syncKind = () => { kindHint.textContent = radioValue(form, 'type') === WIDGET ? t('channels.widgetHint') : t('channels.apiHint'); };
    form.addEventListener('change', syncKind);
    syncKind();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      btn.disabled = true;
      const type = radioValue(form, 'type') || 'api';
      try {
        const c = await api('POST', '/api/v1/lines/' + encodeURIComponent(id) + '/channels', { type, name: name.value });
        name.value = '';
        ctx.toast(t('channels.created'), 'ok');
        if (c.type === WIDGET) {
          ctx.navigate(channelHash(c.id));
          return;
        }
        showKey(c);
        loadChannels();
      } catch (err) {
        showError(form, err);
      } finally {
        btn.disabled = false;
      }
    });
    // Each row's health comes with the channel (GET /api/v1/channels/{id}).
    const healthCell = (c) => {
      const cell = h('td', { testid: 'channel-health-cell' }, c.health !== undefined ? healthSummary(c.health) : h('span', { class: 'muted' }, '…'));
      if (c.health === undefined) {
        api('GET', '/api/v1/channels/' + encodeURIComponent(c.id)).then((full) => replace(cell, healthSummary(full.health)), () => replace(cell, healthSummary(null)));
      }
      return cell;
    };
    async function loadChannels() {
      try {
        const r = await api('GET', '/api/v1/lines/' + encodeURIComponent(id) + '/channels');
        if (!alive) return;
        if (!r.channels.length) {
          replace(box, h('div', { class: 'list-empty', testid: 'channels-empty' }, t('channels.empty')));
          return;
        }
        replace(box, h('table', { class: 'table channels-table', testid: 'channels-table' },
          h('thead', {}, h('tr', {}, h('th', {}, t('channels.col.name')), h('th', {}, t('channels.col.type')), h('th', {}, t('channels.col.health')),
            h('th', {}, t('channels.col.status')), h('th', {}, t('channels.col.id')), h('th', {}, t('channels.col.created')), h('th', {}))),
          h('tbody', {}, r.channels.map((c) => h('tr', { testid: 'channel-row', dataset: { channelId: c.id }, class: c.id === open ? 'row-current' : null },
            h('td', { class: 'strong' }, h('a', { href: channelHash(c.id), class: 'strong-link', testid: 'channel-open', 'aria-current': c.id === open ? 'true' : false }, c.name)),
            h('td', {}, h('span', { class: 'chip chip-type', testid: 'channel-type' }, kindLabel(c.type))),
            healthCell(c),
            h('td', {}, h('span', { class: ['chip', c.active ? 'chip-ok' : 'chip-off'], testid: 'channel-status' }, c.active ? t('widget.on') : t('widget.off'))),
            h('td', {}, h('code', { class: 'code' }, c.id)),
            h('td', { class: 'muted' }, fmtDate(c.created_at)),
            h('td', {}, connect && c.type === 'api' ? keysButton(ctx, c) : null))))));
      } catch (e) {
        if (alive) replace(box, h('p', { class: 'form-error' }, e.message));
      }
    }
    // A new channel's key is shown this once: the connector posts with it.
    const keyBox = h('div', {});
    const showKey = (c) => c.key && replace(keyBox, secretCard(ctx, t('channels.keyTitle', { name: c.name }), c.key.secret));
    const detail = open ? channelDetail(ctx, open, {
      onChange: () => loadChannels(),
      onClose: () => ctx.navigate('#/lines/' + encodeURIComponent(id) + '/channels'),
    }) : null;
    loadChannels();
    return h('div', { class: 'stack' }, box, keyBox, detail, connect ? form : null);
  }

  const channelHash = (cid) => '#/lines/' + encodeURIComponent(id) + '/channels/' + encodeURIComponent(cid);

  // --- other ---

  function otherTab() {
    const form = settingsForm('other', [
      section(t('other.general'), null,
        field(t('other.name'), input('name', line.name, { autocomplete: 'off' }), { name: 'name' }),
        toggle('active', line.active, t('other.active'), t('other.activeHint'))),
      section(t('other.operatorData'), t('other.operatorDataHint'),
        field(t('other.show'), select('operator_data', line.operator_data, [['profile', t('opdata.profile')], ['hidden', t('opdata.hidden')]]), { name: 'operator_data' }),
        h('div', { class: 'grid-2' },
          field(t('other.opName'), input('operator_data_name', line.operator_data_name), { name: 'operator_data_name' }),
          field(t('other.opAvatar'), input('operator_data_avatar', line.operator_data_avatar, { placeholder: 'https://…', type: 'url' }), { name: 'operator_data_avatar' }))),
    ], (f) => ({
      name: f.elements.name.value,
      active: f.elements.active.checked,
      operator_data: f.elements.operator_data.value,
      operator_data_name: f.elements.operator_data_name.value,
      operator_data_avatar: f.elements.operator_data_avatar.value.trim(),
    }));

    const confirm = h('input', { class: 'input', name: 'confirm', testid: 'delete-confirm', autocomplete: 'off', placeholder: line.name });
    const del = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'delete-line', disabled: true }, t('other.delete'));
    confirm.addEventListener('input', () => { del.disabled = confirm.value !== line.name; });
    const danger = h('form', { class: 'card card-danger', novalidate: true, testid: 'delete-form' },
      h('h2', { class: 'card-title' }, t('other.dangerZone')),
      h('p', {}, t('other.deleteHint')),
      field(t('other.typeName', { name: line.name }), confirm, { name: 'confirm' }),
      errorSlot(''),
      h('div', { class: 'form-foot-actions' }, del));
    danger.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(danger);
      try {
        await api('DELETE', '/api/v1/lines/' + encodeURIComponent(id), { confirm: confirm.value });
        ctx.toast(t('other.deleted', { name: line.name }), 'ok');
        ctx.navigate('#/lines');
      } catch (err) {
        showError(danger, err);
      }
    });
    return h('div', { class: 'stack' }, form, editable ? danger : null);
  }

  load();
  return {
    update(p) {
      const newTab = TABS.includes(p.tab) ? p.tab : 'queue';
      if (p.id !== id) { id = p.id; tab = newTab; line = null; load(); return; }
      tab = newTab;
      if (line) { renderTop(); renderTab(); }
    },
    unmount() { alive = false; },
  };
}

function timeInput(name, value, onchange, label) {
  const el = h('input', {
    class: 'input input-time', name, value, placeholder: t('hours.timePlaceholder'), maxlength: 5, inputmode: 'numeric',
    autocomplete: 'off', 'aria-label': label, testid: name.endsWith('.from') ? 'interval-from' : 'interval-to',
  });
  el.addEventListener('input', () => onchange(el.value));
  return el;
}

function minutes(s) {
  const m = /^(\d\d):(\d\d)$/.exec(s || '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
}

function clock(min) {
  return String(Math.floor(min / 60)).padStart(2, '0') + ':' + String(min % 60).padStart(2, '0');
}

// nextInterval proposes an interval after the day's last one.
function nextInterval(ivs) {
  if (!ivs.length) return { from: '09:00', to: '18:00' };
  const end = minutes(ivs[ivs.length - 1].to);
  if (end < 0 || end >= 24 * 60) return { from: '', to: '' };
  return { from: clock(end), to: clock(Math.min(end + 120, 24 * 60)) };
}

function intOf(v) {
  const s = String(v).trim();
  if (s === '') return 0;
  const n = Number(s);
  return Number.isFinite(n) ? Math.trunc(n) : -1;
}

// openChannelOf reads the channel a Channels tab opens from its address,
// #/lines/{id}/channels/{channel} (the router passes the line and the tab).
function openChannelOf(hash) {
  const parts = String(hash || '').replace(/^#\/?/, '').split('/');
  if (parts[0] !== 'lines' || parts[2] !== 'channels' || !parts[3]) return '';
  try { return decodeURIComponent(parts[3]); } catch (e) { return ''; }
}
