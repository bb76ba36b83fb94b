// The operator inbox: dialog lists (offered to me, mine, queue, all) kept
// live from WebSocket events, and the chat pane with the whole history, the
// composer and the session actions.
import { api, q } from './api.js';
import { h, add, replace, debounce, avatar } from './dom.js';
import { t, fmtDay, fmtShort, dayKey } from './i18n.js';
import { PAGE, tabQuery, fetchDialogs, onMyLines, readMarks } from './inbox-lists.js';
import { showDelivery, openTransfer, openVote, messageEl, ratingText, emptyIcon, isOpen, isOfferedTo, sessionButtons, channelIcon } from './chat-parts.js';
import { inboxFilters } from './inbox-filters.js';
import { customerPanel, customerName, statusChip, jumpTo } from './customer-panel.js';
import { quickPanel } from './quick-panel.js';
import { attachments, previewText, previewEl } from './uploads.js';

const TABS = ['offered', 'mine', 'queue', 'all'];
const TYPING_SHOW_MS = 3000;
const TYPING_SEND_MS = 2000;
const LIST_CATCHUP_MS = 700;

// What the operator was looking at; kept across re-mounts (a language switch).
// The private-note mode is not kept: every dialog opens in reply mode.
const S = { tab: 'offered', preview: {}, drafts: {} };

