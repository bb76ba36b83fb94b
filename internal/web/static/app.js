// OpenLines application entry: sign-in, the shell (header and navigation),
// the hash router, the real-time connection and the heartbeat.
import { api, onUnauthorized } from './api.js';
import { connect } from './ws.js';
import { h, replace, add } from './dom.js';
import { t, setLocale, getLocale, resolveLocale, setLoginLocale, LOCALES } from './i18n.js';
import * as inbox from './inbox.js';
import * as lines from './lines.js';
import * as users from './users.js';
import * as workspacePage from './workspace.js';
import * as roles from './roles.js';
import * as teams from './teams.js';
import * as audit from './audit.js';
import * as answers from './answers.js';
import * as statsPage from './stats.js';
import * as history from './history.js';
import * as staffing from './staffing.js';
import { setPermissions, can, scope, mayOpen, NAV } from './rights.js';
import * as notify from './notify.js';
import { install as installShortcuts } from './shortcuts.js';

const HEARTBEAT_MS = 30000;

// ctx is what pages get: who is signed in, the real-time bus, helpers.
const ctx = {
  me: null, // the signed-in user
  workspace: null,
  presence: null,
  permissions: {}, // permission → scope, from GET /me
  wsState: 'offline',
  // can(perm[, atLeast]) and scope(perm): the user's rights (rights.js).
  can,
  scope,
  send(msg) { if (socket) socket.send(msg); },
  on(type, fn) { (listeners[type] = listeners[type] || new Set()).add(fn); return () => listeners[type].delete(fn); },
  toast,
  navigate(hash) { if (location.hash === hash) route(); else location.hash = hash; },
};

const listeners = {};
function emit(type, arg) { for (const fn of listeners[type] || []) { try { fn(arg); } catch (e) { console.error(e); } } }

let socket = null;
let heartbeat = null;
let current = null; // {key, page}
const root = document.getElementById('app');

const pages = {
  inbox: { module: inbox, nav: 'inbox' },
  lines: { module: lines, nav: 'lines' },
  line: { module: lines, nav: 'lines', mount: 'mountLine' },
  users: { module: users, nav: 'users' },
  workspace: { module: workspacePage, nav: 'workspace' },
  roles: { module: roles, nav: 'roles' },
  teams: { module: teams, nav: 'teams' },
  audit: { module: audit, nav: 'audit' },
  answers: { module: answers, nav: 'answers' },
  history: { module: history, nav: 'history' },
  stats: { module: statsPage, nav: 'stats' },
  staffing: { module: staffing, nav: 'stats' },
};

function parseHash() {
  const parts = (location.hash || '').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'login': return { key: 'login' };
    case 'lines':
      if (parts[1]) return { key: 'line', params: { id: parts[1], tab: parts[2] || 'queue' } };
      return { key: 'lines', params: {} };
    case 'users': return { key: 'users', params: {} };
    case 'workspace': return { key: 'workspace', params: {} };
    case 'roles': return { key: 'roles', params: {} };
    case 'teams': return { key: 'teams', params: {} };
    case 'audit': return { key: 'audit', params: {} };
    case 'answers': return { key: 'answers', params: {} };
    case 'history': return { key: 'history', params: {} };
    case 'stats': return { key: 'stats', params: {} };
    case 'staffing': return { key: 'staffing', params: {} };
    case 'inbox': return { key: 'inbox', params: { dialog: parts[1] || '' } };
    default: return { key: 'inbox', params: {}, redirect: '#/inbox' };
  }
}

function route() {
  const r = parseHash();
  if (!ctx.me) {
    if (r.key !== 'login') { location.replace('#/login'); return; }
    unmountPage();
    renderLogin();
    return;
  }
  if (r.key === 'login' || r.redirect) { location.replace('#/inbox'); return; }
  if (current && current.key === r.key && current.page.update) {
    current.page.update(r.params);
    return;
  }
  showPage(r);
}

function unmountPage() {
  if (current && current.page.unmount) current.page.unmount();
  current = null;
}

function showPage(r) {
  unmountPage();
  const def = pages[r.key];
  renderShell(def.nav);
  const main = document.getElementById('main');
  document.title = t('nav.' + def.nav) + ' · OpenLines';
  if (!mayOpen(def.nav)) {
    // A link to a page this role does not show (or rights that just changed).
    replace(main, h('div', { class: 'page' }, h('div', { class: 'card notallowed', testid: 'not-allowed' },
      h('h1', {}, t('rights.notAllowed')),
      h('p', { class: 'muted' }, t('rights.notAllowedHint')),
      h('p', {}, h('a', { href: '#/inbox', testid: 'not-allowed-inbox' }, t('rights.toInbox'))))));
    current = { key: 'not-allowed:' + r.key, page: {} };
    return;
  }
  const page = def.module[def.mount || 'mount'](main, ctx, r.params) || {};
  current = { key: r.key, page };
}

