// One channel of a line, opened from its Channels tab: what every channel
// shows (its health: when the last customer message came, what waits in
// the outbox or failed there, and why) and, for a website widget
// (docs/WIDGET.md), what the site pastes (the snippet) and what the widget
// is set up with: allowed sites, colour, greeting, the pre-chat form,
// identity verification with its secret, and whether it is on.
//
// The settings save with PATCH /api/v1/channels/{id} {"settings": {…}};
// every input is named by its API field path (settings.origins,
// settings.color…), so a refused value shows next to its input. An origin
// is refused as settings.origins[i], i counting the sites sent: the
// message names the textarea's line it came from and selects it.
// Without channels.connect everything is shown and nothing can change;
// the identity secret (readable with channels.connect only) is not shown.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { t, fmtDateTime, fmtNumber, getLocale } from './i18n.js';
import { keysButton } from './channel-keys.js';
import { field, input, textarea, toggle, section, clearErrors, showError, saveBar, errorSlot } from './forms.js';

export const WIDGET = 'widget';
const DEFAULT_COLOR = '#2563eb';
const PRECHAT_FIELDS = ['name', 'email', 'phone'];
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;
const MASK = '•'.repeat(24);

const channelPath = (id) => '/api/v1/channels/' + encodeURIComponent(id);

// snippet is what a site pastes to embed the widget of channel id.
export function snippet(id) {
  return '<script src="' + location.origin + '/widget.js" data-channel="' + id + '" async></script>';
}

// kindLabel names a channel kind in the interface's language, else by its type.
export function kindLabel(type) {
  const k = 'channelType.' + type;
  return t(k) === k ? type : t(k);
}

// --- health ---

// fmtAgo words a past time relative to now ("5 minutes ago", "5 минут назад").
export function fmtAgo(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sec = Math.round((d.getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(getLocale() === 'ru' ? 'ru' : 'en', { numeric: 'auto' });
  const abs = Math.abs(sec);
  if (abs < 45) return t('health.justNow');
  if (abs < 45 * 60) return rtf.format(Math.round(sec / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(sec / 3600), 'hour');
  if (abs < 26 * 86400) return rtf.format(Math.round(sec / 86400), 'day');
  if (abs < 320 * 86400) return rtf.format(Math.round(sec / (30 * 86400)), 'month');
  return rtf.format(Math.round(sec / (365 * 86400)), 'year');
}

function outboxOf(health) {
  const o = (health && health.outbox) || {};
  return { queued: Number(o.queued) || 0, failed: Number(o.failed) || 0, lastError: o.last_error || '' };
}

// healthSummary is a channel's health in a few words, for its row.
export function healthSummary(health) {
  if (!health) return h('span', { class: 'muted', testid: 'channel-health-summary', dataset: { state: 'unknown' } }, '—');
  const o = outboxOf(health);
  if (o.failed > 0) {
    return h('span', { class: 'chip chip-warn', testid: 'channel-health-summary', dataset: { state: 'failed' }, title: o.lastError || null },
      t('health.failedN', { n: fmtNumber(o.failed) }));
  }
  const last = health.last_inbound_at;
  const text = last ? fmtAgo(last) : t('health.never');
  return h('span', { class: 'muted', testid: 'channel-health-summary', dataset: { state: o.queued > 0 ? 'queued' : 'ok' }, title: last ? fmtDateTime(last) : null },
    o.queued > 0 ? text + ' · ' + t('health.queuedN', { n: fmtNumber(o.queued) }) : text);
}

// healthBlock shows a channel's health in full; refresh reads it again.
function healthBlock(health, refresh) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', testid: 'channel-health-refresh' }, t('health.refresh'));
  btn.addEventListener('click', refresh);
  const head = h('div', { class: 'health-head' }, h('h3', {}, t('health.title')), btn);
  if (!health) return h('div', { class: 'health', testid: 'channel-health', dataset: { state: 'unknown' } }, head, h('p', { class: 'muted' }, t('health.unknown')));
  const o = outboxOf(health);
  const last = health.last_inbound_at;
  const lastEl = h('span', { testid: 'channel-health-last', title: last ? fmtDateTime(last) : null, dataset: { at: last || '' } },
    last ? fmtAgo(last) : t('health.never'));
  const fact = (label, value) => h('div', { class: 'health-fact' }, h('dt', {}, label), h('dd', {}, value));
  return h('div', { class: 'health', testid: 'channel-health', dataset: { state: o.failed > 0 ? 'failed' : 'ok' } },
    head,
    h('dl', { class: 'health-facts' },
      fact(t('health.lastInbound'), lastEl),
      fact(t('health.queued'), h('span', { testid: 'channel-health-queued' }, fmtNumber(o.queued))),
      fact(t('health.failed'), h('span', { testid: 'channel-health-failed', class: o.failed > 0 ? 'health-bad' : null }, fmtNumber(o.failed)))),
    o.failed > 0 ? h('div', { class: 'banner banner-warn', role: 'alert', testid: 'channel-health-error' },
      h('strong', {}, t('health.failedHint', { n: fmtNumber(o.failed) })),
      o.lastError ? h('div', { class: 'health-error' }, t('health.lastError') + ' ', h('code', { class: 'code', testid: 'channel-health-last-error' }, o.lastError)) : null)
      : null);
}

// --- copying ---

// copyText puts text on the clipboard; failing that (no clipboard, not
// allowed) it selects the text in el so that Ctrl+C copies it. It tells
// which it did: 'copied' or 'selected'.
async function copyText(text, el) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(text);
      return 'copied';
    }
  } catch (e) { /* fall back to selecting */ }
  if (el.select) {
    el.focus();
    el.select();
  } else {
    const r = document.createRange();
    r.selectNodeContents(el);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  }
  try {
    if (document.execCommand('copy')) return 'copied';
  } catch (e) { /* the selection stays for Ctrl+C */ }
  return 'selected';
}

