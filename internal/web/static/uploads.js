// Files in the inbox: the composer's attach button (a hidden file input,
// drag and drop onto the chat, paste of a picture), each file uploaded with
// XMLHttpRequest so that its progress shows, with cancel; and how a
// message's file reads in the timeline (a preview of a picture, a chip to
// download anything else). The body of an upload is the file itself
// (POST /api/v1/dialogs/{id}/files?name=…); the server sniffs its type.
import { h, s, add } from './dom.js';
import { t, getLocale } from './i18n.js';
import { ApiError } from './api.js';

const UNITS = ['b', 'kb', 'mb', 'gb'];
const icon = (d, px = 18) => s('svg', { viewBox: '0 0 24 24', width: px, height: px, class: 'file-svg', 'aria-hidden': 'true', focusable: 'false' }, s('path', { d, fill: 'currentColor' }));
const CLIP = 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z';
const DOC = 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z';

// fmtSize is a size in bytes for people, in the screen's language: 1.5 MB.
export function fmtSize(n) {
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  const num = new Intl.NumberFormat(getLocale() === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: i && v < 10 ? 1 : 0 }).format(v);
  return t('size.' + UNITS[i], { n: num });
}

// previewText is a message as the dialog list keeps it: a file by its
// name after a paperclip, which previewEl draws as an icon (not every
// system has a font with the emoji).
const CLIP_MARK = '📎 ';
export const previewText = (m) => (m.attachment ? CLIP_MARK + m.text : m.text);
export const previewEl = (text) => (String(text).startsWith(CLIP_MARK)
  ? [h('span', { class: 'di-file', testid: 'preview-file', title: t('files.file') }, icon(CLIP, 14)), String(text).slice(CLIP_MARK.length)] : text);

// fileURL is where an operator reads a file (their session cookie).
export const fileURL = (a) => '/api/v1/files/' + encodeURIComponent(a.id);

// attachmentEl draws a message's file: a picture as a preview that opens
// full size in a new tab, anything else as a chip that downloads it. The
// name is text, whatever it holds.
export function attachmentEl(a) {
  const url = fileURL(a);
  if (a.image) {
    return h('div', { class: 'msg-file', testid: 'file' },
      h('a', { class: 'msg-preview', href: url, target: '_blank', rel: 'noopener', testid: 'file-preview' },
        h('img', { src: url, alt: a.name, loading: 'lazy', testid: 'file-img' })),
      h('div', { class: 'msg-text msg-file-name', testid: 'message-text' }, a.name));
  }
  return h('a', { class: 'file-chip', href: url, download: a.name, testid: 'file-chip', title: a.name },
    icon(DOC),
    h('span', { class: 'file-name', testid: 'message-text' }, a.name),
    h('span', { class: 'file-size', testid: 'file-size' }, fmtSize(a.size)));
}

// sendFile posts file to url with XMLHttpRequest; onProgress(loaded, total)
// follows the upload. done resolves with the answer's JSON or rejects with
// an ApiError (code "aborted" after abort()).
export function sendFile(url, file, onProgress) {
  const x = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    x.open('POST', url);
    // As api.js: a same-origin request with the session cookie (Go's
    // CrossOriginProtection lets it through by its Sec-Fetch-Site).
    x.withCredentials = true;
    x.setRequestHeader('Accept', 'application/json');
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    x.onload = () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status >= 200 && x.status < 300) return void resolve(data);
      const e = (data && data.error) || {};
      reject(new ApiError(x.status, e.code || 'http_' + x.status, e.message || t('error.http', { status: x.status }), e.field, e.reason, e.params));
    };
    x.onerror = () => reject(new ApiError(0, 'network', t('error.network')));
    x.onabort = () => reject(new ApiError(0, 'aborted', ''));
    x.send(file);
  });
  return { done, abort: () => x.abort() };
}