// rerender rebuilds the shell and the page (after a language switch).
function rerender() {
  document.documentElement.lang = getLocale();
  if (!ctx.me) { renderLogin(); return; }
  showPage(parseHash());
}

// --- sign-in ---

function renderLogin() {
  document.title = t('login.title') + ' · OpenLines';
  const email = h('input', { class: 'input', type: 'email', name: 'email', autocomplete: 'username', required: true, testid: 'login-email' });
  const password = h('input', { class: 'input', type: 'password', name: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit', testid: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'login-card', novalidate: true, testid: 'login-form' },
    h('div', { class: 'login-brand' }, logo(), h('span', {}, 'OpenLines')),
    h('h1', {}, t('login.title')),
    h('p', { class: 'muted' }, t('login.subtitle')),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.email')), email),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.password')), password),
    error, submit,
    h('div', { class: 'login-lang' }, langSwitch((loc) => { setLoginLocale(loc); setLocale(loc); rerender(); })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      await api('POST', '/api/v1/auth/login', { email: email.value, password: password.value });
      await signedIn();
      location.replace('#/inbox');
      route();
    } catch (err) {
      error.textContent = err.status === 401 ? t('login.wrong') : err.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  replace(root, h('div', { class: 'login-page' }, form));
  email.focus();
}

// applyMe takes GET /api/v1/me: who is signed in, where, and their rights.
function applyMe(me) {
  ctx.me = me.user;
  ctx.workspace = me.workspace;
  ctx.permissions = me.permissions || {};
  setPermissions(ctx.permissions);
}

async function signedIn() {
  applyMe(await api('GET', '/api/v1/me'));
  setLocale(resolveLocale(ctx.me.locale));
  document.documentElement.lang = getLocale();
  notify.start(ctx);
  startRealtime();
}

function startRealtime() {
  stopRealtime();
  socket = connect({
    onEvent: (ev) => {
      if (ev.type === 'presence.changed' && ev.user_ids && ev.user_ids[0] === ctx.me.id && ctx.presence) {
        ctx.presence.status = ev.status;
        syncStatusSelect();
      }
      emit('event', ev);
    },
    onOpen: () => emit('resync'),
    onState: (st) => { ctx.wsState = st; syncConnState(); },
    onSignedOut: () => { if (ctx.me) signedOut(); },
    onRightsChanged: rightsChanged,
  });
  beat();
  heartbeat = setInterval(beat, HEARTBEAT_MS);
}

// rightsChanged reloads the user's rights (their role, its permissions or
// their teams changed) and redraws the navigation and the page with them.
let rightsSeq = 0;
async function rightsChanged() {
  const seq = ++rightsSeq;
  let me;
  try {
    me = await api('GET', '/api/v1/me');
  } catch (e) {
    return; // a 401 signs out; otherwise the next change or reload tries again
  }
  if (seq !== rightsSeq || !ctx.me || me.user.id !== ctx.me.id) return;
  const before = rightsKey(ctx.me.role, ctx.permissions);
  applyMe(me);
  // A change elsewhere (another role, a team) leaves this user's
  // permissions as they were: the reconnect's resync refetches the lists,
  // and the page, with whatever is being typed in it, stays.
  if (rightsKey(ctx.me.role, ctx.permissions) === before) return;
  showPage(parseHash());
}

function rightsKey(role, permissions) {
  return JSON.stringify([role, Object.entries(permissions || {}).filter(([, v]) => v !== 'none').sort()]);
}

function stopRealtime() {
  if (socket) socket.close();
  socket = null;
  clearInterval(heartbeat);
}

async function beat() {
  try {
    ctx.presence = await api('POST', '/api/v1/me/heartbeat');
    syncStatusSelect();
  } catch (e) { /* the next beat retries; a 401 signs out */ }
}

async function signOut() {
  try { await api('POST', '/api/v1/auth/logout'); } catch (e) { /* signed out anyway */ }
  signedOut();
}

function signedOut() {
  stopRealtime();
  notify.stop();
  unmountPage();
  ctx.me = null;
  ctx.presence = null;
  applyMe({ user: null, workspace: null, permissions: {} });
  setLocale(resolveLocale(''));
  location.replace('#/login');
  renderLogin();
}

onUnauthorized(() => { if (ctx.me) signedOut(); });

// --- shell ---

function logo() {
  return h('span', { class: 'logo', 'aria-hidden': 'true' }, 'OL');
}