// copyButton copies what text() gives (a string or a promise of one) from el;
// status shows "Copied" for a while.
function copyButton(testid, el, text, status) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm', testid }, t('channels.copy'));
  let timer = null;
  btn.addEventListener('click', async () => {
    let value;
    try { value = await text(); } catch (e) { status.textContent = e.message; status.className = 'copy-status form-error'; return; }
    const how = await copyText(value, el);
    status.textContent = how === 'copied' ? t('widget.copied') : t('widget.copySelected');
    status.className = 'copy-status ' + (how === 'copied' ? 'ok' : 'muted');
    status.dataset.state = how;
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = ''; delete status.dataset.state; }, 4000);
  });
  return btn;
}

// --- one channel ---

// channelDetail is the panel of channel id: its name, type, active switch
// and health, and a widget's snippet and settings. onChange(c) tells the
// list that the channel changed (name, active); onClose closes the panel.
export function channelDetail(ctx, id, { onChange, onClose } = {}) {
  const editable = ctx.can('channels.connect');
  const root = h('div', { class: 'stack channel-detail', testid: 'channel-detail', dataset: { channelId: id } },
    h('div', { class: 'card' }, t('common.loading')));
  let ch = null;

  async function load() {
    try {
      ch = await api('GET', channelPath(id));
      render();
    } catch (e) {
      replace(root, h('div', { class: 'card' }, h('p', { class: 'form-error', testid: 'channel-detail-error' }, e.message)));
    }
  }

  const healthBox = h('div', {});
  async function refreshHealth() {
    try {
      const c = await api('GET', channelPath(id));
      ch = { ...ch, health: c.health };
      replace(healthBox, healthBlock(ch.health, refreshHealth));
    } catch (e) { ctx.toast(e.message, 'error'); }
  }

  function render() {
    const close = h('button', { type: 'button', class: 'icon-btn', testid: 'channel-detail-close', 'aria-label': t('common.close'), title: t('common.close') }, '×');
    close.addEventListener('click', () => onClose && onClose());
    const active = toggle('active', ch.active, t('widget.active'), ch.type === WIDGET ? t('widget.activeHint') : t('widget.activeHintApi'),
      { disabled: !editable, testid: 'channel-active' });
    const box = active.querySelector('input');
    box.addEventListener('change', async () => {
      clearErrors(active);
      box.disabled = true;
      try {
        const c = await api('PATCH', channelPath(id), { active: box.checked });
        ch = { ...ch, ...c, health: ch.health };
        chip.className = 'chip ' + (ch.active ? 'chip-ok' : 'chip-off');
        chip.textContent = ch.active ? t('widget.on') : t('widget.off');
        if (onChange) onChange(ch);
      } catch (err) {
        box.checked = !box.checked;
        showError(active, { ...plain(err), field: 'active' });
      } finally {
        box.disabled = false;
      }
    });
    const chip = h('span', { class: ['chip', ch.active ? 'chip-ok' : 'chip-off'], testid: 'channel-detail-state' }, ch.active ? t('widget.on') : t('widget.off'));
    replace(healthBox, healthBlock(ch.health, refreshHealth));
    const head = h('div', { class: 'card' },
      h('div', { class: 'detail-head' },
        h('h2', { class: 'card-title', testid: 'channel-detail-name' }, ch.name),
        h('span', { class: 'chip chip-type' }, kindLabel(ch.type)), chip, close),
      h('p', { class: 'muted small' }, t('channels.col.id') + ': ', h('code', { class: 'code' }, ch.id)),
      active,
      ch.type === 'api' && editable ? h('div', { class: 'detail-actions' }, keysButton(ctx, ch)) : null,
      healthBox);
    replace(root, head, ch.type === WIDGET ? [snippetCard(ch), settingsForm(ctx, ch, editable, (c) => { ch = { ...ch, ...c, health: ch.health }; if (onChange) onChange(ch); })] : null);
  }

  load();
  // The relative times age: redrawn every half minute while shown.
  const tick = setInterval(() => {
    if (!root.isConnected) { clearInterval(tick); return; }
    if (ch) replace(healthBox, healthBlock(ch.health, refreshHealth));
  }, 30000);
  return root;
}

