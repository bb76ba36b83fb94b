// Quick answers in the chat (SPEC §8): a panel over the composer with the
// search, the section filter and the answers most used first, each
// inserted in one click; a "/" at the start of the composer opens the same
// search as a list under the cursor, walked with the arrow keys and
// inserted with Enter. Answers come with their placeholders filled for the
// open dialog (the server fills them); a use is counted when the message
// goes. Editors (quick_answers.edit) create and edit answers in place.
import { api, q } from './api.js';
import { h, replace, debounce } from './dom.js';
import { t, fmtNumber } from './i18n.js';

const PAGE = 30;

// quickPanel serves one dialog's composer: ta is its textarea, dialogId
// the dialog; ctx the page's context (can, toast, navigate).
export function quickPanel({ ta, dialogId, ctx }) {
  const editable = ctx.can('quick_answers.edit');
  let open = false;
  let sections = [];
  let section = '';
  let answers = [];
  let chosen = null; // {id, text}: the answer the composer holds, counted on send
  let seq = 0;

  const search = h('input', { class: 'input input-sm qa-search', type: 'search', testid: 'qa-search', placeholder: t('qa.search'), 'aria-label': t('qa.search') });
  const chips = h('div', { class: 'qa-sections', testid: 'qa-sections', role: 'group', 'aria-label': t('qa.sections') });
  const list = h('ul', { class: 'qa-list', testid: 'qa-list', role: 'listbox', 'aria-label': t('qa.title') });
  const form = h('div', { class: 'qa-form-box' });
  const panel = h('div', { class: 'qa-panel', testid: 'qa-panel', hidden: true },
    h('div', { class: 'qa-head' },
      h('strong', {}, t('qa.title')), search,
      editable ? h('button', { type: 'button', class: 'btn btn-sm btn-secondary', testid: 'qa-new', onclick: () => edit(null) }, t('qa.new')) : null,
      editable ? h('a', { class: 'btn btn-sm btn-ghost', href: '#/answers', testid: 'qa-settings' }, t('qa.manage')) : null,
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), testid: 'qa-close', onclick: () => toggle(false) }, '×')),
    chips, form, list);
  const toggleBtn = h('button', { type: 'button', class: 'btn btn-sm qa-toggle', testid: 'qa-toggle', 'aria-expanded': 'false', onclick: () => toggle() }, t('qa.button'));

  // The "/" list under the composer.
  const pop = h('ul', { class: 'qa-pop', testid: 'qa-pop', role: 'listbox', hidden: true, 'aria-label': t('qa.title') });
  let popItems = [];
  let popAt = 0;

  async function fetchAnswers(term, sec) {
    return api('GET', '/api/v1/quick-answers' + q({ dialog: dialogId, q: term, section: sec, limit: PAGE }));
  }

  async function loadSections() {
    try { sections = (await api('GET', '/api/v1/quick-answer-sections')).sections; } catch (e) { sections = []; }
    renderChips();
  }

  function renderChips() {
    const chip = (id, name) => h('button', {
      type: 'button', class: ['chip', 'qa-chip', id === section && 'active'], testid: 'qa-section', dataset: { section: id },
      'aria-pressed': String(id === section), onclick: () => { section = id; renderChips(); load(); },
    }, name);
    replace(chips, chip('', t('qa.allSections')), sections.map((s) => chip(s.id, s.name)));
  }

  const load = debounce(async () => {
    const my = ++seq;
    let r;
    try { r = await fetchAnswers(search.value.trim(), section); } catch (e) { if (my === seq) replace(list, h('li', { class: 'form-error' }, e.message)); return; }
    if (my !== seq) return;
    answers = r.answers;
    renderList();
  }, 150);

  function renderList() {
    if (!answers.length) {
      replace(list, search.value.trim() || section ? h('li', { class: 'list-empty', testid: 'qa-none' }, t('qa.noMatch')) : emptyState());
      return;
    }
    replace(list, answers.map((a) => h('li', { class: 'qa-item', testid: 'qa-item', role: 'option', dataset: { id: a.id } },
      h('button', { type: 'button', class: 'qa-insert', testid: 'qa-insert', title: t('qa.insert'), onclick: () => insert(a) },
        h('span', { class: 'qa-title' }, a.title),
        h('span', { class: 'qa-text muted' }, a.filled || a.text)),
      h('span', { class: 'qa-usage muted', testid: 'qa-usage', title: t('qa.usage') }, fmtNumber(a.usage)),
      editable ? h('button', { type: 'button', class: 'icon-btn', testid: 'qa-edit', 'aria-label': t('qa.edit'), onclick: () => edit(a) }, '✎') : null)));
  }

  // The three starts of an empty workspace (the seed's answer).
  function emptyState() {
    if (!editable) return h('li', { class: 'qa-empty', testid: 'qa-empty' }, h('p', {}, t('qa.empty')), h('p', { class: 'muted' }, t('qa.emptyReader')));
    return h('li', { class: 'qa-empty', testid: 'qa-empty' },
      h('p', {}, t('qa.empty')),
      h('ul', { class: 'qa-starts' },
        h('li', { testid: 'qa-start-save' }, t('qa.startSave')),
        h('li', {}, h('button', { type: 'button', class: 'btn btn-sm btn-secondary', testid: 'qa-start-new', onclick: () => edit(null) }, t('qa.startNew'))),
        h('li', {}, h('a', { href: '#/answers', class: 'btn btn-sm btn-ghost', testid: 'qa-start-settings' }, t('qa.startSettings')))));
  }

  // insert puts an answer into the composer, filled for the dialog.
  function insert(a) {
    const text = a.filled || a.text;
    ta.value = text;
    chosen = { id: a.id, text };
    ta.dispatchEvent(new Event('input'));
    closePop();
    ta.focus();
    ta.setSelectionRange(text.length, text.length);
  }

  // edit opens the form for a (null: a new answer) over the list.
  function edit(a) {
    const sel = h('select', { class: 'input input-sm', name: 'section_id', testid: 'qa-form-section', 'aria-label': t('qa.section') },
      sections.map((s, i) => h('option', { value: s.id, selected: a ? s.id === a.section_id : section ? s.id === section : i === sections.length - 1 }, s.name)));
    const title = h('input', { class: 'input input-sm', name: 'title', testid: 'qa-form-title', value: a ? a.title : '', placeholder: t('qa.titleHint'), 'aria-label': t('qa.titleLabel') });
    const text = h('textarea', { class: 'input', name: 'text', rows: 3, testid: 'qa-form-text', 'aria-label': t('qa.text') });
    text.value = a ? a.text : ta.value;
    const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const done = () => replace(form);
    async function save() {
      err.hidden = true;
      const body = { section_id: sel.value, title: title.value, text: text.value };
      try {
        await api(a ? 'PATCH' : 'POST', '/api/v1/quick-answers' + (a ? '/' + encodeURIComponent(a.id) : ''), body);
        ctx.toast(t('qa.saved'), 'ok');
        done();
        refresh();
      } catch (e) { err.textContent = e.message; err.hidden = false; }
    }
    async function del() {
      if (!window.confirm(t('qa.deleteConfirm'))) return;
      try { await api('DELETE', '/api/v1/quick-answers/' + encodeURIComponent(a.id)); done(); refresh(); } catch (e) { err.textContent = e.message; err.hidden = false; }
    }
    replace(form, h('div', { class: 'qa-form', testid: 'qa-form' },
      h('div', { class: 'qa-form-row' }, sel, title), text,
      h('p', { class: 'muted small' }, t('qa.placeholders')), err,
      h('div', { class: 'qa-form-row' },
        h('button', { type: 'button', class: 'btn btn-sm btn-primary', testid: 'qa-form-save', onclick: save }, t('common.save')),
        h('button', { type: 'button', class: 'btn btn-sm btn-ghost', testid: 'qa-form-cancel', onclick: done }, t('qa.cancel')),
        a ? h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'qa-form-delete', onclick: del }, t('qa.delete')) : null)));
    text.focus();
  }

  function refresh() {
    loadSections();
    if (open) load();
  }

  function toggle(on) {
    open = on === undefined ? !open : on;
    panel.hidden = !open;
    toggleBtn.setAttribute('aria-expanded', String(open));
    toggleBtn.classList.toggle('active', open);
    if (open) { refresh(); search.focus(); }
  }
  search.addEventListener('input', () => load());

  // --- the "/" search in the composer ---

  const slashTerm = () => (/^\/[^\n]*$/.test(ta.value) ? ta.value.slice(1) : null);
  let popSeq = 0;
  const popLoad = debounce(async () => {
    const term = slashTerm();
    if (term === null) { closePop(); return; }
    const my = ++popSeq;
    let r;
    try { r = await fetchAnswers(term.trim(), ''); } catch (e) { return; }
    if (my !== popSeq || slashTerm() === null) return;
    popItems = r.answers.slice(0, 8);
    popAt = 0;
    renderPop();
  }, 120);

  function renderPop() {
    pop.hidden = false;
    if (!popItems.length) {
      replace(pop, h('li', { class: 'list-empty', testid: 'qa-pop-none' }, t('qa.noMatch')));
      return;
    }
    replace(pop, popItems.map((a, i) => h('li', {
      class: ['qa-pop-item', i === popAt && 'active'], role: 'option', testid: 'qa-pop-item', 'aria-selected': String(i === popAt), dataset: { id: a.id },
      onmousedown: (e) => { e.preventDefault(); insert(a); },
    }, h('span', { class: 'qa-title' }, a.title), h('span', { class: 'qa-text muted' }, a.filled || a.text))));
  }

  function closePop() {
    popItems = [];
    pop.hidden = true;
    replace(pop);
  }

  ta.addEventListener('input', () => {
    if (chosen && ta.value !== chosen.text && !ta.value.trim()) chosen = null;
    if (slashTerm() !== null) popLoad();
    else if (!pop.hidden) closePop();
  });
  // Runs before the composer's own keydown (Enter sends): registered first.
  function onKey(e) {
    if (pop.hidden || e.isComposing) return false;
    if (e.key === 'Escape') { closePop(); return true; }
    if (!popItems.length) return e.key === 'Enter'; // "/" and no answer: Escape first, then Enter sends the text
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      popAt = (popAt + (e.key === 'ArrowDown' ? 1 : popItems.length - 1)) % popItems.length;
      renderPop();
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') { insert(popItems[popAt]); return true; }
    return false;
  }
  ta.addEventListener('keydown', (e) => { if (onKey(e)) { e.preventDefault(); e.stopImmediatePropagation(); } });
  ta.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== ta) closePop(); }, 150));

  // sent tells of a message that went: the answer it came from is used once.
  async function sent(text) {
    const c = chosen;
    chosen = null;
    if (!c || !text.trim()) return;
    try {
      await api('POST', '/api/v1/quick-answers/' + encodeURIComponent(c.id) + '/uses' + q({ dialog: dialogId }));
      if (open) load();
    } catch (e) { /* counting is best effort: the message went */ }
  }

  // saveMessage saves an operator's message as an answer, in one action.
  async function saveMessage(m) {
    try {
      const a = await api('POST', '/api/v1/messages/' + encodeURIComponent(m.id) + '/quick-answer', {});
      const again = a.source_message_id === m.id && a.created_at !== a.updated_at;
      ctx.toast(a.source_message_id === m.id ? t(again ? 'qa.savedAgain' : 'qa.savedFromChat') : t('qa.savedExists', { title: a.title }), 'ok');
      refresh();
    } catch (e) { ctx.toast(e.message, 'error'); }
  }

  return { panel, pop, toggleBtn, sent, saveMessage, editable, destroy() { load.cancel(); popLoad.cancel(); } };
}
