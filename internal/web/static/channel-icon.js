// The channel a dialog came through, as a small icon of our own drawing
// with its kind's name (channelType.*) for screen readers and as a
// tooltip. A dialog carries its channel_id; the kind is read once per
// channel (GET /api/v1/channels/{id}) and kept for the page's life: a
// channel never changes its kind. Kinds this screen does not draw yet get
// the generic icon, under their own name when there is one.
import { api } from './api.js';
import { h, s, replace } from './dom.js';
import { t } from './i18n.js';

// Each kind is a few strokes on a 20×20 grid, drawn in currentColor.
const P = (d) => s('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' });
const DRAW = {
  // Angle brackets: a program speaks through the API.
  api: () => [P('M7 6l-4 4 4 4'), P('M13 6l4 4-4 4'), P('M11 4.5l-2 11')],
  // A paper plane.
  telegram: () => [P('M2.5 9.5l14.5-6-2.5 13-4.5-3.5-2.5 3v-4.5l7-6.5-8.5 5.5z')],
  // An envelope.
  email: () => [P('M3 5h14v10H3z'), P('M3 5.5l7 5.5 7-5.5')],
  // A browser window with a speech bubble: the web chat widget.
  webchat: () => [P('M2.5 4h15v10h-15z'), P('M2.5 7h15'), P('M7 10.5h6')],
  // A handset.
  phone: () => [P('M5 2.5l2.5 0.5 1 3.5-1.8 1.2a9 9 0 0 0 5.6 5.6l1.2-1.8 3.5 1 0.5 2.5a2 2 0 0 1-2 2A14 14 0 0 1 3 4.5a2 2 0 0 1 2-2z')],
  // Two speech bubbles: any other source of messages.
  generic: () => [P('M3 4h10v7H7l-3 2.5V11H3z'), P('M15 7.5h2v7h-1v2.5l-3-2.5H9v-1.5')],
};
const ALIASES = { widget: 'webchat' };

const kinds = new Map(); // channel id → Promise of its kind ('' when unknown)

function kindOf(channelId) {
  if (!kinds.has(channelId)) {
    kinds.set(channelId, api('GET', '/api/v1/channels/' + encodeURIComponent(channelId))
      .then((c) => c.type || '', () => { kinds.delete(channelId); return ''; })); // a failed read is tried again by the next item
  }
  return kinds.get(channelId);
}

// kindName is a kind's name in the interface's language; '' for none.
function kindName(kind) {
  const k = 'channelType.' + kind;
  return kind && t(k) !== k ? t(k) : '';
}

function paint(el, kind) {
  const drawn = DRAW[ALIASES[kind] || kind] ? ALIASES[kind] || kind : 'generic';
  const label = t('channel.via', { kind: kindName(kind) || kind || t('channel.unknown') });
  el.dataset.kind = kind || 'unknown';
  el.setAttribute('aria-label', label);
  el.title = label;
  replace(el, s('svg', { viewBox: '0 0 20 20', width: 14, height: 14, 'aria-hidden': 'true', focusable: 'false' }, DRAW[drawn]()));
}

// channelIcon draws the channel channelId: the generic icon at once, its
// kind's as soon as it is known (a known kind before the next paint).
export function channelIcon(channelId) {
  const el = h('span', { class: 'channel-icon', role: 'img', testid: 'channel-icon' });
  paint(el, '');
  if (channelId) kindOf(channelId).then((kind) => { if (kind) paint(el, kind); });
  return el;
}