function snippetCard(c) {
  const code = snippet(c.id);
  const box = h('textarea', { class: 'input code-box', readOnly: true, rows: 2, spellcheck: 'false', testid: 'widget-snippet', 'aria-label': t('widget.snippet'), value: code });
  box.addEventListener('focus', () => box.select());
  const status = h('span', { class: 'copy-status', role: 'status', testid: 'widget-snippet-status' });
  return h('div', { class: 'card', testid: 'widget-snippet-card' },
    h('h2', { class: 'card-title' }, t('widget.snippet')),
    h('p', { class: 'muted' }, t('widget.snippetHint')),
    box,
    h('div', { class: 'copy-row' }, copyButton('widget-snippet-copy', box, () => code, status), status));
}

// plain copies an ApiError's fields (its message is not an own property).
function plain(err) {
  return { message: err.message, field: err.field || '', reason: err.reason || '', params: err.params || {}, status: err.status, code: err.code };
}

function settingsOf(c) {
  const s = c.settings || {};
  const p = s.prechat || {};
  return {
    origins: Array.isArray(s.origins) ? s.origins : [],
    color: COLOR_RE.test(s.color || '') ? s.color.toLowerCase() : DEFAULT_COLOR,
    greeting: s.greeting || '',
    prechat: { enabled: !!p.enabled, fields: Array.isArray(p.fields) ? p.fields : [], required: Array.isArray(p.required) ? p.required : [] },
    identity_required: !!s.identity_required,
  };
}

