// Parts of the inbox's chat: how a message and a timeline event read, and
// the dialogs over the chat: transfer (forward search of lines and users)
// and the supervisor's vote.
import { api, q } from './api.js';
import { h, s, add, replace, debounce, avatar, modal } from './dom.js';
import { t, fmtTime, fmtDateTime } from './i18n.js';
import { attachmentEl } from './uploads.js';

// The channel icon of a dialog (the list item and the chat head).
export { channelIcon } from './channel-icon.js';

// messageEl draws one message of the history; names gives the customer's
// name and userName(id) for operators.
export function messageEl(m, names) {
  const ds = { direction: m.direction, kind: m.kind, id: m.id, session: m.session_id };
  const time = h('time', { class: 'msg-time', datetime: m.created_at, title: fmtDateTime(m.created_at) }, fmtTime(m.created_at));
  const text = m.attachment ? attachmentEl(m.attachment) : h('div', { class: 'msg-text', testid: 'message-text' }, m.text);
  if (m.kind === 'event') {
    return h('div', { class: 'msg-event', testid: 'message', dataset: ds }, h('span', { class: 'msg-event-text' }, eventText(m)), h('span', { class: 'msg-event-time' }, fmtTime(m.created_at)));
  }
  if (m.kind === 'note') {
    return h('div', { class: 'msg msg-note', testid: 'message', dataset: ds },
      h('div', { class: 'msg-label' }, h('strong', {}, t('chat.noteLabel')), ' · ', m.author_id ? names.userName(m.author_id) : ''),
      text, time);
  }
  if (m.direction === 'in') {
    return h('div', { class: 'msg msg-in', testid: 'message', dataset: ds },
      h('div', { class: 'msg-label' }, names.customer), text, time);
  }
  let label = m.author_id ? names.userName(m.author_id) : t('chat.line');
  let cls = 'msg-out';
  if (m.kind === 'auto') { label = t('chat.autoReply'); cls = 'msg-auto'; }
  if (m.kind === 'rating_request') { label = t('chat.ratingRequest'); cls = 'msg-auto'; }
  // An operator's text is saved as a quick answer in one action (editors).
  const save = names.onSave && m.kind === 'text' && m.author_id
    ? h('button', { type: 'button', class: 'msg-save', testid: 'save-answer', title: t('qa.saveMessage'), 'aria-label': t('qa.saveMessage'), onclick: () => names.onSave(m) }, '☆')
    : null;
  return h('div', { class: ['msg', cls], testid: 'message', dataset: ds }, h('div', { class: 'msg-label' }, label, save), text, time, deliveryEl(m.delivery));
}

