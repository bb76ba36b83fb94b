// A channel's keys (its own credential for its inbound): shown once when
// made, listed by hint, made anew to rotate, revoked at once.
import { api } from './api.js';
import { h, replace, modal } from './dom.js';
import { t, fmtDate } from './i18n.js';

// secretCard shows a new key's secret this once, with a copy button.
export function secretCard(ctx, title, secret) {
  const code = h('code', { class: 'code key-secret', testid: 'channel-key-secret' }, secret);
  const copy = h('button', { type: 'button', class: 'btn', testid: 'channel-key-copy' }, t('channels.copy'));
  copy.addEventListener('click', () => navigator.clipboard && navigator.clipboard.writeText(secret).then(() => ctx.toast(t('channels.copied'), 'ok')));
  return h('div', { class: 'card', role: 'status', testid: 'channel-key' },
    h('h2', { class: 'card-title' }, title), h('p', { class: 'muted' }, t('channels.keyOnce')), h('div', { class: 'inline-form' }, code, copy));
}

// keysButton opens the dialog of channel c's keys.
export function keysButton(ctx, c) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm', testid: 'channel-keys' }, t('channels.keys'));
  btn.addEventListener('click', () => openKeys(ctx, c));
  return btn;
}

function openKeys(ctx, c) {
  const base = '/api/v1/channels/' + encodeURIComponent(c.id) + '/keys';
  const fresh = h('div', {});
  const list = h('div', {}, h('div', { class: 'list-empty' }, t('common.loading')));
  const make = h('button', { type: 'button', class: 'btn btn-primary', testid: 'channel-key-new' }, t('channels.keyNew'));
  async function load() {
    try {
      const r = await api('GET', base);
      if (!r.keys.length) {
        replace(list, h('div', { class: 'list-empty', testid: 'channel-keys-empty' }, t('channels.keysEmpty')));
        return;
      }
      replace(list, h('table', { class: 'table', testid: 'channel-keys-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('channels.keyHint')), h('th', {}, t('channels.col.created')), h('th', {}))),
        h('tbody', {}, r.keys.map((k) => {
          const revoke = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'channel-key-revoke' }, t('channels.keyRevoke'));
          revoke.addEventListener('click', async () => {
            if (!window.confirm(t('channels.keyRevokeConfirm', { hint: k.hint }))) return;
            try {
              await api('DELETE', base + '/' + encodeURIComponent(k.id));
              ctx.toast(t('channels.keyRevoked'), 'ok');
              load();
            } catch (e) { ctx.toast(e.message, 'error'); }
          });
          return h('tr', { testid: 'channel-key-row', dataset: { keyId: k.id } }, h('td', {}, h('code', { class: 'code' }, k.hint + '…')),
            h('td', { class: 'muted' }, fmtDate(k.created_at)), h('td', {}, revoke));
        }))));
    } catch (e) {
      replace(list, h('p', { class: 'form-error' }, e.message));
    }
  }
  make.addEventListener('click', async () => {
    make.disabled = true;
    try {
      const k = await api('POST', base);
      replace(fresh, secretCard(ctx, t('channels.keyMade'), k.secret));
      load();
    } catch (e) { ctx.toast(e.message, 'error'); } finally { make.disabled = false; }
  });
  modal(t('channels.keysTitle', { name: c.name }), h('div', { class: 'stack' }, h('p', { class: 'muted' }, t('channels.keysHint')), fresh, list, h('div', {}, make)),
    { testid: 'channel-keys-dialog', wide: true });
  load();
}