function settingsForm(ctx, c, editable, onSaved) {
  const s = settingsOf(c);

  // Where: the sites allowed to embed it.
  const origins = textarea('settings.origins', s.origins.join('\n'), {
    rows: 4, placeholder: 'https://shop.example\nhttp://localhost:8080', spellcheck: 'false', autocomplete: 'off', testid: 'widget-origins', class: 'input input-mono',
  });
  const anyWarn = h('p', { class: 'banner banner-warn', role: 'status', testid: 'widget-origins-any' }, t('widget.originsAny'));
  const syncWarn = () => { anyWarn.hidden = origins.value.trim() !== ''; };
  origins.addEventListener('input', syncWarn);
  syncWarn();

  // Look: colour and greeting.
  const hex = input('settings.color', s.color, { class: 'input input-hex', maxlength: 7, autocomplete: 'off', spellcheck: 'false', testid: 'widget-color', 'aria-label': t('widget.colorHex') });
  const picker = h('input', { type: 'color', class: 'color-picker', value: s.color, testid: 'widget-color-picker', 'aria-label': t('widget.colorPick') });
  picker.addEventListener('input', () => { hex.value = picker.value; });
  hex.addEventListener('input', () => { if (COLOR_RE.test(hex.value.trim())) picker.value = hex.value.trim().toLowerCase(); });
  const greeting = textarea('settings.greeting', s.greeting, { rows: 3, maxlength: 500, testid: 'widget-greeting', placeholder: t('widget.greetingPlaceholder') });

  // The pre-chat form: which fields, which of them required.
  const fieldRows = PRECHAT_FIELDS.map((f) => {
    const ask = h('input', { type: 'checkbox', name: 'settings.prechat.fields', value: f, checked: s.prechat.fields.includes(f), testid: 'widget-prechat-' + f });
    const req = h('input', { type: 'checkbox', name: 'settings.prechat.required', value: f, checked: s.prechat.required.includes(f) && s.prechat.fields.includes(f), testid: 'widget-prechat-' + f + '-required' });
    const sync = () => { req.disabled = !ask.checked; if (!ask.checked) req.checked = false; };
    ask.addEventListener('change', sync);
    if (!ask.checked) req.disabled = true;
    return h('div', { class: 'prechat-row', dataset: { prechatField: f } },
      h('label', { class: 'check' }, ask, h('span', {}, t('widget.prechatField.' + f))),
      h('label', { class: 'check muted' }, req, h('span', {}, t('widget.required'))));
  });

  // Identity verification.
  const identity = toggle('settings.identity_required', s.identity_required, t('widget.identityRequired'), t('widget.identityRequiredHint'), { testid: 'widget-identity-required' });

  const name = input('name', c.name, { autocomplete: 'off', testid: 'widget-name' });
  const bar = saveBar(t('common.save'), !editable);
  const fs = h('fieldset', { class: 'fieldset', disabled: !editable },
    section(t('widget.general'), null, field(t('channels.name'), name, { name: 'name' })),
    section(t('widget.origins'), t('widget.originsHint'),
      field(t('widget.originsLabel'), origins, { name: 'settings.origins', hint: t('widget.originsOnePerLine'), wide: true }), anyWarn),
    section(t('widget.look'), null,
      field(t('widget.color'), h('div', { class: 'color-field' }, picker, hex), { name: 'settings.color' }),
      field(t('widget.greeting'), greeting, { name: 'settings.greeting', hint: t('widget.greetingHint'), wide: true })),
    section(t('widget.prechat'), t('widget.prechatHint'),
      toggle('settings.prechat.enabled', s.prechat.enabled, t('widget.prechatEnabled'), null, { testid: 'widget-prechat-enabled' }),
      h('div', { class: 'field', dataset: { field: 'settings.prechat.fields' } },
        h('span', { class: 'field-label' }, t('widget.prechatFields')), fieldRows,
        errorSlot('settings.prechat.fields'), errorSlot('settings.prechat.required'), errorSlot('settings.prechat'))),
    section(t('widget.identity'), t('widget.identityHint'),
      identity,
      editable ? identitySecret(ctx, c) : h('p', { class: 'muted', testid: 'identity-secret-hidden' }, t('widget.identityNoRight'))),
    errorSlot('settings'));
  const form = h('form', { class: 'card settings-form', novalidate: true, testid: 'widget-settings' },
    h('h2', { class: 'card-title' }, t('widget.settings')), fs, editable ? bar.el : null);

  // Sites sent, by the textarea line each came from.
  let lineOf = [];
  function collect() {
    const sites = [];
    lineOf = [];
    origins.value.split('\n').forEach((l, i) => {
      const v = l.trim().replace(/\/+$/, '');
      if (v) { sites.push(v); lineOf.push(i); }
    });
    const fields = PRECHAT_FIELDS.filter((f) => form.querySelector('[name="settings.prechat.fields"][value="' + f + '"]').checked);
    return {
      name: name.value,
      settings: {
        origins: sites,
        color: hex.value.trim(),
        greeting: greeting.value,
        prechat: {
          enabled: form.elements['settings.prechat.enabled'].checked,
          fields,
          required: fields.filter((f) => form.querySelector('[name="settings.prechat.required"][value="' + f + '"]').checked),
        },
        identity_required: form.elements['settings.identity_required'].checked,
      },
    };
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!editable) return;
    clearErrors(form);
    bar.status.textContent = '';
    bar.status.classList.remove('ok');
    bar.btn.disabled = true;
    try {
      const c2 = await api('PATCH', channelPath(c.id), collect());
      if (c2 && c2.settings) {
        const s2 = settingsOf(c2);
        origins.value = s2.origins.join('\n');
        hex.value = picker.value = s2.color;
        greeting.value = s2.greeting;
        syncWarn();
      }
      bar.status.textContent = t('common.saved');
      bar.status.classList.add('ok');
      if (onSaved) onSaved(c2 || {});
    } catch (err) {
      showSettingsError(form, err, origins, lineOf);
    } finally {
      bar.btn.disabled = false;
    }
  });
  return form;
}