// uploadError words a refused upload in the screen's language.
export function uploadError(e) {
  if (e.reason === 'file_too_large') return t('files.tooLarge', { max: fmtSize(e.params.max) });
  if (e.reason === 'quota_exceeded') return t('files.quota');
  if (e.status === 409) return t('files.conflict');
  if (e.status === 400 && e.field === 'body') return t('files.empty');
  return e.message;
}

const LISTS = new Map(); // dialog id → its list of uploads

// attachments makes the composer's files for the dialog id: button and
// input go in its bar, list shows the uploads; dropOn(...els) takes files
// dropped there, the paste of a picture into paste (the textarea) too.
// onSent(message) gets each stored message, onGone() a 404; sync(note)
// follows the composer's mode.
export function attachments(id, { paste, onSent, onGone }) {
  const input = h('input', { type: 'file', multiple: true, hidden: true, testid: 'file-input', tabindex: '-1' });
  input.addEventListener('change', () => { pick(input.files); input.value = ''; });
  const button = h('button', { type: 'button', class: 'btn btn-sm attach-btn', testid: 'attach', 'aria-label': t('files.attach'), title: t('files.attach'), onclick: () => input.click() }, icon(CLIP));
  // A dialog's uploads go on while the operator looks at another one.
  const list = LISTS.get(id) || h('div', { class: 'uploads', testid: 'uploads', 'aria-live': 'polite' });
  for (const [k, l] of LISTS) if (!l.childElementCount) LISTS.delete(k);
  LISTS.set(id, list);
  const pick = (files) => { if (!button.disabled) for (const f of Array.from(files || [])) one(f); };
  // A file goes to the customer: none while the composer writes a private note.
  const sync = (note) => { button.disabled = note; button.title = t(note ? 'files.notInNote' : 'files.attach'); };

  function one(file) {
    const name = file.name || 'file';
    const bar = h('progress', { class: 'upload-bar', testid: 'upload-progress', max: '100', value: 0, 'aria-label': t('files.uploading', { name }) });
    const status = h('span', { class: 'upload-status', testid: 'upload-status', role: 'status' }, t('files.sending'));
    const cancel = h('button', { type: 'button', class: 'icon-btn upload-cancel', testid: 'upload-cancel', 'aria-label': t('files.cancel'), title: t('files.cancel') }, '×');
    const row = h('div', { class: 'upload', testid: 'upload', dataset: { state: 'sending' } },
      h('span', { class: 'upload-name', testid: 'upload-name' }, name), h('span', { class: 'upload-size muted' }, fmtSize(file.size)), bar, status, cancel);
    add(list, row);
    const up = sendFile('/api/v1/dialogs/' + encodeURIComponent(id) + '/files?name=' + encodeURIComponent(name), file,
      (done, total) => { bar.value = Math.round((done * 100) / total); });
    cancel.onclick = up.abort;
    up.done.then((m) => { row.remove(); onSent(m); }, (e) => {
      if (e.code === 'aborted') return void row.remove();
      if (e.status === 404) { row.remove(); onGone(); return; }
      row.dataset.state = 'failed';
      bar.remove();
      status.textContent = uploadError(e);
      status.setAttribute('role', 'alert');
      cancel.setAttribute('aria-label', t('common.close'));
      cancel.onclick = () => row.remove();
    });
  }

  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  function dropOn(...els) {
    for (const el of els) {
      el.addEventListener('dragover', (e) => { if (!hasFiles(e)) return; e.preventDefault(); el.classList.add('drop-on'); });
      el.addEventListener('dragleave', () => el.classList.remove('drop-on'));
      el.addEventListener('drop', (e) => { el.classList.remove('drop-on'); if (!hasFiles(e)) return; e.preventDefault(); pick(e.dataTransfer.files); });
    }
  }
  paste.addEventListener('paste', (e) => {
    const files = Array.from((e.clipboardData && e.clipboardData.items) || []).filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    if (!files.length) return;
    e.preventDefault();
    pick(files);
  });
  return { button, input, list, dropOn, pick, sync };
}