export function mount(root, ctx, params) {
  const me = ctx.me;
  let alive = true;
  let selected = '';
  const data = {
    lists: { offered: [], mine: [], queue: [], all: [] },
    loaded: false,
    lines: new Map(),
    users: new Map(),
    dialog: null,
    messages: [],
    msgIds: new Set(),
    loadingMessages: false,
    pending: [],
  };
  let listSeq = 0;
  let headSeq = 0;
  let msgSeq = 0;
  let typingTimer = null;
  let lastTypingSent = 0;
  let busy = false;
  const itemCache = new Map(); // dialog id → {sig, el} of its list item

  const tabsEl = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('inbox.lists') });
  const listEl = h('ul', { class: 'dialog-list', testid: 'dialog-list', 'aria-live': 'polite' });
  const chatEl = h('section', { class: 'chat', testid: 'chat' });
  const layout = h('div', { class: 'inbox' });
  const filters = inboxFilters({ lines: () => data.lines, tab: () => S.tab, can: ctx.can, onChange: () => loadLists() });
  const panel = customerPanel({ layout, userName: (id) => userName(id), onJump: (sid) => jumpTo(msgsEl, sid) });
  replace(root, add(layout, [h('aside', { class: 'dialog-pane' }, filters.el, tabsEl, listEl), chatEl, panel.el]));

  // Elements of the open chat.
  let headEl = null;
  let msgsEl = null;
  let typingEl = null;
  let errorEl = null;
  let composer = null; // {ta, noteBtn, sendBtn, hint, sync()}
  let lastDay = '';

  // --- helpers ---

  const lineName = (id) => (data.lines.get(id) || {}).name || '';
  const userName = (id) => (data.users.get(id) || {}).name || t('inbox.someone');
  const offeredToMe = (d) => isOfferedTo(d, me);

  // --- data loading ---

  async function loadMeta() {
    const [ls, us] = await Promise.all([api('GET', '/api/v1/lines'), api('GET', '/api/v1/users')]);
    data.lines = new Map(ls.lines.map((l) => [l.id, l]));
    data.users = new Map(us.users.map((u) => [u.id, u]));
  }

  // Every tab shows as many dialogs as its "load more" asked for.
  const want = { offered: PAGE, mine: PAGE, queue: PAGE, all: PAGE };
  const cursors = { offered: '', mine: '', queue: '', all: '' };
  let moreBusy = false;
  const fetchTab = (tab, cursor, n) => fetchDialogs({ ...tabQuery(tab, me), ...(tab === S.tab ? filters.query() : {}) }, cursor, n);
  // Unread counts are the server's (d.unread, after my read marker); a
  // customer message counts one more here until the next fetch of the lists.
  const reads = readMarks(() => listSeq);
  const visible = (tab, ds, seq) => reads.fix(tab === 'queue' ? onMyLines(ds, data.lines, me) : ds, seq);
  const listed = (id) => Object.values(data.lists).flat().filter((d) => d.id === id);
  const unreadOf = (d) => (d.id === selected ? 0 : d.unread || 0);
  async function markRead(id) {
    try { await reads.mark(id); } catch (e) { return; } // the head tells of a dialog gone
    for (const d of listed(id)) d.unread = 0;
    if (alive) renderList();
  }
  const markSoon = debounce(markRead, 300);

  function listsChanged() {
    const shown = new Set(Object.values(data.lists).flat().map((d) => d.id));
    for (const id of itemCache.keys()) if (!shown.has(id)) itemCache.delete(id);
    renderTabs();
    renderList();
  }

  async function loadLists() {
    const seq = ++listSeq;
    let r;
    try {
      r = await Promise.all(TABS.map((tab) => fetchTab(tab, '', want[tab])));
    } catch (e) {
      if (seq === listSeq && alive && e.status !== 401) ctx.toast(e.message, 'error');
      return;
    }
    if (seq !== listSeq || !alive) return;
    TABS.forEach((tab, i) => { data.lists[tab] = visible(tab, r[i].dialogs, seq); cursors[tab] = r[i].cursor; });
    data.loaded = true;
    listsChanged();
  }

  async function loadMore(tab) {
    if (!cursors[tab] || moreBusy) return;
    moreBusy = true;
    renderList();
    const seq = listSeq;
    try {
      const r = await fetchTab(tab, cursors[tab], PAGE);
      if (!alive) return;
      want[tab] += PAGE;
      if (seq !== listSeq) { scheduleLists(); return; } // a load began before: load again with the new want
      const have = new Set(data.lists[tab].map((d) => d.id));
      data.lists[tab] = data.lists[tab].concat(visible(tab, r.dialogs, seq).filter((d) => !have.has(d.id)));
      cursors[tab] = r.cursor;
    } catch (e) {
      if (alive && e.status !== 401) ctx.toast(e.message, 'error');
    } finally {
      moreBusy = false;
      if (alive) listsChanged();
    }
  }

  const moreBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', testid: 'list-more', onclick: () => loadMore(S.tab) });
  const moreEl = h('li', { class: 'list-more' }, moreBtn);

  // A message moves its dialog to the top of the lists at once; the lists
  // are fetched again at most every LIST_CATCHUP_MS for what else it
  // changed (statuses), so a busy workspace does not flood the server.
  let catchup = null;
  function bumpDialog(m) {
    const at = Date.parse(m.created_at);
    for (const list of Object.values(data.lists)) {
      const d = list.find((x) => x.id === m.dialog_id);
      if (!d) continue;
      if (Date.parse(d.last_message_at) < at) d.last_message_at = m.created_at;
      list.sort((a, b) => Date.parse(b.last_message_at) - Date.parse(a.last_message_at));
    }
    renderList();
    if (!catchup) catchup = setTimeout(() => { catchup = null; scheduleLists(); }, LIST_CATCHUP_MS);
  }

  async function loadHead() {
    const id = selected;
    if (!id) return;
    const seq = ++headSeq;
    try {
      const d = await api('GET', '/api/v1/dialogs/' + encodeURIComponent(id));
      if (seq !== headSeq || selected !== id || !alive) return;
      const first = !data.dialog;
      data.dialog = d;
      renderHead();
      panel.show(d);
      if (composer) composer.sync();
      // Customer bubbles carry the customer's name, known now.
      if (first && !data.loadingMessages && data.messages.length) renderMessages();
    } catch (e) {
      if (selected !== id || !alive) return;
      if (e.status === 404) { gone(id); return; }
      showError(e.message);
    }
  }

  async function loadMessages() {
    const id = selected;
    if (!id) return;
    const seq = ++msgSeq;
    data.loadingMessages = true;
    data.pending = [];
    try {
      const all = [];
      let after = '';
      for (;;) {
        const r = await api('GET', '/api/v1/dialogs/' + encodeURIComponent(id) + '/messages' + q({ limit: 1000, after }));
        all.push(...r.messages);
        if (r.messages.length < 1000) break;
        after = r.messages[r.messages.length - 1].id;
      }
      if (seq !== msgSeq || selected !== id || !alive) return;
      const ids = new Set(all.map((m) => m.id));
      for (const m of data.pending) if (!ids.has(m.id)) { all.push(m); ids.add(m.id); }
      data.messages = all;
      data.msgIds = ids;
      data.loadingMessages = false;
      data.pending = [];
      renderMessages();
      const last = [...all].reverse().find((m) => m.kind === 'text');
      if (last) S.preview[id] = previewText(last);
    } catch (e) {
      if (seq === msgSeq) data.loadingMessages = false;
      if (selected === id && alive && e.status !== 404) showError(e.message);
    }
  }

  // gone drops a dialog the user may no longer see (404: outside their
  // scope now, or deleted) from the lists, quietly; an open chat of it says so.
  function gone(id) {
    if (!id) return;
    for (const k of Object.keys(data.lists)) data.lists[k] = data.lists[k].filter((d) => d.id !== id);
    itemCache.delete(id);
    if (data.loaded) { renderTabs(); renderList(); }
    if (selected === id) { data.dialog = null; renderMissing(); }
  }

  const scheduleLists = debounce(loadLists, 50);
  const scheduleHead = debounce(loadHead, 50);

  // --- the list ---

  function renderTabs() {
    const counts = { offered: data.lists.offered.length, mine: data.lists.mine.length, queue: data.lists.queue.length };
    replace(tabsEl, TABS.map((tab) => h('button', {
      type: 'button', role: 'tab', class: ['tab', S.tab === tab && 'active', tab === 'offered' && counts.offered > 0 && 'tab-alert'],
      'aria-selected': String(S.tab === tab), testid: 'tab-' + tab,
      onclick: () => { S.tab = tab; if (filters.active()) { data.loaded = false; loadLists(); } filters.render(); renderTabs(); renderList(); },
    }, h('span', { class: 'tab-label' }, t('inbox.tab.' + tab)),
    tab in counts && data.loaded ? h('span', { class: 'tab-count', testid: 'tab-count-' + tab }, counts[tab] + (cursors[tab] ? '+' : '')) : null)));
    const n = counts.offered;
    document.title = (n ? '(' + n + ') ' : '') + t('nav.inbox') + ' · OpenLines';
  }

  function renderList() {
    const list = data.lists[S.tab] || [];
    moreBtn.disabled = moreBusy;
    moreBtn.textContent = moreBusy ? t('common.loading') : t('inbox.more');
    if (!data.loaded) {
      replace(listEl, h('li', { class: 'list-empty' }, t('common.loading')));
      return;
    }
    if (list.length === 0) {
      replace(listEl, h('li', { class: 'list-empty', testid: 'list-empty' }, filters.active() ? t('filters.none') : t('inbox.empty.' + S.tab)), cursors[S.tab] ? moreEl : null);
      return;
    }
    // Unchanged items keep their element, so a refresh that changes
    // nothing leaves the list alone (no flicker, no lost clicks).
    const nodes = list.map((d) => {
      const sig = itemSig(d);
      const c = itemCache.get(d.id);
      if (c && c.sig === sig) return c.el;
      const el = itemFor(d);
      itemCache.set(d.id, { sig, el });
      return el;
    });
    if (cursors[S.tab]) nodes.push(moreEl);
    const cur = listEl.children;
    if (cur.length === nodes.length && nodes.every((n, i) => cur[i] === n)) return;
    replace(listEl, nodes);
  }

  function itemSig(d) {
    return JSON.stringify([d.status, d.last_message_at, d.operator_id, d.line_id, d.customer, d.session && d.session.offered_to,
      unreadOf(d), S.preview[d.id] || '', d.id === selected, lineName(d.line_id), d.operator_id ? userName(d.operator_id) : '']);
  }

  function itemFor(d) {
    const name = customerName(d);
    const offered = offeredToMe(d);
    const unread = unreadOf(d);
    const op = d.operator_id && d.operator_id !== me.id ? userName(d.operator_id) : '';
    return h('li', {
      class: ['dialog-item', d.id === selected && 'selected', offered && 'offered', unread > 0 && 'unread'],
      testid: 'dialog-item', dataset: { dialogId: d.id, status: d.status }, tabindex: '0', role: 'button',
      'aria-current': d.id === selected ? 'true' : false,
      onclick: () => openDialog(d.id),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openDialog(d.id); } },
    },
    avatar(name, d.customer && d.customer.id),
    h('div', { class: 'di-body' },
      h('div', { class: 'di-top' },
        h('span', { class: 'di-name', testid: 'dialog-name' }, name),
        h('time', { class: 'di-time', datetime: d.last_message_at }, fmtShort(d.last_message_at))),
      h('div', { class: 'di-preview', testid: 'dialog-preview' }, previewEl(S.preview[d.id] || (d.last_message && d.last_message.text) || '')),
      h('div', { class: 'di-meta' },
        offered ? h('span', { class: 'chip chip-offer', testid: 'offer-chip' }, t('inbox.offeredToYou')) : statusChip(d.status),
        channelIcon(d.channel_id), h('span', { class: 'di-line' }, lineName(d.line_id)),
        op ? h('span', { class: 'di-op' }, '· ' + op) : null,
        unread > 0 ? h('span', { class: 'badge', testid: 'unread', title: t('inbox.unread') }, String(unread)) : null)));
  }

  // --- the chat ---

  function openDialog(id) {
    ctx.navigate('#/inbox/' + encodeURIComponent(id));
  }

  function select(id) {
    if (id === selected && data.dialog) return;
    selected = id;
    data.dialog = null;
    data.messages = [];
    data.msgIds = new Set();
    layout.classList.toggle('has-chat', !!id);
    panel.show(null);
    if (!id) { renderEmpty(); renderList(); return; }
    markRead(id);
    renderList();
    renderChatSkeleton();
    loadHead();
    loadMessages();
  }

  function renderEmpty() {
    headEl = msgsEl = typingEl = errorEl = composer = null;
    replace(chatEl, h('div', { class: 'chat-empty', testid: 'chat-empty' },
      emptyIcon(),
      h('h2', {}, t('inbox.noDialog')),
      h('p', { class: 'muted' }, t('inbox.noDialogHint'))));
  }

  function renderMissing() {
    headEl = msgsEl = typingEl = errorEl = composer = null;
    replace(chatEl, h('div', { class: 'chat-empty', testid: 'chat-missing' }, h('h2', {}, t('inbox.notFound'))));
  }

  function renderChatSkeleton() {
    headEl = h('header', { class: 'chat-head', testid: 'chat-head' });
    headSig = '';
    msgsEl = h('div', { class: 'messages', testid: 'messages', role: 'log', 'aria-live': 'polite' },
      h('div', { class: 'list-empty' }, t('common.loading')));
    typingEl = h('div', { class: 'typing', testid: 'typing', 'aria-live': 'polite' });
    errorEl = h('div', { class: 'chat-error', testid: 'chat-error', role: 'alert', hidden: true });
    composer = buildComposer(selected);
    replace(chatEl, headEl, msgsEl, typingEl, errorEl, composer.el);
    renderHead();
  }

  let headSig = '';
  function renderHead() {
    if (!headEl) return;
    const d = data.dialog;
    // Redraw only what changed: buttons stay put under the pointer.
    const sig = JSON.stringify([d, busy, d && lineName(d.line_id), d && d.operator_id && userName(d.operator_id)]);
    if (sig === headSig && headEl.childElementCount) return;
    headSig = sig;
    const back = h('button', { type: 'button', class: 'icon-btn chat-back', 'aria-label': t('common.back'), onclick: () => ctx.navigate('#/inbox') }, '‹');
    if (!d) {
      replace(headEl, back, h('div', { class: 'chat-title' }, h('h2', {}, t('common.loading'))));
      return;
    }
    const se = d.session;
    const name = customerName(d);
    const meta = [channelIcon(d.channel_id), h('span', {}, lineName(d.line_id))];
    if (se) meta.push(statusChip(se.status));
    if (d.operator_id) meta.push(h('span', { class: 'muted', testid: 'chat-operator' }, t('chat.operator', { name: d.operator_id === me.id ? t('chat.you') : userName(d.operator_id) })));
    if (se && se.pinned) meta.push(h('span', { class: 'chip chip-pin', testid: 'pinned' }, t('chat.pinned')));
    if (se && se.off_hours) meta.push(h('span', { class: 'chip' }, t('chat.offHours')));
    if (se && se.rating) meta.push(h('span', { class: 'chip chip-rating', testid: 'rating' }, ratingText(se.rating)));
    replace(headEl, back,
      avatar(name, d.customer && d.customer.id, 'lg'),
      h('div', { class: 'chat-title' },
        h('h2', { testid: 'chat-title' }, name),
        h('div', { class: 'chat-meta' }, meta)),
      h('div', { class: 'chat-actions', testid: 'chat-actions' }, sessionButtons(d, { me, can: ctx.can, busy, act, transfer, vote }), panel.toggle()));
  }

  async function act(name, body) {
    const d = data.dialog;
    if (!d || !d.session || busy) return;
    busy = true;
    renderHead();
    hideError();
    try {
      const nd = await api('POST', '/api/v1/sessions/' + encodeURIComponent(d.session.id) + '/' + name, body);
      if (selected === nd.id) data.dialog = nd;
      ctx.toast(t('action.done.' + name), 'ok');
      scheduleLists();
    } catch (e) {
      if (e.status === 404) gone(d.id);
      else showError(e.message);
    } finally {
      busy = false;
      renderHead();
      if (composer) composer.sync();
    }
  }

  function transfer() {
    const id = data.dialog && data.dialog.id;
    openTransfer(data.dialog, me, {
      onDone: (nd, name) => {
        if (selected === nd.id) { data.dialog = nd; renderHead(); if (composer) composer.sync(); }
        ctx.toast(t('transfer.done', { name }), 'ok');
        scheduleLists();
      },
      onGone: () => gone(id),
    });
  }

  function vote() {
    const id = data.dialog && data.dialog.id;
    openVote(data.dialog, {
      onDone: () => ctx.toast(t('action.done.vote'), 'ok'),
      onGone: () => gone(id),
    });
  }

  // --- messages ---

  function renderMessages() {
    if (!msgsEl) return;
    lastDay = '';
    const nodes = [];
    for (const m of data.messages) nodes.push(...messageNodes(m));
    if (!nodes.length) nodes.push(h('div', { class: 'list-empty' }, t('chat.noMessages')));
    replace(msgsEl, nodes);
    msgsEl.scrollTop = msgsEl.scrollHeight;
  }

  function appendMessage(m, own) {
    if (m.dialog_id !== selected) return;
    if (data.loadingMessages) { data.pending.push(m); return; }
    if (data.msgIds.has(m.id)) return;
    data.msgIds.add(m.id);
    data.messages.push(m);
    if (!msgsEl) return;
    const nearBottom = msgsEl.scrollHeight - msgsEl.scrollTop - msgsEl.clientHeight < 120;
    const empty = msgsEl.querySelector(':scope > .list-empty');
    if (empty) empty.remove();
    add(msgsEl, messageNodes(m));
    if (nearBottom || own) msgsEl.scrollTop = msgsEl.scrollHeight;
  }

  function messageNodes(m) {
    const out = [];
    const day = dayKey(m.created_at);
    if (day !== lastDay) {
      lastDay = day;
      out.push(h('div', { class: 'msg-day' }, h('span', {}, fmtDay(m.created_at))));
    }
    const onSave = composer && composer.qa.editable ? (msg) => composer.qa.saveMessage(msg) : null;
    out.push(messageEl(m, { customer: data.dialog ? customerName(data.dialog) : t('chat.customer'), userName, onSave }));
    return out;
  }

  function showTyping(text) {
    if (!typingEl) return;
    typingEl.textContent = text;
    typingEl.classList.add('on');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { if (typingEl) { typingEl.textContent = ''; typingEl.classList.remove('on'); } }, TYPING_SHOW_MS);
  }

  function showError(msg) {
    if (!errorEl) { ctx.toast(msg, 'error'); return; }
    errorEl.textContent = msg;
    errorEl.hidden = false;
  }

  const hideError = () => { if (errorEl) errorEl.hidden = true; };

  // --- composer ---

  function buildComposer(id) {
    const ta = h('textarea', { class: 'composer-input', testid: 'composer', rows: 2, 'aria-label': t('composer.label') });
    ta.value = S.drafts[id] || '';
    const noteBtn = h('button', { type: 'button', class: 'btn btn-sm note-toggle', testid: 'note-toggle' }, t('composer.note'));
    const sendBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'send' }, t('composer.send'));
    const hint = h('span', { class: 'composer-hint muted' });
    const modeEl = h('div', { class: 'composer-mode', testid: 'composer-mode', role: 'status' });
    const qa = quickPanel({ ta, dialogId: id, ctx }); // before the keys below: its "/" list takes Enter first
    const sent = (m) => { appendMessage(m, true); S.preview[id] = previewText(m); scheduleHead(); scheduleLists(); }; // a reply; a file too
    const files = attachments(id, { paste: ta, onSent: sent, onGone: () => gone(id) });
    const el = h('div', { class: 'composer', testid: 'composer-box' },
      qa.panel, modeEl, files.list, h('div', { class: 'qa-anchor' }, qa.pop, ta),
      h('div', { class: 'composer-bar' }, files.button, files.input, noteBtn, qa.toggleBtn, hint, sendBtn));
    files.dropOn(msgsEl, el);
    let sending = false, noteMode = false; // noteMode: this dialog's composer only

    const forcedNote = () => !isOpen(data.dialog);
    const noteOn = () => noteMode || forcedNote();
    function sync() {
      const on = noteOn();
      el.classList.toggle('note-mode', on);
      el.dataset.mode = on ? 'note' : 'reply';
      modeEl.textContent = on ? t('composer.noteBanner') : '';
      modeEl.hidden = !on;
      noteBtn.classList.toggle('active', on);
      noteBtn.setAttribute('aria-pressed', String(on));
      noteBtn.disabled = forcedNote();
      ta.placeholder = forcedNote() ? t('composer.closedPlaceholder') : on ? t('composer.notePlaceholder') : t('composer.placeholder');
      hint.textContent = on ? t('composer.noteHint') : t('composer.enterHint');
      sendBtn.textContent = on ? t('composer.addNote') : t('composer.send');
      files.sync(on);
    }
    noteBtn.addEventListener('click', () => { noteMode = !noteMode; sync(); ta.focus(); });

    async function send() {
      const text = ta.value;
      if (!text.trim() || sending) return;
      sending = true;
      sendBtn.disabled = true;
      hideError();
      const note = noteOn();
      // Clear at once, as chats do; a failed send puts the text back.
      ta.value = '';
      S.drafts[id] = '';
      try {
        const m = await api('POST', '/api/v1/dialogs/' + encodeURIComponent(id) + (note ? '/notes' : '/messages'), { text });
        appendMessage(m, true);
        if (!note) { sent(m); qa.sent(text); }
      } catch (e) {
        if (!ta.value) { ta.value = text; S.drafts[id] = text; }
        if (e.status === 404) gone(id);
        else showError(e.message);
      } finally {
        sending = false;
        sendBtn.disabled = false;
        ta.focus();
      }
    }
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    ta.addEventListener('input', () => {
      S.drafts[id] = ta.value;
      const now = Date.now();
      if (!noteOn() && ta.value && now - lastTypingSent > TYPING_SEND_MS) {
        lastTypingSent = now;
        ctx.send({ type: 'typing', dialog_id: id });
      }
    });
    sendBtn.addEventListener('click', send);
    sync();
    return { el, ta, sync, qa };
  }

  // --- real time ---

  const offEvent = ctx.on('event', (ev) => {
    if (ev.type.startsWith('session.')) {
      scheduleLists();
      if (ev.dialog_id && ev.dialog_id === selected) scheduleHead();
      return;
    }
    if (ev.type === 'message.delivery') return void (ev.dialog_id === selected && showDelivery(msgsEl, ev));
    if (ev.type === 'message.created') {
      const m = ev.data;
      if (m && m.kind === 'text') S.preview[ev.dialog_id] = previewText(m); // auto-replies do not replace the preview
      if (ev.dialog_id === selected) {
        if (m) appendMessage(m, false);
        if (m && m.direction === 'in') markSoon(ev.dialog_id);
        scheduleHead();
      } else if (m && m.direction === 'in') {
        for (const d of listed(ev.dialog_id)) d.unread = (d.unread || 0) + 1;
      }
      if (m) bumpDialog(m);
      else scheduleLists();
      return;
    }
    if (ev.type === 'typing' && ev.dialog_id === selected) {
      if (ev.reason === 'customer') showTyping(t('chat.customerTyping'));
      else if (ev.user_ids && ev.user_ids[0] !== me.id) showTyping(t('chat.userTyping', { name: userName(ev.user_ids[0]) }));
    }
  });

  const offResync = ctx.on('resync', async () => {
    try { await loadMeta(); } catch (e) { /* lists still load */ }
    loadLists();
    if (selected) { loadHead(); loadMessages(); markRead(selected); } // the chat now shows what came meanwhile
  });

  // --- start ---

  renderTabs();
  renderList();
  renderEmpty();
  (async () => {
    try { await loadMeta(); } catch (e) { if (e.status !== 401) ctx.toast(e.message, 'error'); }
    if (!alive) return;
    // Names of lines and operators are known now.
    if (data.dialog) { renderHead(); panel.render(); }
    if (msgsEl && !data.loadingMessages && data.messages.length) renderMessages();
    await loadLists();
  })();
  select(params.dialog || '');

  return {
    update(p) { select(p.dialog || ''); },
    unmount() {
      alive = false;
      offEvent();
      offResync();
      scheduleLists.cancel(); scheduleHead.cancel(); markSoon.cancel();
      filters.destroy(); panel.destroy(); clearTimeout(catchup); clearTimeout(typingTimer);
    },
  };
}