// showSettingsError puts a refused value's message next to its input:
// settings.origins[2] → the origins' slot, naming and selecting the line.
function showSettingsError(form, err, origins, lineOf) {
  const e = plain(err);
  const path = e.field.replace(/\[(\d+)\]/g, '.$1');
  const m = /^settings\.origins\.(\d+)$/.exec(path);
  const line = m && lineOf[Number(m[1])] !== undefined ? lineOf[Number(m[1])] : -1;
  showError(form, { ...e, field: path });
  const slot = form.querySelector('[data-error-for="' + CSS.escape(path.startsWith('settings.origins') ? 'settings.origins' : path) + '"]');
  const own = ownMessage(e, line);
  if (slot && !slot.hidden && own) slot.textContent = own;
  if (line >= 0) {
    // Select the line refused, so it can be corrected at once.
    const rows = origins.value.split('\n');
    const start = rows.slice(0, line).reduce((n, r) => n + r.length + 1, 0);
    origins.focus({ preventScroll: true });
    origins.setSelectionRange(start, start + rows[line].length);
  } else if (slot && !slot.hidden && line < 0 && m) {
    origins.focus({ preventScroll: true });
  }
}

// ownMessage words the widget's own reasons in the form's language; ''
// leaves fieldMessage's (or the server's) words.
function ownMessage(e, line) {
  const p = e.params || {};
  switch (e.reason) {
    case 'invalid_origin': return line >= 0 ? t('widget.err.originLine', { n: fmtNumber(line + 1) }) : t('widget.err.origin');
    case 'invalid_color': return t('widget.err.color');
    case 'too_many': return t('widget.err.tooMany', { max: fmtNumber(Number(p.max) || 50) });
  }
  return line >= 0 ? t('widget.err.line', { n: fmtNumber(line + 1) }) + ' ' + (e.message || '') : '';
}

// identitySecret shows the channel's identity secret masked, with Show,
// Copy and Rotate; it is read from the server on first use only.
function identitySecret(ctx, c) {
  const path = channelPath(c.id) + '/identity-secret';
  let secret = null;
  let shown = false;
  const value = h('code', { class: 'code key-secret', testid: 'identity-secret', dataset: { shown: 'false' } }, MASK);
  const status = h('span', { class: 'copy-status', role: 'status', testid: 'identity-secret-status' });
  const get = async () => {
    if (secret === null) secret = (await api('GET', path)).secret;
    return secret;
  };
  const paint = () => {
    value.textContent = shown && secret !== null ? secret : MASK;
    value.dataset.shown = String(shown && secret !== null);
    show.textContent = shown ? t('widget.secretHide') : t('widget.secretShow');
    show.setAttribute('aria-pressed', String(shown));
  };
  const show = h('button', { type: 'button', class: 'btn btn-sm', testid: 'identity-secret-show', 'aria-pressed': 'false' }, t('widget.secretShow'));
  show.addEventListener('click', async () => {
    try {
      if (!shown) await get();
      shown = !shown;
      paint();
    } catch (e) { ctx.toast(e.message, 'error'); }
  });
  // Copying needs the text on the page for the select fallback: it is
  // shown while copied.
  const copy = copyButton('identity-secret-copy', value, async () => {
    const v = await get();
    shown = true;
    paint();
    return v;
  }, status);
  const rotate = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'identity-secret-rotate' }, t('widget.secretRotate'));
  rotate.addEventListener('click', async () => {
    if (!window.confirm(t('widget.secretRotateConfirm'))) return;
    rotate.disabled = true;
    try {
      const r = await api('POST', path);
      secret = r.secret;
      shown = true;
      paint();
      status.textContent = t('widget.secretRotated');
      status.className = 'copy-status ok';
      status.dataset.state = 'rotated';
    } catch (e) { ctx.toast(e.message, 'error'); } finally { rotate.disabled = false; }
  });
  return h('div', { class: 'field field-wide', testid: 'identity-secret-box' },
    h('span', { class: 'field-label' }, t('widget.secret')),
    h('div', { class: 'secret-row' }, value, h('span', { class: 'row-actions' }, show, copy, rotate)),
    status,
    h('div', { class: 'field-hint', testid: 'identity-hmac-hint' }, t('widget.hmacHint')));
}