function langSwitch(onPick) {
  const box = h('div', { class: 'seg', role: 'group', 'aria-label': t('header.language'), testid: 'lang-switch' });
  for (const loc of LOCALES) {
    add(box, h('button', {
      type: 'button', class: ['seg-btn', loc === getLocale() && 'active'], 'aria-pressed': String(loc === getLocale()),
      testid: 'lang-' + loc, title: t('lang.' + loc), onclick: () => { if (loc !== getLocale()) onPick(loc); },
    }, loc.toUpperCase()));
  }
  return box;
}

async function switchLocale(loc) {
  try {
    const u = await api('PATCH', '/api/v1/users/' + encodeURIComponent(ctx.me.id), { locale: loc });
    ctx.me = u;
  } catch (e) {
    toast(e.message, 'error');
    return;
  }
  setLocale(loc);
  rerender();
}

function renderShell(active) {
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.label') });
  const items = NAV.filter(mayOpen).map((key) => [key, '#/' + key]);
  for (const [key, href] of items) {
    add(nav, h('a', { href, class: ['nav-link', key === active && 'active'], testid: 'nav-' + key, 'aria-current': key === active ? 'page' : false }, t('nav.' + key)));
  }
  const status = h('select', { class: 'status-select', testid: 'status-select', 'aria-label': t('header.status'), id: 'status-select' });
  for (const st of ['online', 'away', 'dnd', 'offline']) add(status, h('option', { value: st }, t('presence.' + st)));
  status.addEventListener('change', async () => {
    try {
      ctx.presence = await api('PUT', '/api/v1/me/status', { status: status.value });
    } catch (e) { toast(e.message, 'error'); }
    syncStatusSelect();
  });
  const header = h('header', { class: ['topbar', items.length > 4 && 'topbar-many'] },
    h('a', { class: 'brand', href: '#/inbox' }, logo(), h('span', { class: 'brand-name' }, 'OpenLines'),
      h('span', { class: 'brand-ws', testid: 'workspace-name' }, ctx.workspace ? ctx.workspace.name : '')),
    nav,
    h('div', { class: 'topbar-right' },
      h('span', { class: 'conn', id: 'conn-state', testid: 'conn-state' }),
      h('div', { class: 'status-wrap' }, h('span', { class: 'status-dot', id: 'status-dot' }), status),
      notify.toggle(),
      langSwitch(switchLocale),
      h('span', { class: 'me', testid: 'me-name', title: ctx.me.email }, ctx.me.name),
      h('button', { class: 'btn btn-ghost btn-sm', type: 'button', testid: 'sign-out', onclick: signOut }, t('header.signOut'))));
  replace(root, header, h('main', { id: 'main', class: 'main' }), h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }));
  syncStatusSelect();
  syncConnState();
}

function syncStatusSelect() {
  const sel = document.getElementById('status-select');
  const dot = document.getElementById('status-dot');
  if (!sel || !ctx.presence) return;
  sel.value = ctx.presence.status;
  if (dot) dot.dataset.status = ctx.presence.status;
}

function syncConnState() {
  const el = document.getElementById('conn-state');
  if (!el) return;
  el.dataset.state = ctx.wsState;
  el.textContent = ctx.wsState === 'online' ? '' : t('conn.' + ctx.wsState);
  el.title = t('conn.' + ctx.wsState);
}

// toast shows a short message at the top centre, just below the header,
// where it covers no control of the composer. At most MAX_TOASTS stack (the
// oldest goes first); a click on one, or its ×, dismisses it.
const MAX_TOASTS = 3;
const TOAST_MS = 4000;
export function toast(message, kind) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    document.body.append(box);
  }
  // Below the header, however high it wrapped on a narrow screen (CSSOM,
  // which the style-src policy allows).
  const head = document.querySelector('.topbar');
  box.style.setProperty('--toast-top', Math.max(0, head ? head.getBoundingClientRect().bottom : 0) + 'px');
  const close = h('button', { type: 'button', class: 'toast-x', testid: 'toast-close', 'aria-label': t('common.close') }, '×');
  const el = h('div', { class: ['toast', kind && 'toast-' + kind], testid: 'toast', role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-text' }, message), close);
  let timers = [];
  const dismiss = () => { timers.forEach(clearTimeout); el.remove(); };
  el.addEventListener('click', dismiss);
  box.append(el);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  timers = [setTimeout(() => el.classList.add('toast-out'), TOAST_MS), setTimeout(dismiss, TOAST_MS + 500)];
}

// --- start ---

async function boot() {
  window.addEventListener('hashchange', route);
  installShortcuts();
  try {
    await signedIn();
  } catch (e) {
    ctx.me = null;
    setLocale(resolveLocale(''));
  }
  document.documentElement.lang = getLocale();
  route();
}

boot();
