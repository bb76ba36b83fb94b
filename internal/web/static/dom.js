// DOM helpers. Everything the application shows is built with
// document.createElement; strings always become text nodes, so data (a
// customer's message, a name) can never become markup.

import { t } from './i18n.js';

const BOOL_PROPS = new Set(['checked', 'disabled', 'selected', 'hidden', 'multiple', 'required', 'readOnly']);

// h builds an element: h('button', {class: 'btn', onclick: fn, testid: 'x'}, 'text', child…).
// Props: class, text, testid, dataset, on<event>, value, boolean properties;
// anything else becomes an attribute. Children: nodes or strings (as text).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  add(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// s builds an SVG element with attributes.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  add(el, children);
  return el;
}

function setProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') {
      if (v) el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    } else if (k === 'text') {
      el.textContent = v;
    } else if (k === 'testid') {
      el.dataset.testid = v;
    } else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value') {
      el.value = v;
    } else if (BOOL_PROPS.has(k)) {
      el[k] = !!v;
    } else if (v === false) {
      continue;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

// add appends children (nodes, strings as text, arrays, skipping null/false).
export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// replace swaps all children of el.
export function replace(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

// debounce runs fn once, ms after the last call.
export function debounce(fn, ms) {
  let timer = null;
  const d = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

// initials of a name for an avatar.
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const first = parts[0] ? Array.from(parts[0])[0] : '?';
  const second = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] : '';
  return (first + second).toUpperCase();
}

// hue picks a stable colour for a string (avatars).
export function hue(str) {
  let x = 0;
  for (const ch of String(str)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 360;
}

// avatar is a round badge with initials in a colour derived from key.
export function avatar(name, key, size) {
  const el = h('span', { class: ['avatar', size && 'avatar-' + size], 'aria-hidden': 'true' }, initials(name));
  el.style.setProperty('--h', String(hue(key || name)));
  return el;
}

// modal opens a <dialog> with a title, body and buttons; close() closes it.
export function modal(title, body, { testid, onClose, wide } = {}) {
  const dlg = h('dialog', { class: ['modal', wide && 'modal-wide'], testid });
  const close = () => { if (dlg.open) dlg.close(); };
  dlg.addEventListener('close', () => { dlg.remove(); if (onClose) onClose(); });
  dlg.addEventListener('click', (e) => { if (e.target === dlg) close(); });
  add(dlg, [
    h('div', { class: 'modal-head' },
      h('h2', { class: 'modal-title' }, title),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('common.close'), onclick: close, testid: 'modal-close' }, '×')),
    h('div', { class: 'modal-body' }, body),
  ]);
  document.body.append(dlg);
  dlg.showModal();
  return { el: dlg, close };
}

// showPage puts one page of a paged list into its table: the rows (a fresh
// page replaces them), the "more" button, and the empty note instead of an
// empty table.
export function showPage({ rows, table, empty, more }, nodes, fresh, hasMore) {
  if (fresh) replace(rows);
  add(rows, nodes);
  more.hidden = !hasMore;
  empty.hidden = rows.childElementCount > 0;
  table.hidden = !empty.hidden;
}
