// The workspace: its name, plan, and how many active lines the plan allows.
import { api } from './api.js';
import { h, s, replace } from './dom.js';
import { t, fmtDate, fmtNumber } from './i18n.js';
import { field, input, clearErrors, showError, saveBar } from './forms.js';

const PLANS = ['free', 'basic', 'standard', 'professional', 'enterprise'];

export function mount(root, ctx) {
  let alive = true;
  const body = h('div', { class: 'stack' }, h('div', { class: 'card' }, t('common.loading')));
  replace(root, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, t('ws.title')), h('p', { class: 'muted' }, t('ws.subtitle')))),
    body));

  async function load() {
    try {
      const ws = await api('GET', '/api/v1/workspace');
      if (alive) render(ws);
    } catch (e) {
      if (alive) replace(body, h('div', { class: 'card' }, h('p', { class: 'form-error' }, e.message)));
    }
  }

  function render(ws) {
    const name = input('name', ws.name, { testid: 'ws-name', autocomplete: 'off' });
    const editable = ctx.can('settings.edit');
    const bar = saveBar(t('common.save'), !editable);
    const form = h('form', { class: 'card', novalidate: true, testid: 'ws-form' },
      h('h2', { class: 'card-title' }, t('ws.general')),
      h('fieldset', { class: 'fieldset', disabled: !editable }, field(t('ws.name'), name, { name: 'name' })),
      h('dl', { class: 'facts' },
        h('dt', {}, t('ws.created')), h('dd', {}, fmtDate(ws.created_at)),
        h('dt', {}, t('ws.id')), h('dd', {}, h('code', { class: 'code' }, ws.id))),
      editable ? bar.el : null);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      bar.btn.disabled = true;
      try {
        const r = await api('PATCH', '/api/v1/workspace', { name: name.value });
        ctx.workspace = { ...ctx.workspace, name: r.workspace.name };
        const brand = document.querySelector('[data-testid="workspace-name"]');
        if (brand) brand.textContent = r.workspace.name;
        bar.status.textContent = t('common.saved');
        bar.status.classList.add('ok');
      } catch (err) {
        showError(form, err);
      } finally {
        bar.btn.disabled = false;
      }
    });

    const limit = ws.line_limit;
    const used = ws.active_lines;
    const usage = limit === null
      ? t('ws.usageUnlimited', { n: fmtNumber(used) })
      : t('ws.usage', { n: fmtNumber(used), limit: fmtNumber(limit) });
    const plan = h('div', { class: 'card', testid: 'ws-plan' },
      h('h2', { class: 'card-title' }, t('ws.plan')),
      h('div', { class: 'plan-row' },
        h('span', { class: 'plan-badge', testid: 'ws-plan-name', dataset: { plan: ws.plan } }, t('plan.' + ws.plan)),
        h('span', { class: 'muted' }, limit === null ? t('ws.unlimited') : t('ws.limit', { limit: fmtNumber(limit) }))),
      h('div', { class: 'usage' },
        h('div', { class: 'usage-label' }, h('span', {}, t('ws.activeLines')), h('strong', { testid: 'ws-usage' }, usage)),
        limit === null ? null : usageBar(used, limit)),
      h('table', { class: 'table table-compact plans' },
        h('thead', {}, h('tr', {}, h('th', {}, t('ws.planCol')), h('th', { class: 'right' }, t('ws.linesCol')))),
        h('tbody', {}, PLANS.map((p) => h('tr', { class: p === ws.plan && 'row-current' },
          h('td', {}, t('plan.' + p), p === ws.plan ? h('span', { class: 'chip chip-ok chip-inline' }, t('ws.current')) : null),
          h('td', { class: 'right' }, planLimit(p)))))),
      h('p', { class: 'muted small' }, t('ws.planHint')));
    replace(body, h('div', { class: 'grid-2 grid-top' }, form, plan));
  }

  load();
  return { unmount() { alive = false; } };
}

function planLimit(p) {
  const n = { free: 1, basic: 2, standard: 10 }[p];
  return n ? fmtNumber(n) : t('ws.unlimited');
}

// usageBar draws the share of the plan's lines in use as SVG.
function usageBar(used, limit) {
  const w = 320;
  const frac = Math.min(used / limit, 1);
  const full = used >= limit;
  return s('svg', { class: 'usage-bar', viewBox: '0 0 ' + w + ' 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': t('ws.activeLines'), 'data-testid': 'ws-usage-bar' },
    s('rect', { x: 0, y: 0, width: w, height: 10, rx: 5, class: 'usage-track' }),
    s('rect', { x: 0, y: 0, width: Math.max(frac * w, used > 0 ? 10 : 0), height: 10, rx: 5, class: full ? 'usage-fill usage-full' : 'usage-fill' }));
}
