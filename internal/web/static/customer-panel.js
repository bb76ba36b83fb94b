// The customer panel beside the chat (issue 11): who the customer is, the
// channel they write through, and their sessions, the latest first, each
// with a link to its place in the timeline (GET /api/v1/dialogs/{id}/sessions).
// A customer belongs to one channel and has one dialog there, so these are
// all their sessions. Wide screens show it as a column that collapses;
// narrower ones (below 1440 px) open it over the chat with the same button in
// the chat head.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { t, fmtDateTime } from './i18n.js';

const NARROW = '(max-width: 1439px)'; // below it the panel opens over the chat, on demand
const P = { open: null }; // the user's choice, kept across re-mounts; null: by the screen's width

// statusChip is a session status as a coloured chip.
export function statusChip(status) {
  return h('span', { class: ['chip', 'chip-' + status], testid: 'status-chip', dataset: { status } }, t('status.' + status));
}

// customerName is the customer's name, or their external id when nameless.
export const customerName = (d) => (d.customer && d.customer.name) || t('inbox.customerN', { id: (d.customer && d.customer.external_id) || '' });

// jumpTo scrolls the timeline msgsEl to the first message of a session and
// marks it for a moment; false when the session has no message there.
export function jumpTo(msgsEl, sessionId) {
  const m = msgsEl && [...msgsEl.querySelectorAll('[data-session]')].find((x) => x.dataset.session === sessionId);
  if (!m) return false;
  m.scrollIntoView({ block: 'center' });
  m.classList.remove('msg-flash');
  void m.offsetWidth; // restart the animation
  m.classList.add('msg-flash');
  return true;
}

// customerPanel builds the panel. userName(id) names an operator;
// onJump(sessionId) shows that session in the timeline.
export function customerPanel({ layout, userName, onJump }) {
  const body = h('div', { class: 'cp-body', testid: 'customer-panel-body' });
  const close = h('button', { type: 'button', class: 'icon-btn cp-close', 'aria-label': t('customer.hide'), onclick: () => setOpen(false) }, '×');
  const el = h('aside', { class: 'customer-panel', testid: 'customer-panel', 'aria-label': t('customer.title') },
    h('div', { class: 'cp-head' }, h('h3', {}, t('customer.title')), close), body);
  const button = () => h('button', {
    type: 'button', class: ['btn', 'btn-secondary', 'btn-sm', 'cp-toggle', isOpen() && 'active'], testid: 'customer-toggle',
    'aria-expanded': String(isOpen()), onclick: () => setOpen(!layout.classList.contains('cp-open')), // what the user sees
  }, t('customer.button'));
  let toggles = [];
  let dialogId = '';
  let sig = '';
  let seq = 0;
  let card = null;

  const narrow = window.matchMedia(NARROW);
  function isOpen() { return P.open === null ? !narrow.matches : P.open; }
  function setOpen(on) {
    P.open = on;
    sync();
  }
  function sync() {
    layout.classList.toggle('cp-open', isOpen());
    for (const b of toggles) { b.classList.toggle('active', isOpen()); b.setAttribute('aria-expanded', String(isOpen())); }
  }

  // show follows the dialog open in the chat; its history is read again
  // when its session changes (a new one, a status).
  async function show(d) {
    if (!d) { dialogId = sig = ''; card = null; replace(body); return; }
    const s = JSON.stringify([d.id, d.session && d.session.id, d.session && d.session.status, d.operator_id, d.customer]);
    if (s === sig) return;
    if (d.id !== dialogId) { card = null; replace(body, h('div', { class: 'muted' }, t('common.loading'))); }
    dialogId = d.id;
    sig = s;
    const my = ++seq;
    try {
      const r = await api('GET', '/api/v1/dialogs/' + encodeURIComponent(d.id) + '/sessions');
      if (my !== seq) return;
      card = r;
      render();
    } catch (e) {
      if (my === seq) { sig = ''; replace(body, h('div', { class: 'muted' }, e.message)); }
    }
  }

  function render() {
    if (!card) return;
    const c = card.customer || {};
    const kind = card.channel && card.channel.type;
    const kindKey = 'channelType.' + kind;
    const kindName = kind && t(kindKey) !== kindKey ? t(kindKey) : kind;
    const row = (label, value, testid) => [h('dt', {}, label), h('dd', { testid }, value)];
    const sessions = (card.sessions || []).map((se, i) => h('li', { class: 'cp-session', testid: 'cp-session', dataset: { sessionId: se.id } },
      h('div', { class: 'cp-session-top' }, statusChip(se.status), i === 0 ? h('span', { class: 'muted' }, t('customer.current')) : null,
        h('a', {
          href: '#/inbox/' + encodeURIComponent(card.dialog_id), class: 'cp-jump', testid: 'cp-jump',
          onclick: (e) => { e.preventDefault(); onJump(se.id); if (narrow.matches) setOpen(false); },
        }, t('customer.showInChat'))),
      h('div', { class: 'cp-session-times' }, fmtDateTime(se.opened_at), ' — ', se.closed_at ? fmtDateTime(se.closed_at) : t('customer.notClosed')),
      h('div', { class: 'muted' }, t('customer.operator', { name: se.operator_id ? userName(se.operator_id) : t('customer.nobody') }))));
    replace(body,
      h('div', { class: 'cp-name', testid: 'cp-name' }, c.name || t('inbox.customerN', { id: c.external_id || '' })),
      h('dl', { class: 'cp-facts' },
        row(t('customer.channel'), [kindName || '', card.channel && card.channel.name ? ' · ' + card.channel.name : ''].join(''), 'cp-channel'),
        c.email ? row(t('customer.email'), h('a', { href: 'mailto:' + c.email }, c.email), 'cp-email') : null,
        c.phone ? row(t('customer.phone'), h('a', { href: 'tel:' + c.phone.replace(/[^0-9+]/g, '') }, c.phone), 'cp-phone') : null,
        row(t('customer.externalId'), c.external_id || '', 'cp-external-id')),
      h('h4', { class: 'cp-sub' }, t('customer.sessions', { n: sessions.length })),
      sessions.length ? h('ol', { class: 'cp-sessions', testid: 'cp-sessions' }, sessions) : h('div', { class: 'muted' }, t('customer.noSessions')));
  }

  sync();
  narrow.addEventListener('change', sync); // by the width until the user chooses
  return {
    el,
    destroy() { narrow.removeEventListener('change', sync); },
    show,
    // toggle is a new button that opens and closes the panel (the chat head's).
    toggle() { const b = button(); toggles = toggles.filter((x) => x.isConnected).concat(b); return b; },
    // names: operators' names are known now.
    render,
  };
}
