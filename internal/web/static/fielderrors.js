// Field errors in the form's language and units. The API says what is
// wrong with a field as a reason and its parameters (apperr.Error):
// out_of_range {min, max, value}, too_long {max}, required, not_one_of
// {allowed}. fieldMessage words them here, so a duration the form shows in
// minutes gets its bounds in minutes, and the server's English sentence
// ("queue_time: -5 is out of range 1..43200") never reaches the screen. An
// error without a reason this screen knows keeps the server's message.
import { t, fmtNumber, getLocale } from './i18n.js';

// Seconds per unit of a duration's selector (forms.duration) → unit key.
const UNIT_KEYS = { 1: 's', 60: 'min', 3600: 'h' };

// fieldMessage is the text for err (an ApiError or {field, message}) in the
// form root (the form holding the field, to read the unit it shows).
export function fieldMessage(err, root) {
  const p = err.params || {};
  switch (err.reason) {
    case 'out_of_range': return rangeMessage(err.field, p, root);
    case 'too_long': return t('fieldError.tooLong', { max: fmtNumber(p.max) });
    case 'required': return t('fieldError.required');
    case 'not_one_of':
      if (Array.isArray(p.allowed)) return t('fieldError.notOneOf', { allowed: p.allowed.join(', ') });
      break;
  }
  return err.message || '';
}

function rangeMessage(field, p, root) {
  const min = Number(p.min);
  const max = Number(p.max);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return t('fieldError.invalid');
  const sel = root && field ? root.querySelector('select[name="' + CSS.escape(field + '.unit') + '"]') : null;
  if (!sel) return t('fieldError.range', { min: fmtNumber(min), max: fmtNumber(max) });
  // The bounds in the unit shown, as whole numbers inside the range (1 s
  // in minutes is "1"); seconds when the range is narrower than the unit.
  let u = Number(sel.value);
  let lo = Math.ceil(min / u);
  let hi = Math.floor(max / u);
  if (!UNIT_KEYS[u] || lo > hi) { u = 1; lo = min; hi = max; }
  const form = new Intl.PluralRules(getLocale()).select(hi) === 'one' ? 'one' : 'other';
  return t('fieldError.rangeUnit', { min: fmtNumber(lo), max: fmtNumber(hi), unit: t('fieldUnit.' + UNIT_KEYS[u] + '.' + form) });
}
