// Sound and desktop notifications of new offers and of customers' messages,
// opt-in per user with the bell in the header.
//
// The choice is kept in this browser's localStorage under the user's id
// (openlines.notify.<user id>), not on the server: whether a desktop may
// show notifications is itself a per-browser permission, an operator may
// want them at the desk and not on the laptop, and no API carries screen
// preferences yet. Another user of the same browser has a choice of their own.
//
// When on, a dialog offered to me, or a customer's message in a dialog I
// hold or am offered, notifies unless that dialog is the one open in a
// visible tab: a Notification with the customer's name and the text (a
// click focuses the window and opens the dialog) and a short tone drawn
// with the Web Audio API. My own messages, notes and auto-replies never
// notify (only direction "in", kind "text").
import { api } from './api.js';
import { h, s, replace } from './dom.js';
import { t } from './i18n.js';
import { isOfferedTo } from './chat-parts.js';

const PREVIEW_CHARS = 140;
const SAME_DIALOG_MS = 2000; // an offer and its first message are one notification

let ctx = null;
let off = null;
let audio = null; // the AudioContext, made on the click that switched the bell on
const lastAt = new Map(); // dialog id → when it last notified

const key = () => 'openlines.notify.' + ctx.me.id;

// enabled says whether the signed-in user switched notifications on here.
export function enabled() {
  try { return !!(ctx && ctx.me) && localStorage.getItem(key()) === 'on'; } catch (e) { return false; }
}

function store(on) {
  try { localStorage.setItem(key(), on ? 'on' : 'off'); } catch (e) { /* private mode: on for this page only */ }
}

// start listens to the real-time events of the signed-in user (ctx.me).
export function start(c) {
  stop();
  ctx = c;
  off = ctx.on('event', (ev) => { if (enabled()) consider(ev); });
}

export function stop() {
  if (off) off();
  off = null;
}

async function consider(ev) {
  const me = ctx.me;
  let m = null;
  if (ev.type === 'session.offered') {
    if (!(ev.user_ids || []).includes(me.id)) return;
  } else if (ev.type === 'message.created') {
    m = ev.data;
    if (!m || m.direction !== 'in' || m.kind !== 'text') return;
  } else {
    return;
  }
  const id = ev.dialog_id;
  if (!id || (openHere(id) && document.visibilityState === 'visible')) return;
  let d;
  try { d = await api('GET', '/api/v1/dialogs/' + encodeURIComponent(id)); } catch (e) { return; }
  // A supervisor hears every message of the workspace: only those of
  // dialogs that are mine or offered to me notify.
  if (m && d.operator_id !== me.id && !isOfferedTo(d, me)) return;
  if (!m && !isOfferedTo(d, me)) return; // taken meanwhile
  if (!enabled() || (openHere(id) && document.visibilityState === 'visible')) return;
  const now = Date.now();
  if (now - (lastAt.get(id) || 0) < SAME_DIALOG_MS) return;
  lastAt.set(id, now);
  const name = (d.customer && d.customer.name) || t('inbox.customerN', { id: (d.customer && d.customer.external_id) || '' });
  const text = (m ? m.text : d.last_message && d.last_message.text) || '';
  show(m ? name : t('notify.offer', { name }), text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS - 1) + '…' : text, id);
  beep();
}

const openHere = (id) => location.hash === '#/inbox/' + encodeURIComponent(id);

function show(title, body, dialogId) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  let n;
  try {
    n = new Notification(title, { body, tag: 'openlines-' + dialogId, lang: document.documentElement.lang });
  } catch (e) { return; } // Chrome on Android wants a service worker for these
  n.onclick = () => {
    window.focus();
    location.hash = '#/inbox/' + encodeURIComponent(dialogId);
    n.close();
  };
}

// beep plays two short soft tones.
function beep() {
  if (!audio) return;
  try {
    if (audio.state === 'suspended') audio.resume();
    const at = audio.currentTime;
    for (const [f, dt] of [[880, 0], [660, 0.12]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, at + dt);
      gain.gain.exponentialRampToValueAtTime(0.2, at + dt + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + dt + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(at + dt);
      osc.stop(at + dt + 0.2);
    }
  } catch (e) { /* no sound, the notification still shows */ }
}

// Browsers let a page start sound only after a click on it: the context
// is made (or resumed) by the click on the bell and by any later click.
function unlockAudio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  try {
    if (!audio) audio = new AC();
    if (audio.state === 'suspended') audio.resume();
  } catch (e) { audio = null; }
}
document.addEventListener('pointerdown', () => { if (enabled()) unlockAudio(); }, { capture: true });

function bell(on) {
  const P = (d) => s('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.7, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' });
  return s('svg', { viewBox: '0 0 20 20', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false' },
    P('M5 14V9a5 5 0 0 1 10 0v5l1.5 1.5h-13z'), P('M8.5 17.5a1.8 1.8 0 0 0 3 0'),
    on ? null : P('M3 3l14 14'));
}

// toggle is the header's bell: a switch for this user's notifications.
export function toggle() {
  const btn = h('button', { type: 'button', class: 'icon-btn notify-toggle', testid: 'notify-toggle' });
  const sync = () => {
    const on = enabled();
    btn.setAttribute('aria-pressed', String(on));
    btn.classList.toggle('active', on);
    btn.setAttribute('aria-label', t('notify.toggle'));
    btn.title = on ? t('notify.on') : t('notify.off');
    replace(btn, bell(on));
  };
  btn.addEventListener('click', async () => {
    if (enabled()) { store(false); sync(); return; }
    unlockAudio();
    store(true);
    sync();
    if (!('Notification' in window)) { ctx.toast(t('notify.unsupported'), 'error'); return; }
    // Asked on every switch-on: it prompts only while undecided, and an
    // old callback-style browser answers undefined (then permission tells).
    let perm;
    try { perm = await Notification.requestPermission(); } catch (e) { perm = 'denied'; }
    if ((perm || Notification.permission) !== 'granted') ctx.toast(t('notify.blocked'), 'error');
  });
  sync();
  return btn;
}
