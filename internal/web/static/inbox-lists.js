// The inbox's dialog lists as the server pages them (next_cursor): what
// each tab asks for and how a tab loads n dialogs from a cursor on.
import { api, q } from './api.js';

export const PAGE = 50; // dialogs a tab loads at a time
const MAX_PAGE = 200; // the API's largest page

// tabQuery is the GET /api/v1/dialogs filter of a tab.
export function tabQuery(tab, me) {
  switch (tab) {
    case 'offered': return { offered_to: me.id };
    case 'mine': return { operator_id: me.id, status: 'open' };
    case 'queue': return { status: 'queued' };
    default: return {};
  }
}

// fetchDialogs loads up to n dialogs after cursor ('' for the first
// page); cursor in the answer is where the next page starts ('' at the end).
export async function fetchDialogs(query, cursor, n) {
  const dialogs = [];
  do {
    const r = await api('GET', '/api/v1/dialogs' + q({ ...query, limit: Math.min(MAX_PAGE, Math.max(1, n - dialogs.length)), cursor }));
    dialogs.push(...r.dialogs);
    cursor = r.next_cursor || '';
  } while (cursor && dialogs.length < n);
  return { dialogs, cursor };
}

// onMyLines keeps the dialogs of lines whose queue has me: without
// lines.view the server lists only the lines one works on, by name.
export function onMyLines(ds, lines, me) {
  const mine = new Set([...lines.values()].filter((l) => !l.queue || l.queue.includes(me.id)).map((l) => l.id));
  return ds.filter((d) => mine.has(d.line_id));
}

// readMarks moves the user's read markers and keeps the unread counts
// (d.unread, the server's figure) honest meanwhile: a list fetched before
// a marker moved may still count that dialog's messages; fix zeroes them.
// seq() is the number of the latest list fetch begun.
export function readMarks(seq) {
  const done = new Map(); // dialog id → seq() when its marker had moved
  return {
    async mark(id) {
      await api('POST', '/api/v1/dialogs/' + encodeURIComponent(id) + '/read');
      done.set(id, seq());
    },
    // fix corrects the dialogs of the list fetch number s.
    fix(ds, s) {
      for (const d of ds) {
        const at = done.get(d.id);
        if (at === undefined) continue;
        if (at >= s) d.unread = 0;
        else done.delete(d.id); // fetched after the marker moved: the server's figure is right
      }
      return ds;
    },
  };
}
