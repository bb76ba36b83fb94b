// Keyboard shortcuts of the inbox. They act on what the inbox shows (the
// list's items, the chat head's buttons), as a click would, so they follow
// the same rules and rights as the pointer. Single keys work only while the
// focus is not in a text field, so typing never triggers them; the Alt
// combinations are made to work from the composer too. "?" lists them.
import { h, modal } from './dom.js';
import { t } from './i18n.js';

// [keys shown, help key, test of a keydown (in a text field?), what it does]
const KEYS = [
  [['J', 'Alt+↓'], 'next', (e, typing) => (!typing && plain(e) && e.key === 'j') || (alt(e) && e.key === 'ArrowDown'), () => move(1)],
  [['K', 'Alt+↑'], 'prev', (e, typing) => (!typing && plain(e) && e.key === 'k') || (alt(e) && e.key === 'ArrowUp'), () => move(-1)],
  [['T'], 'take', (e, typing) => !typing && plain(e) && e.key === 't', () => press('action-take')],
  [['F'], 'finish', (e, typing) => !typing && plain(e) && e.key === 'f', () => press('action-finish')],
  [['R', 'Alt+R'], 'reply', (e, typing) => (!typing && plain(e) && e.key === 'r') || (alt(e) && e.code === 'KeyR'), focusComposer],
  [['Esc'], 'leave', (e, typing) => typing && e.key === 'Escape' && e.target.matches('[data-testid=composer]'), () => document.activeElement.blur()],
  [['?'], 'help', (e, typing) => !typing && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === '?', help],
];

const plain = (e) => !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey;
const alt = (e) => e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey;
const inInbox = () => !!document.querySelector('[data-testid=dialog-list]');

function isTyping(el) {
  return !!el && (el.isContentEditable || el.matches('input, textarea, select'));
}

// install listens once for the whole application; off() stops it.
export function install() {
  const onKey = (e) => {
    if (e.defaultPrevented || e.isComposing || !inInbox() || document.querySelector('dialog[open]')) return;
    const typing = isTyping(e.target);
    for (const [, , test, run] of KEYS) {
      if (test(e, typing)) {
        e.preventDefault();
        run();
        return;
      }
    }
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

// move opens the next (1) or previous (-1) dialog of the list shown.
function move(step) {
  const items = [...document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]')];
  if (!items.length) return;
  const at = items.findIndex((el) => el.classList.contains('selected'));
  const next = items[at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step))];
  if (next && next !== items[at]) {
    next.click();
    next.scrollIntoView({ block: 'nearest' });
  }
}

function press(testid) {
  const b = document.querySelector('[data-testid=chat-actions] [data-testid=' + testid + ']');
  if (b && !b.disabled) b.click();
}

function focusComposer() {
  const ta = document.querySelector('[data-testid=composer]');
  if (ta) ta.focus();
}

// help shows the shortcuts in a modal dialog: focus goes into it, Escape
// closes it, and the focus comes back where it was.
function help() {
  const back = document.activeElement;
  const rows = KEYS.map(([keys, name]) => h('div', { class: 'kbd-row', testid: 'shortcut' },
    h('dt', {}, keys.map((k, i) => [i ? ' / ' : '', h('kbd', {}, k === 'Esc' ? t('keys.esc') : k)])),
    h('dd', {}, t('keys.' + name))));
  const m = modal(t('keys.title'), [h('p', { class: 'muted' }, t('keys.hint')), h('dl', { class: 'kbd-list' }, rows)], {
    testid: 'shortcuts-help',
    onClose: () => { if (back && back.isConnected && back.focus) back.focus(); },
  });
  m.el.setAttribute('role', 'dialog');
  m.el.setAttribute('aria-modal', 'true');
  const title = m.el.querySelector('.modal-title');
  title.id = 'shortcuts-title';
  m.el.setAttribute('aria-labelledby', title.id);
}
