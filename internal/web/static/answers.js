// The quick answers' settings page (SPEC §8), for quick_answers.edit: the
// sections (renamed, added, deleted when empty or with "move answers to"),
// and every answer by section, filtered by a search and a section, edited
// in place with the lines it is shared with.
import { api, q } from './api.js';
import { h, replace, debounce } from './dom.js';
import { t, fmtNumber, fmtDateTime } from './i18n.js';

export function mount(root, ctx) {
  let alive = true;
  let sections = [];
  let lines = [];
  let users = new Map();
  let cursor = '';
  const search = h('input', { class: 'input qa-search', type: 'search', testid: 'answers-search', placeholder: t('qa.search'), 'aria-label': t('qa.search') });
  const secFilter = h('select', { class: 'input input-sm', testid: 'answers-section', 'aria-label': t('qa.section') });
  const count = h('p', { class: 'muted', testid: 'answers-count' });
  const sectionsBox = h('section', { class: 'card', testid: 'answers-sections' });
  const newBox = h('div', {});
  const listBox = h('div', { class: 'stack', testid: 'answers-list' }, h('div', { class: 'card' }, t('common.loading')));
  const more = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'answers-more', hidden: true, onclick: () => loadAnswers(true) }, t('qa.more'));
  replace(root, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('qa.title')), count, h('p', { class: 'muted small' }, t('qa.pageHint')))),
    sectionsBox,
    h('div', { class: 'qa-filters' }, search, secFilter, h('button', { type: 'button', class: 'btn btn-primary', testid: 'answers-new', onclick: () => replace(newBox, answerForm(null)) }, t('qa.new'))),
    newBox, listBox, more));

  const sectionName = (id) => (sections.find((s) => s.id === id) || {}).name || '';
  const userName = (id) => (id && users.get(id) && users.get(id).name) || t('qa.someone');
  const fail = (e, box) => { const p = h('p', { class: 'form-error', role: 'alert' }, e.message); box.append(p); setTimeout(() => p.remove(), 8000); };

  async function loadMeta() {
    const [ss, ls, us] = await Promise.all([api('GET', '/api/v1/quick-answer-sections'), api('GET', '/api/v1/lines'), api('GET', '/api/v1/users')]);
    sections = ss.sections;
    lines = ls.lines;
    users = new Map(us.users.map((u) => [u.id, u]));
    const keep = secFilter.value;
    replace(secFilter, h('option', { value: '' }, t('qa.allSections')), sections.map((s) => h('option', { value: s.id }, s.name + ' (' + fmtNumber(s.answers) + ')')));
    secFilter.value = sections.some((s) => s.id === keep) ? keep : '';
    renderSections();
  }

  function renderSections() {
    const name = h('input', { class: 'input input-sm', testid: 'section-new-name', placeholder: t('qa.sectionName'), 'aria-label': t('qa.sectionName') });
    const addSec = async () => {
      try { await api('POST', '/api/v1/quick-answer-sections', { name: name.value }); await reload(); } catch (e) { fail(e, sectionsBox); }
    };
    replace(sectionsBox, h('h2', { class: 'card-title' }, t('qa.sections')),
      h('ul', { class: 'qa-section-list' }, sections.map(sectionRow)),
      h('div', { class: 'qa-form-row' }, name, h('button', { type: 'button', class: 'btn btn-sm btn-secondary', testid: 'section-add', onclick: addSec }, t('qa.addSection'))));
  }

  function sectionRow(s) {
    const name = h('input', { class: 'input input-sm', value: s.name, testid: 'section-name', 'aria-label': t('qa.sectionName') });
    const moveTo = h('select', { class: 'input input-sm', testid: 'section-move-to', 'aria-label': t('qa.moveTo') },
      sections.filter((o) => o.id !== s.id).map((o) => h('option', { value: o.id }, t('qa.moveTo') + ' ' + o.name)));
    const row = h('li', { class: 'qa-form-row', testid: 'section', dataset: { id: s.id } });
    const rename = async () => {
      try { await api('PATCH', '/api/v1/quick-answer-sections/' + encodeURIComponent(s.id), { name: name.value }); ctx.toast(t('common.saved'), 'ok'); await reload(); } catch (e) { fail(e, row); }
    };
    const del = async () => {
      if (!window.confirm(t('qa.deleteSectionConfirm', { name: s.name }))) return;
      try {
        await api('DELETE', '/api/v1/quick-answer-sections/' + encodeURIComponent(s.id) + q({ move_to: s.answers ? moveTo.value : '' }));
        await reload();
      } catch (e) { fail(e, row); }
    };
    return replace(row, name, h('span', { class: 'chip', testid: 'section-count' }, t('qa.answersCount', { n: fmtNumber(s.answers) })),
      h('button', { type: 'button', class: 'btn btn-sm btn-secondary', testid: 'section-save', onclick: rename }, t('common.save')),
      s.answers && sections.length > 1 ? moveTo : null,
      h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'section-delete', disabled: !!s.answers && sections.length < 2, onclick: del },
        s.answers ? t('qa.deleteMove') : t('qa.delete')));
  }

  // answerForm edits an answer (null: a new one).
  function answerForm(a) {
    const sel = h('select', { class: 'input input-sm', name: 'section_id', testid: 'answer-section', 'aria-label': t('qa.section') },
      sections.map((s, i) => h('option', { value: s.id, selected: a ? s.id === a.section_id : secFilter.value ? s.id === secFilter.value : i === sections.length - 1 }, s.name)));
    const title = h('input', { class: 'input', name: 'title', testid: 'answer-title', value: a ? a.title : '', placeholder: t('qa.titleHint'), 'aria-label': t('qa.titleLabel') });
    const text = h('textarea', { class: 'input', name: 'text', rows: 3, testid: 'answer-text', 'aria-label': t('qa.text') });
    text.value = a ? a.text : '';
    const shared = new Set(a ? a.line_ids : []);
    const boxes = lines.map((l) => h('label', { class: 'qa-line' },
      h('input', { type: 'checkbox', value: l.id, checked: shared.has(l.id), testid: 'answer-line' }), ' ', l.name));
    const card = h('section', { class: 'card qa-answer', testid: a ? 'answer' : 'answer-new', dataset: a ? { id: a.id } : {} });
    const save = async () => {
      // Lines this page does not list (without lines.view) keep their sharing.
      const unseen = [...shared].filter((id) => !lines.some((l) => l.id === id));
      const body = { section_id: sel.value, title: title.value, text: text.value, line_ids: unseen.concat(boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value)) };
      try {
        await api(a ? 'PATCH' : 'POST', '/api/v1/quick-answers' + (a ? '/' + encodeURIComponent(a.id) : ''), body);
        ctx.toast(t('qa.saved'), 'ok');
        if (!a) replace(newBox);
        await reload();
      } catch (e) { fail(e, card); }
    };
    const del = async () => {
      if (!window.confirm(t('qa.deleteConfirm'))) return;
      try { await api('DELETE', '/api/v1/quick-answers/' + encodeURIComponent(a.id)); await reload(); } catch (e) { fail(e, card); }
    };
    return replace(card,
      h('div', { class: 'qa-form-row' }, sel, title),
      text,
      h('p', { class: 'muted small' }, t('qa.placeholders')),
      h('div', { class: 'qa-lines' }, h('span', { class: 'muted small' }, t('qa.lines')), boxes.length ? boxes : h('span', { class: 'muted small' }, t('qa.noLines'))),
      a ? h('p', { class: 'muted small', testid: 'answer-meta' }, t('qa.meta', {
        n: fmtNumber(a.usage), created: fmtDateTime(a.created_at), by: userName(a.created_by), edited: fmtDateTime(a.updated_at), editor: userName(a.updated_by),
      })) : null,
      h('div', { class: 'qa-form-row' },
        h('button', { type: 'button', class: 'btn btn-sm btn-primary', testid: 'answer-save', onclick: save }, t('common.save')),
        a ? h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'answer-delete', onclick: del }, t('qa.delete'))
          : h('button', { type: 'button', class: 'btn btn-sm btn-ghost', onclick: () => replace(newBox) }, t('qa.cancel'))));
  }

  let seq = 0;
  async function loadAnswers(append) {
    const my = ++seq;
    let r;
    try {
      r = await api('GET', '/api/v1/quick-answers' + q({ q: search.value.trim(), section: secFilter.value, limit: 100, cursor: append ? cursor : '' }));
    } catch (e) { if (my === seq) replace(listBox, h('div', { class: 'card' }, h('p', { class: 'form-error' }, e.message))); return; }
    if (my !== seq || !alive) return;
    cursor = r.next_cursor || '';
    more.hidden = !cursor;
    if (!append) replace(listBox);
    if (!append && !r.answers.length) {
      replace(listBox, h('div', { class: 'card list-empty', testid: 'answers-empty' }, search.value.trim() ? t('qa.noMatch') : t('qa.empty')));
    }
    // By section, in the sections' order; most used first within each.
    for (const s of sections) {
      const mine = r.answers.filter((a) => a.section_id === s.id);
      if (!mine.length) continue;
      let group = listBox.querySelector('[data-section-group="' + CSS.escape(s.id) + '"]');
      if (!group) {
        group = h('div', { class: 'stack', testid: 'answers-group', dataset: { sectionGroup: s.id } }, h('h2', { class: 'qa-group-title' }, sectionName(s.id)));
        listBox.append(group);
      }
      group.append(...mine.map(answerForm));
    }
    count.textContent = t('qa.shown', { n: fmtNumber(listBox.querySelectorAll('[data-testid=answer]').length) });
  }

  async function reload() {
    try { await loadMeta(); } catch (e) { if (alive) replace(listBox, h('div', { class: 'card' }, h('p', { class: 'form-error' }, e.message))); return; }
    await loadAnswers(false);
  }

  const soon = debounce(() => loadAnswers(false), 200);
  search.addEventListener('input', soon);
  secFilter.addEventListener('change', () => loadAnswers(false));
  reload();
  return { unmount() { alive = false; soon.cancel(); } };
}