// The delivery state of a text for the customer (the outbox): a mark with
// its name, and the last error when it failed.
const MARKS = { queued: '…', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

function deliveryEl(d) {
  if (!d || !MARKS[d.state]) return null;
  const name = t('delivery.' + d.state, { error: d.error || '' });
  return h('span', { class: ['msg-delivery', 'delivery-' + d.state], testid: 'delivery', title: name, 'aria-label': name, dataset: { state: d.state } }, MARKS[d.state]);
}

// showDelivery updates a shown message's mark from a message.delivery event.
export function showDelivery(root, ev) {
  const el = root && root.querySelector('[data-id="' + CSS.escape(ev.message_id || '') + '"]');
  if (!el) return;
  const old = el.querySelector('.msg-delivery');
  const mark = deliveryEl({ state: ev.status, error: ev.reason });
  if (old && mark) old.replaceWith(mark);
  else if (mark) el.append(mark);
}

const OPEN = ['queued', 'in_work', 'waiting_client', 'closing'];

// isOpen says whether the dialog's session is still open.
export const isOpen = (d) => !!(d && d.session && OPEN.includes(d.session.status));

// isOfferedTo says whether the dialog waits in the queue offered to me.
export const isOfferedTo = (d, me) => isOpen(d) && d.session.status === 'queued' && (d.session.offered_to || []).includes(me.id);

// sessionButtons are the chat head's actions on d's session that the user
// may take: act(name) runs a session action, transfer() and vote() open
// their dialogs.
export function sessionButtons(d, { me, can, busy, act, transfer, vote }) {
  const se = d.session;
  if (!se) return [];
  const open = isOpen(d);
  const mine = open && se.operator_id === me.id;
  const offered = isOfferedTo(d, me);
  // Acting on a session someone else holds takes the intercept right;
  // the server checks its scope (own/team/all) on every action.
  const sup = can('dialogs.intercept');
  const heldByOther = open && se.operator_id && se.operator_id !== me.id;
  const btn = (name, label, kind, onclick) => h('button', {
    type: 'button', class: ['btn', 'btn-sm', kind ? 'btn-' + kind : 'btn-secondary'], testid: 'action-' + name, disabled: busy, onclick,
  }, label);
  const out = [];
  if (offered) {
    out.push(btn('take', t('action.take'), 'primary', () => act('take')));
    out.push(btn('skip', t('action.skip'), '', () => act('skip')));
  }
  if (open && (mine || offered || sup)) out.push(btn('transfer', t('action.transfer'), '', transfer));
  if (open && !mine) {
    if (sup && (heldByOther || se.status === 'queued')) out.push(btn('intercept', t('action.intercept'), '', () => act('intercept')));
    if (can('dialogs.join') && heldByOther) out.push(btn('join', t('action.join'), '', () => act('join')));
  }
  if (open && (mine || sup)) {
    out.push(se.pinned
      ? btn('unpin', t('action.unpin'), '', () => act('unpin'))
      : btn('pin', t('action.pin'), '', () => act('pin')));
  }
  if (open && se.status !== 'closing' && (mine || sup)) out.push(btn('finish', t('action.finish'), 'success', () => act('finish')));
  if (open && (mine || offered || sup)) {
    out.push(btn('spam', t('action.spam'), 'danger-ghost', () => { if (window.confirm(t('action.spamConfirm'))) act('spam'); }));
  }
  if (can('dialogs.vote')) out.push(btn('vote', t('action.vote'), '', vote));
  return out;
}

export function ratingText(r) {
  if (r.scale === 'stars') return t('chat.ratingStars', { stars: '★'.repeat(r.value) + '☆'.repeat(5 - r.value) });
  return r.value ? t('chat.ratingLike') : t('chat.ratingDislike');
}

// emptyIcon is the speech bubble of an empty chat pane.
export function emptyIcon() {
  return s('svg', { viewBox: '0 0 48 48', width: 56, height: 56, class: 'empty-icon', 'aria-hidden': 'true' },
    s('path', { d: 'M8 10h32a4 4 0 0 1 4 4v16a4 4 0 0 1-4 4H20l-8 7v-7H8a4 4 0 0 1-4-4V14a4 4 0 0 1 4-4z', fill: 'none', stroke: 'currentColor', 'stroke-width': 2.5, 'stroke-linejoin': 'round' }),
    s('path', { d: 'M14 20h20M14 26h12', stroke: 'currentColor', 'stroke-width': 2.5, 'stroke-linecap': 'round' }));
}

// openTransfer searches transfer targets and transfers the session of d.
// onDone(dialog, name) gets the server's answer; onGone() is called when
// the session is no longer the user's to see (404).
export function openTransfer(d, me, { onDone, onGone }) {
  if (!d || !d.session) return;
  const sid = d.session.id;
  const input = h('input', { type: 'search', class: 'input', testid: 'transfer-search', placeholder: t('transfer.placeholder'), autocomplete: 'off', 'aria-label': t('transfer.placeholder') });
  const results = h('div', { class: 'transfer-results', testid: 'transfer-results' });
  const err = h('p', { class: 'form-error', testid: 'transfer-error', role: 'alert', hidden: true });
  const m = modal(t('transfer.title'), [h('p', { class: 'muted' }, t('transfer.hint')), input, err, results], { testid: 'transfer-dialog' });
  let seq = 0;
  const search = debounce(async () => {
    const my = ++seq;
    try {
      const r = await api('GET', '/api/v1/transfer-targets' + q({ q: input.value.trim() }));
      if (my !== seq) return;
      show(r);
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  }, 120);
  input.addEventListener('input', search);
  search();
  input.focus();

  function group(title, items, kind) {
    if (!items.length) return null;
    return h('div', { class: 'tr-group' },
      h('h3', { class: 'tr-group-title' }, title),
      items.map((it) => h('button', {
        type: 'button', class: 'tr-item', testid: 'transfer-target', dataset: { kind, id: it.id },
        onclick: () => go(kind === 'line' ? { line_id: it.id } : { user_id: it.id }, it.name),
      },
      kind === 'line' ? h('span', { class: 'tr-icon', 'aria-hidden': 'true' }, '≡') : avatar(it.name, it.id, 'sm'),
      h('span', { class: 'tr-name' }, it.name),
      kind === 'user' ? presenceEl(it) : null,
      it.email ? h('span', { class: 'tr-sub muted' }, it.email) : null,
      kind === 'line' && it.id === d.line_id ? h('span', { class: 'tr-sub muted' }, t('transfer.currentLine')) : null)));
  }

  function show(r) {
    const users = r.users.filter((u) => u.id !== me.id);
    const gl = group(t('transfer.lines'), r.lines, 'line');
    const gu = group(t('transfer.users'), users, 'user');
    replace(results, gl || gu ? [gl, gu] : h('p', { class: 'muted', testid: 'transfer-none' }, t('transfer.none')));
  }

  async function go(body, name) {
    err.hidden = true;
    try {
      const nd = await api('POST', '/api/v1/sessions/' + encodeURIComponent(sid) + '/transfer', body);
      m.close();
      onDone(nd, name);
    } catch (e) {
      if (e.status === 404) { m.close(); onGone(); return; }
      err.textContent = e.message;
      err.hidden = false;
    }
  }
}

// presenceOf is a transfer target user's presence: online only while the
// server has a fresh sign of life (online); a stale "online" is offline.
export function presenceOf(u) {
  if (u.online) return 'online';
  return u.status && u.status !== 'online' ? u.status : 'offline';
}

function presenceEl(u) {
  const st = presenceOf(u);
  return h('span', { class: 'tr-presence', testid: 'transfer-presence', dataset: { status: st } },
    h('span', { class: 'presence-dot', dataset: { status: st }, 'aria-hidden': 'true' }), t('presence.' + st));
}

// openVote asks a supervisor's score (1–5) and comment for the session of d.
export function openVote(d, { onDone, onGone }) {
  if (!d || !d.session) return;
  let score = 0;
  const stars = h('div', { class: 'vote-stars', role: 'radiogroup', 'aria-label': t('vote.score') });
  const paint = () => stars.querySelectorAll('button').forEach((b, i) => {
    b.classList.toggle('on', i < score);
    b.setAttribute('aria-checked', String(i + 1 === score));
  });
  for (let i = 1; i <= 5; i++) {
    add(stars, h('button', { type: 'button', class: 'star', role: 'radio', testid: 'vote-' + i, 'aria-label': String(i), onclick: () => { score = i; paint(); } }, '★'));
  }
  const comment = h('textarea', { class: 'input', rows: 3, testid: 'vote-comment', placeholder: t('vote.comment') });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', {
    type: 'button', class: 'btn btn-primary', testid: 'vote-submit', onclick: async () => {
      if (!score) { err.textContent = t('vote.pick'); err.hidden = false; return; }
      try {
        await api('POST', '/api/v1/sessions/' + encodeURIComponent(d.session.id) + '/vote', { score, comment: comment.value });
        m.close();
        onDone();
      } catch (e) {
        if (e.status === 404) { m.close(); onGone(); return; }
        err.textContent = e.message;
        err.hidden = false;
      }
    },
  }, t('vote.submit'));
  const m = modal(t('vote.title'), [h('p', { class: 'muted' }, t('vote.hint')), stars, comment, err, h('div', { class: 'modal-foot' }, submit)], { testid: 'vote-dialog' });
}

// eventText shows a timeline event in the user's language from its code and
// parameters; an event this screen does not know keeps the server's text.
export function eventText(m) {
  const ev = m.event;
  if (!ev || t('event.' + ev.code) === 'event.' + ev.code) return m.text;
  const p = Object.assign({}, ev.params || {});
  if (p.reason) p.reason = t('reason.' + p.reason);
  if (ev.code === 'rated') {
    p.rating = p.scale === 'stars' ? t('event.rating.stars', { value: p.value }) : t(p.value === '1' ? 'event.rating.like' : 'event.rating.dislike');
  }
  return t('event.' + ev.code, p);
}
