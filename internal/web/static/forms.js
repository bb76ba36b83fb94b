// Form building blocks shared by the settings pages. Every input carries a
// name equal to its API field path (queue_time, working_hours.timezone…), and
// every field has an error slot keyed by that path, so a server error
// {field, message} is shown right next to the field it names.
import { h, add } from './dom.js';
import { t } from './i18n.js';
import { fieldMessage } from './fielderrors.js';

let seq = 0;
const uid = (p) => p + '-' + (++seq);

// errorSlot is where the server's message for field appears.
export function errorSlot(field) {
  return h('div', { class: 'field-error', testid: 'field-error', dataset: { errorFor: field }, role: 'alert', hidden: true });
}

// field wraps a control with a label, a hint and an error slot.
export function field(label, control, { name, hint, wide } = {}) {
  const input = control.matches && control.matches('input,select,textarea') ? control : control.querySelector && control.querySelector('input,select,textarea');
  const lab = h('label', { class: 'field-label' }, label);
  if (input) {
    if (!input.id) input.id = uid('f');
    lab.htmlFor = input.id;
  }
  return h('div', { class: ['field', wide && 'field-wide'], dataset: { field: name || (input && input.name) || '' } },
    lab, control,
    hint ? h('div', { class: 'field-hint' }, hint) : null,
    errorSlot(name || (input && input.name) || ''));
}

export function input(name, value, props = {}) {
  return h('input', { class: 'input', name, value: value === undefined || value === null ? '' : String(value), type: 'text', ...props });
}

export function textarea(name, value, props = {}) {
  return h('textarea', { class: 'input', name, rows: 3, value: value || '', ...props });
}

export function select(name, value, options, props = {}) {
  const sel = h('select', { class: 'input', name, ...props });
  for (const [v, label] of options) add(sel, h('option', { value: v, selected: v === value }, label));
  sel.value = value;
  return sel;
}

// toggle is a labelled checkbox (a switch).
export function toggle(name, checked, label, hint, props = {}) {
  const box = h('input', { type: 'checkbox', name, checked, class: 'switch-input', ...props });
  return h('div', { class: 'field field-toggle', dataset: { field: name } },
    h('label', { class: 'switch' }, box, h('span', { class: 'switch-label' }, label)),
    hint ? h('div', { class: 'field-hint' }, hint) : null,
    errorSlot(name));
}

// radioCards is a group of radio buttons shown as cards with a description.
export function radioCards(name, value, options) {
  const group = h('div', { class: 'radio-cards', role: 'radiogroup' });
  for (const [v, title, desc] of options) {
    add(group, h('label', { class: 'radio-card', testid: name + '-' + v },
      h('input', { type: 'radio', name, value: v, checked: v === value }),
      h('span', { class: 'radio-card-body' }, h('strong', {}, title), desc ? h('span', { class: 'muted' }, desc) : null)));
  }
  return group;
}

export function radioValue(root, name) {
  const el = root.querySelector('input[type=radio][name="' + name + '"]:checked');
  return el ? el.value : '';
}

const UNITS = [[3600, 'unit.h'], [60, 'unit.min'], [1, 'unit.s']];

// duration edits a number of seconds as a number and a unit.
export function duration(name, seconds, { allowZero } = {}) {
  seconds = Number(seconds) || 0;
  let unit = 1;
  for (const [u] of UNITS) if (seconds > 0 && seconds % u === 0) { unit = u; break; }
  const num = h('input', { class: 'input input-num', type: 'number', name, min: allowZero ? 0 : 1, step: 'any', inputmode: 'numeric', value: String(seconds / unit) });
  const sel = h('select', { class: 'input input-unit', name: name + '.unit', 'aria-label': t('unit.label') });
  for (const [u, key] of UNITS) add(sel, h('option', { value: String(u), selected: u === unit }, t(key)));
  sel.value = String(unit);
  const el = h('div', { class: 'duration' }, num, sel);
  return {
    el,
    get() {
      const raw = num.value.trim();
      const n = raw === '' ? NaN : Number(raw);
      return Number.isFinite(n) ? Math.round(n * Number(sel.value)) : -1;
    },
  };
}

export function section(title, desc, ...children) {
  return h('section', { class: 'form-section' },
    h('div', { class: 'form-section-head' }, h('h3', {}, title), desc ? h('p', { class: 'muted' }, desc) : null),
    h('div', { class: 'form-section-body' }, children));
}

// clearErrors hides every error slot of root.
export function clearErrors(root) {
  root.querySelectorAll('[data-error-for]').forEach((el) => { el.hidden = true; el.textContent = ''; });
  root.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
}

// showError puts the message for err (fieldMessage: in the form's language
// and units) into the slot of err.field (or of its nearest parent path,
// else the form's own slot, data-error-for="").
export function showError(root, err) {
  clearErrors(root);
  let f = err.field || '';
  let slot = null;
  while (f) {
    slot = root.querySelector('[data-error-for="' + CSS.escape(f) + '"]');
    if (slot) break;
    f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '';
  }
  if (!slot) slot = root.querySelector('[data-error-for=""]');
  if (!slot) return false;
  slot.textContent = fieldMessage(err, root);
  slot.hidden = false;
  const wrap = slot.closest('.field, .day-row, .form-section');
  if (wrap) wrap.classList.add('invalid');
  const target = err.field ? root.querySelector('[name="' + CSS.escape(err.field) + '"]') : null;
  if (target) target.focus({ preventScroll: true });
  slot.scrollIntoView({ block: 'nearest' });
  return true;
}

// saveBar is the foot of a form: the form-level error slot, a status and Save.
export function saveBar(label, disabled) {
  const status = h('span', { class: 'save-status', testid: 'save-status', role: 'status' });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'save', disabled }, label || t('common.save'));
  return {
    el: h('div', { class: 'form-foot' }, errorSlot(''), h('div', { class: 'form-foot-actions' }, status, btn)),
    status, btn,
  };
}
