// OpenLines web-chat widget: the chat bubble a site embeds with
//
//   <script src="https://HOST/widget.js" data-channel="ID" async></script>
//
// One classic script, no imports and no build step (docs/WIDGET.md is the
// wire contract with the server). Everything is drawn inside a shadow root,
// so the site's CSS cannot reach it, and only with createElement and
// textContent: what a customer or an operator writes never becomes markup.
// The bubble is drawn before anything is fetched; the channel's public
// config follows. The visitor token lives in localStorage (one key per
// channel); the conversation comes from GET /widget/v1/messages and then
// live over the visitor's WebSocket, which resumes after the last message
// shown, and a message id already shown is dropped, so nothing is missed or
// shown twice.
(() => {
  'use strict';
  const W = window, D = document;
  const me = D.currentScript || D.querySelector('script[src*="widget.js"][data-channel]');
  if (!me || !me.src) return;
  const ds = me.dataset;
  const CH = ds.channel || '';
  const BASE = new URL(me.src, location.href).origin;
  const reg = W.__openlinesWidgets = W.__openlinesWidgets || {};
  if (!CH || reg[CH]) return;
  reg[CH] = 1;
  const enc = encodeURIComponent;

  // --- strings ---
  const EN = {
    bubble: 'Chat with us', unreadN: 'new messages', title: 'Chat with us', close: 'Close chat',
    placeholder: 'Write a message…', send: 'Send', typing: 'The operator is typing…', isTyping: 'is typing…',
    sending: 'Sending…', failed: 'Not sent. Retry', rate: 'How was the conversation?', of5: 'of 5',
    like: 'Good', dislike: 'Bad', thanks: 'Thank you for your rating!', name: 'Name', email: 'E-mail',
    phone: 'Phone', start: 'Start chat', required: 'Required', badEmail: 'Enter a valid e-mail address',
    prechat: 'Please introduce yourself before we start.', reconnecting: 'Reconnecting…',
    error: 'Something went wrong. Please try again.', tooFast: 'You are sending too fast. Wait a moment.',
    tooLong: 'The message is too long (at most 4,000 characters).', unavailable: 'The chat is unavailable right now.',
    identity: 'Sign in on the site to chat with us.', offHours: 'We are closed now. Leave a message and we will answer during working hours.',
    operator: 'Operator', messages: 'Conversation', attach: 'Attach a file', big: 'The file is too large: at most',
    quota: 'There is no room for more files now.', wait: 'Try again in %s s.', units: ['B', 'KB', 'MB', 'GB'], refused: 'Not sent',
  };
  const RU = {
    bubble: 'Чат с нами', unreadN: 'новых сообщений', title: 'Чат с нами', close: 'Закрыть чат',
    placeholder: 'Напишите сообщение…', send: 'Отправить', typing: 'Оператор печатает…', isTyping: 'печатает…',
    sending: 'Отправляется…', failed: 'Не отправлено. Повторить', rate: 'Как прошёл разговор?', of5: 'из 5',
    like: 'Хорошо', dislike: 'Плохо', thanks: 'Спасибо за оценку!', name: 'Имя', email: 'E-mail',
    phone: 'Телефон', start: 'Начать чат', required: 'Обязательное поле', badEmail: 'Введите корректный e-mail',
    prechat: 'Представьтесь, пожалуйста, прежде чем мы начнём.', reconnecting: 'Переподключение…',
    error: 'Что-то пошло не так. Попробуйте ещё раз.', tooFast: 'Вы отправляете слишком часто. Подождите немного.',
    tooLong: 'Сообщение слишком длинное (не больше 4 000 символов).', unavailable: 'Чат сейчас недоступен.',
    identity: 'Войдите на сайте, чтобы написать нам.', offHours: 'Сейчас мы не работаем. Оставьте сообщение, и мы ответим в рабочее время.',
    operator: 'Оператор', messages: 'Переписка', attach: 'Прикрепить файл', big: 'Файл слишком большой: не больше',
    quota: 'Сейчас нет места для новых файлов.', wait: 'Повторите через %s с.', units: ['Б', 'КБ', 'МБ', 'ГБ'], refused: 'Не отправлено',
  };
  const LANG = /^ru\b/i.test(ds.locale || D.documentElement.lang || navigator.language || '') ? 'ru' : 'en';
  const T = LANG === 'ru' ? RU : EN;

  // --- DOM helpers: strings only ever become text ---
  const el = (tag, props, ...kids) => {
    const e = D.createElement(tag);
    for (const k in props || {}) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids) if (c != null && c !== false) e.append(c);
    return e;
  };
  const svg = (d) => {
    const NS = 'http://www.w3.org/2000/svg';
    const s = D.createElementNS(NS, 'svg'), p = D.createElementNS(NS, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    p.setAttribute('d', d);
    s.append(p);
    return s;
  };
  const clear = (e) => { while (e.firstChild) e.firstChild.remove(); };

  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;z-index:2147483000!important;visibility:visible!important;opacity:1!important;transform:none!important;contain:none!important}
*{box-sizing:border-box}
[hidden]{display:none!important}
.r{--c:#2563eb;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111827;text-align:left;direction:ltr}
button{font:inherit}
.bub{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;padding:0;margin:0;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.28);display:flex;align-items:center;justify-content:center}
.bub:focus-visible{outline:3px solid #111827;outline-offset:3px}
.bub svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;border-radius:10px;padding:0 5px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}
.win{position:fixed;right:20px;bottom:88px;width:370px;height:min(600px,calc(100vh - 108px));background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden}
.hd{background:var(--c);color:#fff;padding:12px 10px 12px 16px;display:flex;align-items:center;gap:10px}
.tt{flex:1;min-width:0}
.tt b{display:block;font-size:15px}
.tt small{display:block;font-size:12px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-height:1em}
.x{background:transparent;border:0;color:inherit;width:34px;height:34px;border-radius:8px;cursor:pointer;display:flex;align-items:center;justify-content:center;padding:0}
.x svg{width:20px;height:20px;fill:currentColor}
.x:focus-visible{outline:2px solid #fff}
.bd{flex:1;overflow-y:auto;padding:12px;background:#f3f4f6;display:flex;flex-direction:column;gap:8px}
.note{background:#fef3c7;color:#78350f;border-radius:8px;padding:8px 10px;font-size:13px;white-space:pre-wrap}
.list{display:flex;flex-direction:column;gap:6px}
.row{display:flex;flex-direction:column;max-width:85%}
.row.in{align-self:flex-end;align-items:flex-end}
.row.out,.greet{align-self:flex-start}
.m,.greet{padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}
.greet,.out .m{background:#fff;border:1px solid #e5e7eb}
.in .m{background:var(--c);color:#fff}
.auto .m{background:#eef2ff;border-color:#e0e7ff}
.pending .m{opacity:.65}
.failed .m{outline:2px solid #dc2626}
.meta{font-size:11px;color:#6b7280;margin:2px 4px 0}
.retry{background:none;border:0;color:#b91c1c;cursor:pointer;padding:0;font-size:11px;text-decoration:underline}
.who{display:flex;align-items:center;gap:6px;font-size:12px;color:#4b5563;margin:4px 0 2px}
.av{width:24px;height:24px;border-radius:50%;background:#d1d5db;color:#1f2937;font-size:10px;font-weight:700;display:inline-flex;align-items:center;justify-content:center;object-fit:cover;flex:none}
.typ{font-size:12px;color:#4b5563;padding:2px 14px;min-height:20px;background:#f3f4f6}
.rate{align-self:center;text-align:center;background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:10px 12px}
.rate p{margin:0 0 6px}
.rbs{display:flex;gap:6px;justify-content:center}
.rb{border:1px solid #d1d5db;background:#fff;border-radius:8px;min-width:40px;height:36px;cursor:pointer;font-size:17px;color:#b45309}
.rb:hover,.rb:focus-visible{border-color:var(--c);outline:none;box-shadow:0 0 0 2px var(--c)}
.pre{display:flex;flex-direction:column;gap:8px;background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:12px}
.pre p{margin:0}
.pre label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:#374151}
.pre input{border:1px solid #9ca3af;border-radius:6px;padding:7px 8px;font:inherit;color:#111827;background:#fff}
.pre input[aria-invalid=true]{border-color:#dc2626}
.fe{color:#b91c1c;font-size:11px}
.go,.snd{background:var(--c);color:#fff;border:0;border-radius:8px;padding:8px 12px;font-weight:600;cursor:pointer}
.go:focus-visible,.snd:focus-visible,.rb:focus-visible{outline:2px solid #111827;outline-offset:2px}
.cmp{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
textarea{flex:1;min-width:0;resize:none;border:1px solid #9ca3af;border-radius:8px;padding:8px 10px;font:inherit;color:#111827;background:#fff;height:40px;max-height:120px}
textarea:focus,.pre input:focus{outline:2px solid var(--c);outline-offset:-1px}
.att{background:none;border:0;padding:0;margin-right:-2px;color:#4b5563;cursor:pointer;border-radius:8px}
.att svg{width:22px;height:22px;fill:currentColor}
.att:focus-visible{outline:2px solid var(--c)}
.fimg img{display:block;max-width:100%;max-height:220px;border-radius:8px;background:#e5e7eb}
.m a{color:inherit}
.chip{display:flex;align-items:center;gap:6px;text-decoration:none}
.chip svg{width:20px;height:20px;fill:currentColor;flex:none}
.chip small{opacity:.8;white-space:nowrap}
progress{display:block;width:100%;height:6px;margin-top:4px}
.drop{outline:3px dashed var(--c);outline-offset:-6px}
.err{color:#b91c1c;background:#fff;font-size:12px;padding:0 12px 8px}
@media (max-width:480px){.win{left:0;top:0;right:0;bottom:0;width:auto;height:auto;border-radius:0}.open .bub{display:none}}
@media (prefers-reduced-motion:no-preference){.win{animation:olin .15s ease-out}}
@keyframes olin{from{opacity:0;transform:translateY(8px)}}
`;

  // --- the bubble first: no network before it is on the page ---
  const host = D.createElement('openlines-widget');
  host.setAttribute('data-channel', CH);
  const root = host.attachShadow({ mode: 'open' });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // constructed sheets pass a site's CSP style-src
    root.adoptedStyleSheets = [sheet];
  } catch (_) {
    root.append(el('style', { text: CSS }));
  }
  const wrap = el('div', { class: 'r', 'data-testid': 'widget', lang: LANG });
  const badge = el('span', { class: 'badge', 'data-testid': 'unread', hidden: true, 'aria-hidden': 'true' });
  const bubble = el('button', { type: 'button', class: 'bub', 'data-testid': 'bubble', 'aria-expanded': 'false', 'aria-label': T.bubble, 'aria-haspopup': 'dialog' },
    svg('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z'), badge);
  wrap.append(bubble);
  root.append(wrap);
  (D.body || D.documentElement).append(host);

  // --- the window (drawn now, shown on open) ---
  const sub = el('small', { 'data-testid': 'subtitle' });
  const closeBtn = el('button', { type: 'button', class: 'x', 'data-testid': 'close', 'aria-label': T.close }, svg('M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z'));
  const off = el('div', { class: 'note', 'data-testid': 'off-hours', hidden: true });
  const greet = el('div', { class: 'greet', 'data-testid': 'greeting', hidden: true });
  const list = el('div', { class: 'list', 'data-testid': 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': T.messages });
  const rateBox = el('div', { class: 'rate', 'data-testid': 'rating', hidden: true });
  const pre = el('form', { class: 'pre', 'data-testid': 'prechat', hidden: true, novalidate: true });
  const body = el('div', { class: 'bd' }, off, greet, pre, list, rateBox);
  const typ = el('div', { class: 'typ', 'data-testid': 'typing', 'aria-live': 'polite' });
  const ta = el('textarea', { 'data-testid': 'composer', rows: 1, maxlength: 4000, placeholder: T.placeholder, 'aria-label': T.placeholder });
  const sendBtn = el('button', { type: 'submit', class: 'snd', 'data-testid': 'send' }, T.send);
  const fileIn = el('input', { type: 'file', multiple: true, hidden: true, tabindex: '-1', 'data-testid': 'file-input' });
  const attBtn = el('button', { type: 'button', class: 'att', 'data-testid': 'attach', 'aria-label': T.attach, title: T.attach },
    svg('M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z'));
  const cmp = el('form', { class: 'cmp', 'data-testid': 'composer-form' }, attBtn, fileIn, ta, sendBtn);
  const err = el('div', { class: 'err', 'data-testid': 'error', role: 'alert', hidden: true });
  const win = el('div', { class: 'win', role: 'dialog', 'aria-modal': 'true', 'aria-label': T.title, 'data-testid': 'window', hidden: true, id: 'ol-win' },
    el('div', { class: 'hd' }, el('div', { class: 'tt' }, el('b', { text: T.title }), sub), closeBtn),
    body, typ, err, cmp);
  bubble.setAttribute('aria-controls', 'ol-win');
  wrap.insertBefore(win, bubble);

  // --- state ---
  const KEY = 'openlines.widget.' + CH;
  let mem = null;
  const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || 'null') || {}; } catch (_) { return mem || {}; } };
  const save = () => { mem = saved; try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (_) { /* private mode: memory only */ } };
  let saved = load(); // {token, visitor_id, user_id, read}
  let ident = { user_id: ds.userId || '', user_hash: ds.userHash || '', name: '', email: '' };
  let cfg = null, isOpen = false, unread = 0, tones = 0;
  const shown = new Map(); // message id → row
  const pend = new Map(); // client_id → {row, text}
  let lastId = '', lastOutId = '', opName = '', session = null, rated = false;
  let loaded = false, loading = null, creating = null;
  let ws = null, wsReady = false, backoff = 1000, retryTimer = 0, stopped = false;
  let seenRead = '', seenDelivered = '', lastTyping = 0, typingTimer = 0, errTimer = 0;

  if (saved.token && (saved.user_id || '') !== ident.user_id) saved = {}; // another person signed in (or out) on the site

  // --- HTTP ---
  const api = async (method, path, data) => {
    const headers = {};
    if (data !== undefined) headers['Content-Type'] = 'application/json';
    if (saved.token) headers.Authorization = 'Bearer ' + saved.token;
    let res;
    try {
      res = await fetch(BASE + path, { method, headers, body: data === undefined ? undefined : JSON.stringify(data), credentials: 'omit', mode: 'cors', cache: 'no-store' });
    } catch (_) {
      throw Object.assign(new Error('network'), { status: 0, code: 'network' });
    }
    let out = null;
    if (res.status !== 204) try { out = await res.json(); } catch (_) { out = null; }
    if (!res.ok) throw fail(res.status, out, res.headers.get('Retry-After'));
    return out;
  };
  const fail = (status, out, retry) => {
    const e = (out && out.error) || {};
    return Object.assign(new Error(e.message || String(status)), { status, code: e.code || '', reason: e.reason || '', params: e.params || {}, retry });
  };
  // upload sends a file as the request's body with XMLHttpRequest, for its
  // progress; client makes a repeat the same message, as client_id does.
  const upload = (p, cid) => new Promise((ok, no) => {
    const x = new XMLHttpRequest();
    x.open('POST', BASE + '/widget/v1/files?client=' + enc(cid) + '&name=' + enc(p.file.name || 'file'));
    x.setRequestHeader('Authorization', 'Bearer ' + saved.token);
    x.upload.onprogress = (e) => { if (e.lengthComputable) p.bar.value = Math.round((e.loaded * 100) / e.total); };
    x.onload = () => {
      let out = null;
      try { out = JSON.parse(x.responseText); } catch (_) { /* not JSON */ }
      if (x.status < 300) ok(out);
      else no(fail(x.status, out, x.getResponseHeader('Retry-After')));
    };
    x.onerror = () => no(fail(0, null));
    x.send(p.file);
  });

  const showErr = (text) => {
    err.textContent = text;
    err.hidden = false;
    clearTimeout(errTimer);
    errTimer = setTimeout(() => { err.hidden = true; }, 8000);
  };
  const onErr = (e) => {
    const s = e && e.status, c = e && e.code;
    if (s === 401 || c === 'token_invalid' || c === 'unauthorized') return void restart();
    if (c === 'origin_not_allowed') return void refuse();
    if (c === 'identity_invalid') return void showErr(T.identity);
    if (s === 413) return void showErr(e.reason === 'quota_exceeded' ? T.quota : T.big + ' ' + size(e.params.max) + '.');
    if (s === 429) return void showErr(T.tooFast + (e.retry ? ' ' + T.wait.replace('%s', e.retry) : ''));
    showErr(T.error);
  };

  // --- messages ---
  const hhmm = (iso) => {
    const d = new Date(iso || Date.now());
    return isNaN(d) ? '' : d.toLocaleTimeString(LANG, { hour: '2-digit', minute: '2-digit' });
  };
  const size = (n) => {
    let i = 0;
    n = +n || 0;
    for (; n >= 1024 && i < 3; i++) n /= 1024;
    return n.toLocaleString(LANG, { maximumFractionDigits: i && n < 10 ? 1 : 0 }) + ' ' + T.units[i];
  };
  // A message's file: a picture's preview, or a chip that downloads it,
  // from the signed path the server gave (on the widget's server).
  const fileEl = (f) => {
    const url = /^\/files\//.test(f.url || '') ? BASE + f.url : '';
    const name = el('span', { 'data-testid': 'message-text', text: f.name || '' });
    if (f.image && url) {
      return el('div', { class: 'm' }, el('a', { class: 'fimg', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'file-preview' },
        el('img', { src: url, alt: f.name || '', loading: 'lazy', referrerpolicy: 'no-referrer', 'data-testid': 'file-img' })), name);
    }
    return el('div', { class: 'm' }, el(url ? 'a' : 'span', { class: 'chip', href: url || null, download: f.name || '', rel: 'noopener noreferrer', 'data-testid': 'file-chip' },
      svg('M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z'), name, el('small', { text: size(f.size) })));
  };
  const initials = (n) => (String(n || '').trim().split(/\s+/).slice(0, 2).map((w) => Array.from(w)[0] || '').join('') || '?').toUpperCase();
  const avatarURL = (s) => {
    if (typeof s !== 'string' || !s) return '';
    try {
      const u = new URL(s, BASE);
      if (u.protocol === 'https:' || u.origin === BASE) return u.href;
    } catch (_) { /* not a URL */ }
    return '';
  };
  const avatar = (a) => {
    const mono = () => el('span', { class: 'av', 'data-testid': 'avatar-initials', 'aria-hidden': 'true', text: initials(a.name) });
    const url = avatarURL(a.avatar);
    if (!url) return mono();
    const img = el('img', { class: 'av', alt: '', 'data-testid': 'avatar', referrerpolicy: 'no-referrer' });
    img.addEventListener('error', () => img.replaceWith(mono()));
    img.src = url;
    return img;
  };

  const row = (m) => {
    const out = m.direction === 'out';
    const kind = m.kind === 'auto' || m.kind === 'rating_request' ? ' auto' : '';
    const a = out && m.author && m.author.name ? m.author : null;
    const r = el('div', { class: 'row ' + (out ? 'out' : 'in') + kind, 'data-testid': 'message', 'data-direction': out ? 'out' : 'in', 'data-id': m.id || '', 'data-kind': m.kind || 'text' });
    r.dataset.who = a ? a.name : '';
    const prev = list.lastElementChild;
    if (a && (!prev || prev.dataset.who !== a.name)) r.append(el('div', { class: 'who', 'data-testid': 'author' }, avatar(a), el('span', { text: a.name })));
    r.append(m.file ? fileEl(m.file) : el('div', { class: 'm', 'data-testid': 'message-text', text: m.text || '' }), el('div', { class: 'meta', 'data-testid': 'message-meta', text: hhmm(m.created_at) }));
    return r;
  };

  const atEnd = () => body.scrollHeight - body.scrollTop - body.clientHeight < 60;
  const toEnd = () => { body.scrollTop = body.scrollHeight; };

  // add shows a message of the server once; live says it arrived now (not
  // with the history), stream that it came in the server's order (history,
  // socket) so `after` can resume from it.
  const add = (m, stream, live) => {
    if (!m || !m.id) return;
    if (stream) lastId = m.id;
    if (m.direction === 'out' && stream) lastOutId = m.id;
    if (m.id === saved.read) unread = 0;
    if (shown.has(m.id)) return;
    const end = atEnd();
    const r = row(m);
    const p = m.client_id && pend.get(m.client_id);
    if (p) {
      p.row.replaceWith(r);
      pend.delete(m.client_id);
    } else list.append(r);
    shown.set(m.id, r);
    if (m.direction === 'out') {
      if (m.author && m.author.name) { opName = m.author.name; status(); }
      if (live) { clearTimeout(typingTimer); typ.textContent = ''; }
      if (m.id !== saved.read && !(isOpen && visible())) {
        unread++;
        if (live && !isOpen) tone();
      }
      badgeUpdate();
    }
    if (end || p) toEnd();
  };

  const pendingRow = (cid, text) => {
    const r = el('div', { class: 'row in pending', 'data-testid': 'message', 'data-direction': 'in', 'data-pending': 'true', 'data-client-id': cid },
      el('div', { class: 'm', 'data-testid': 'message-text', text }), el('div', { class: 'meta', 'data-testid': 'message-meta', text: T.sending }));
    r.dataset.who = '';
    return r;
  };
  const failed = (cid, e) => {
    const p = pend.get(cid);
    if (!p) return;
    p.net = !e || e.status === 0;
    p.row.classList.add('failed');
    const meta = p.row.lastElementChild;
    clear(meta);
    // A file over the limits would be refused again: no retry.
    if (e && e.status === 413) { pend.delete(cid); p.bar.remove(); return void meta.append(T.refused); }
    meta.append(el('button', { type: 'button', class: 'retry', 'data-testid': 'retry', onclick: () => post(cid) }, T.failed));
  };

  const post = async (cid) => {
    const p = pend.get(cid);
    if (!p) return;
    p.row.classList.remove('failed');
    p.row.lastElementChild.textContent = T.sending;
    try {
      await cfgReady;
      await visitor();
      const r = p.file ? await upload(p, cid) : await api('POST', '/widget/v1/messages', { client_id: cid, text: p.text });
      const m = r && r.message;
      if (m) {
        if (!m.client_id) m.client_id = cid;
        add(m, false, false);
      }
    } catch (e) {
      failed(cid, e);
      onErr(e);
    }
  };

  const submit = () => {
    const text = ta.value.trim();
    if (!text) return;
    if (text.length > 4000) return void showErr(T.tooLong);
    if (cfg && cfg.identity_required && !ident.user_id) return void showErr(T.identity);
    ta.value = '';
    const cid = uuid();
    const r = pendingRow(cid, text);
    pend.set(cid, { row: r, text });
    list.append(r);
    toEnd();
    post(cid);
  };

  // attach sends each file as a message of its own, shown at once with
  // its progress.
  const attach = (files) => {
    for (const file of Array.from(files || [])) {
      if (cfg && cfg.identity_required && !ident.user_id) return void showErr(T.identity);
      const cid = uuid();
      const r = pendingRow(cid, file.name || 'file');
      const bar = el('progress', { max: 100, value: 0, 'data-testid': 'upload-progress' });
      r.firstChild.append(bar);
      pend.set(cid, { row: r, file, bar });
      list.append(r);
      toEnd();
      post(cid);
    }
  };

  const uuid = () => {
    const c = W.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    const b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.random() * 256;
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  };

  // --- visitor, history, socket ---
  const visitor = () => {
    if (saved.token) return Promise.resolve();
    if (!creating) {
      creating = (async () => {
        const b = Object.assign({ locale: LANG }, prechatData || {});
        if (ident.name && !b.name) b.name = ident.name;
        if (ident.email && !b.email) b.email = ident.email;
        if (ident.user_id) { b.user_id = ident.user_id; b.user_hash = ident.user_hash; }
        const r = await api('POST', '/widget/v1/channels/' + enc(CH) + '/visitors', b);
        saved = { token: r.token, visitor_id: r.visitor_id, user_id: ident.user_id, read: '' };
        save();
        pre.hidden = true;
        cmp.hidden = false;
        if (ident.user_id) await history(); // a known customer: the same dialog on every device
        connect();
      })();
      creating.then(() => { creating = null; }, () => { creating = null; });
    }
    return creating;
  };

  const history = () => {
    if (!saved.token) return Promise.resolve();
    if (!loading) {
      loading = (async () => {
        let after = lastId;
        for (let i = 0; i < 50; i++) {
          const r = await api('GET', '/widget/v1/messages?limit=200' + (after ? '&after=' + enc(after) : ''));
          const ms = (r && r.messages) || [];
          for (const m of ms) add(m, true, false);
          if (r && r.session !== undefined) setSession(r.session);
          if (ms.length < 200) break;
          after = ms[ms.length - 1].id;
        }
        loaded = true;
        badgeUpdate();
        seen();
      })();
      loading.then(() => { loading = null; }, (e) => { loading = null; onErr(e); });
    }
    return loading;
  };

  const wsOpen = () => ws && wsReady && ws.readyState === 1;
  const connect = () => {
    clearTimeout(retryTimer);
    if (!saved.token || stopped || ws) return;
    const s = new WebSocket(BASE.replace(/^http/, 'ws') + '/widget/v1/socket');
    ws = s;
    wsReady = false;
    s.onopen = () => s.send(JSON.stringify({ type: 'hello', token: saved.token, after: lastId }));
    s.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (_) { return; }
      if (ws !== s || !f) return;
      if (f.type === 'ready') {
        wsReady = true;
        backoff = 1000;
        wrap.dataset.conn = 'online';
        status();
        seen();
        for (const [cid, p] of pend) if (p.net) post(cid); // sent while offline
      } else if (f.type === 'message') {
        add(f.message, true, wsReady);
        if (f.message && f.message.direction === 'out') seen();
      } else if (f.type === 'typing') {
        typ.textContent = opName ? opName + ' ' + T.isTyping : T.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typ.textContent = ''; }, 5000);
      } else if (f.type === 'session') setSession(f.session);
    };
    s.onclose = (ev) => {
      if (ws !== s) return;
      ws = null;
      wsReady = false;
      wrap.dataset.conn = 'offline';
      status();
      if (ev.code === 4001) return void restart();
      if (ev.code === 4003) return void refuse();
      retryTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  };
  const disconnect = () => {
    clearTimeout(retryTimer);
    const s = ws;
    ws = null;
    wsReady = false;
    if (s) try { s.close(1000); } catch (_) { /* closed already */ }
  };

  // restart forgets the visitor (its token was revoked, or another person
  // signed in on the site) and starts over with an empty conversation.
  const restart = () => {
    disconnect();
    saved = {};
    save();
    shown.clear();
    pend.clear();
    clear(list);
    lastId = lastOutId = opName = seenRead = seenDelivered = '';
    loaded = false;
    unread = 0;
    setSession(null);
    badgeUpdate();
    status();
    if (isOpen) begin();
  };

  // refuse: the server does not serve this site (unknown channel, origin
  // not allowed). Nothing of the widget stays on the page.
  const refuse = () => {
    stopped = true;
    disconnect();
    host.remove();
    W.OpenLines = { identify() {}, open() {}, close() {} };
  };

  // --- seen, unread, sound ---
  const visible = () => D.visibilityState !== 'hidden';
  const seen = () => {
    if (!saved.token || !lastOutId) return;
    const read = isOpen && visible();
    if (read ? seenRead === lastOutId : seenDelivered === lastOutId || seenRead === lastOutId) return;
    seenDelivered = lastOutId;
    if (read) {
      seenRead = lastOutId;
      saved.read = lastOutId;
      save();
      unread = 0;
      badgeUpdate();
    }
    const f = { message_id: lastOutId, read };
    if (wsOpen()) ws.send(JSON.stringify(Object.assign({ type: 'seen' }, f)));
    else api('POST', '/widget/v1/seen', f).catch(() => {});
  };
  const badgeUpdate = () => {
    if (isOpen && visible()) unread = 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    badge.hidden = !unread;
    wrap.dataset.unread = String(unread);
    bubble.setAttribute('aria-label', unread ? T.bubble + ' (' + unread + ' ' + T.unreadN + ')' : T.bubble);
  };
  let actx = null;
  const audio = () => {
    try {
      const A = W.AudioContext || W.webkitAudioContext;
      if (!actx && A) actx = new A();
      if (actx && actx.state === 'suspended') actx.resume().catch(() => {});
    } catch (_) { actx = null; }
  };
  const tone = () => {
    tones++;
    wrap.dataset.tones = String(tones);
    try {
      audio();
      if (!actx) return;
      const o = actx.createOscillator(), g = actx.createGain(), t0 = actx.currentTime;
      o.type = 'sine';
      o.frequency.setValueAtTime(880, t0);
      o.frequency.setValueAtTime(660, t0 + 0.09);
      g.gain.setValueAtTime(0.0001, t0);
      g.gain.exponentialRampToValueAtTime(0.12, t0 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.28);
      o.connect(g);
      g.connect(actx.destination);
      o.start(t0);
      o.stop(t0 + 0.3);
    } catch (_) { /* no sound: the badge still shows */ }
  };
  D.addEventListener('pointerdown', audio, { once: true, capture: true, passive: true });

  const status = () => {
    sub.textContent = saved.token && wrap.dataset.conn === 'offline' ? T.reconnecting : opName;
  };

  // --- rating ---
  const setSession = (s) => {
    session = s || null;
    const r = session && session.rating;
    clear(rateBox);
    if (!r || !r.asked || r.value != null || rated) {
      rateBox.hidden = !rated;
      if (rated) rateBox.append(el('p', { 'data-testid': 'rating-thanks', text: T.thanks }));
      return;
    }
    const scale = r.scale || (cfg && cfg.rating && cfg.rating.scale) || 'stars';
    const stars = /^stars/.test(scale);
    const values = stars ? [1, 2, 3, 4, 5] : [1, 0];
    const btns = el('div', { class: 'rbs', role: 'group', 'aria-label': T.rate });
    for (const v of values) {
      const label = stars ? v + ' ' + T.of5 : v ? T.like : T.dislike;
      btns.append(el('button', { type: 'button', class: 'rb', 'data-testid': 'rate', 'data-value': v, 'aria-label': label, title: label, onclick: () => rate(v) },
        stars ? '★'.repeat(v) : v ? '👍' : '👎'));
    }
    rateBox.append(el('p', { text: T.rate }), btns);
    rateBox.hidden = false;
    if (atEnd()) toEnd();
  };
  const rate = async (v) => {
    try {
      await api('POST', '/widget/v1/rating', { value: v });
      rated = true;
    } catch (e) {
      if (e.status !== 409) return void onErr(e);
    }
    if (session && session.rating) session.rating.value = v;
    setSession(session);
    if (!rated) rateBox.hidden = true;
  };

  // --- pre-chat form ---
  let prechatData = null;
  const needPrechat = () => !!(cfg && cfg.prechat && cfg.prechat.enabled && (cfg.prechat.fields || []).length && !saved.token && !ident.user_id);
  const buildPrechat = () => {
    clear(pre);
    const req = (cfg.prechat.required || []);
    const inputs = {};
    pre.append(el('p', { text: T.prechat }));
    for (const f of cfg.prechat.fields) {
      if (!/^(name|email|phone)$/.test(f)) continue;
      const id = 'ol-f-' + f;
      const input = el('input', { id, name: f, 'data-testid': 'prechat-' + f, type: f === 'email' ? 'email' : f === 'phone' ? 'tel' : 'text',
        autocomplete: f === 'phone' ? 'tel' : f, required: req.includes(f), maxlength: 200, 'aria-describedby': id + '-e' });
      const fe = el('span', { class: 'fe', id: id + '-e', 'data-testid': 'prechat-error-' + f });
      inputs[f] = { input, fe };
      pre.append(el('label', { for: id }, T[f] + (req.includes(f) ? ' *' : ''), input, fe));
    }
    pre.append(el('button', { type: 'submit', class: 'go', 'data-testid': 'prechat-submit' }, T.start));
    pre.onsubmit = (e) => {
      e.preventDefault();
      const data = {};
      let bad = null;
      for (const f in inputs) {
        const { input, fe } = inputs[f];
        const v = input.value.trim();
        let msg = '';
        if (!v && req.includes(f)) msg = T.required;
        else if (v && f === 'email' && !/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(v)) msg = T.badEmail;
        fe.textContent = msg;
        input.setAttribute('aria-invalid', msg ? 'true' : 'false');
        if (msg && !bad) bad = input;
        if (v) data[f] = v;
      }
      if (bad) return void bad.focus();
      prechatData = data;
      visitor().then(() => { if (isOpen) ta.focus(); }, onErr);
    };
  };

  // --- open, close, keyboard ---
  let cfgReady = null;
  const begin = () => {
    if (!cfg) return;
    if (!saved.token) {
      if (needPrechat()) {
        buildPrechat();
        pre.hidden = false;
        cmp.hidden = true;
      } else if (ident.user_id) visitor().catch(onErr);
    } else if (!loaded) history().then(connect, () => {});
  };
  const focusables = () => Array.from(win.querySelectorAll('button,textarea,input,select,a[href],[tabindex]:not([tabindex="-1"])'))
    .filter((x) => !x.disabled && x.getClientRects().length);
  const focusFirst = () => {
    const f = !pre.hidden ? pre.querySelector('input') : ta;
    (f || closeBtn).focus();
  };
  const open = () => {
    if (stopped) return;
    if (isOpen) return void focusFirst();
    isOpen = true;
    wrap.classList.add('open');
    win.hidden = false;
    bubble.setAttribute('aria-expanded', 'true');
    audio();
    focusFirst();
    toEnd();
    badgeUpdate();
    if (cfgReady) cfgReady.then(() => { begin(); if (isOpen) { focusFirst(); seen(); } }, () => {});
  };
  const close = () => {
    if (!isOpen) return;
    isOpen = false;
    wrap.classList.remove('open');
    win.hidden = true;
    bubble.setAttribute('aria-expanded', 'false');
    bubble.focus();
  };
  bubble.addEventListener('click', () => (isOpen ? close() : open()));
  closeBtn.addEventListener('click', close);
  win.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      return void close();
    }
    if (e.key !== 'Tab') return;
    const f = focusables();
    if (!f.length) return;
    const a = root.activeElement, first = f[0], last = f[f.length - 1];
    if (!win.contains(a) || (e.shiftKey ? a === first : a === last)) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  });
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  ta.addEventListener('input', () => {
    if (!saved.token || !ta.value.trim()) return;
    const now = Date.now();
    if (now - lastTyping < 2000) return;
    lastTyping = now;
    if (wsOpen()) ws.send('{"type":"typing"}');
    else api('POST', '/widget/v1/typing', {}).catch(() => {});
  });
  attBtn.addEventListener('click', () => fileIn.click());
  fileIn.addEventListener('change', () => { attach(fileIn.files); fileIn.value = ''; });
  ta.addEventListener('paste', (e) => {
    const fs = (e.clipboardData && e.clipboardData.files) || [];
    if (fs.length) { e.preventDefault(); attach(fs); }
  });
  const files = (e) => !cmp.hidden && e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  win.addEventListener('dragover', (e) => { if (files(e)) { e.preventDefault(); win.classList.add('drop'); } });
  win.addEventListener('dragleave', () => win.classList.remove('drop'));
  win.addEventListener('drop', (e) => {
    win.classList.remove('drop');
    if (files(e)) { e.preventDefault(); attach(e.dataTransfer.files); }
  });
  cmp.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
    ta.focus();
  });
  D.addEventListener('visibilitychange', () => { badgeUpdate(); seen(); });
  W.addEventListener('online', () => { if (!ws && saved.token && !stopped) { backoff = 1000; connect(); } });
  // Another tab of the site made the visitor: this one joins it.
  W.addEventListener('storage', (e) => {
    if (e.key !== KEY || saved.token) return;
    const n = load();
    if (n.token && (n.user_id || '') === ident.user_id) {
      saved = n;
      pre.hidden = true;
      cmp.hidden = false;
      history().then(connect, () => {});
    }
  });

  // --- the JavaScript API ---
  const str = (v) => (v == null ? '' : String(v));
  const queued = Array.isArray(W.OpenLines) ? W.OpenLines : [];
  W.OpenLines = {
    identify(o) {
      o = o || {};
      const uid = str(o.user_id);
      ident = { user_id: uid, user_hash: str(o.user_hash), name: str(o.name), email: str(o.email) };
      if (saved.token && (saved.user_id || '') !== uid) restart();
      else if (isOpen && !saved.token && uid && cfg) visitor().catch(onErr);
    },
    open,
    close,
  };
  for (const [m, ...args] of queued) if (typeof W.OpenLines[m] === 'function') W.OpenLines[m](...args);

  // --- then the network ---
  cfgReady = api('GET', '/widget/v1/channels/' + enc(CH)).then((c) => {
    cfg = c || {};
    if (/^#[0-9a-f]{6}$/i.test(cfg.color || '')) wrap.style.setProperty('--c', cfg.color);
    greet.textContent = cfg.greeting || '';
    greet.hidden = !cfg.greeting;
    off.textContent = cfg.off_hours ? cfg.off_hours_text || T.offHours : '';
    off.hidden = !cfg.off_hours;
    wrap.dataset.ready = 'true';
    if (saved.token) history().then(connect, () => {});
  });
  cfgReady.catch(refuse);
})();
