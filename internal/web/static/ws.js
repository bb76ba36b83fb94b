// The operator's real-time connection: /api/v1/ws carries committed events
// to the screen and typing from it. It reconnects with backoff; every
// (re)connect calls onOpen so the screen refetches what it shows (resync),
// because events sent while it was away are not replayed. Close code 4001
// means the sign-in behind it ended: it stops and calls onSignedOut. Close
// code 4002 means the user's rights changed: it reconnects at once and calls
// onRightsChanged, so the screen reloads what it may show.
export function connect({ onEvent, onOpen, onState, onSignedOut, onRightsChanged }) {
  let sock = null;
  let stopped = false;
  let delay = 500;
  let timer = null;

  function open() {
    if (stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    sock = new WebSocket(proto + '//' + location.host + '/api/v1/ws');
    onState('connecting');
    sock.addEventListener('open', () => {
      delay = 500;
      onState('online');
      onOpen();
    });
    sock.addEventListener('message', (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev && typeof ev.type === 'string') onEvent(ev);
    });
    sock.addEventListener('close', (e) => {
      sock = null;
      if (stopped) return;
      if (e.code === 4001) { // the sign-in ended (signed out, deactivated, expired): no reconnect
        stopped = true;
        onState('offline');
        if (onSignedOut) onSignedOut();
        return;
      }
      if (e.code === 4002) { // rights changed: reconnect now with the new ones
        delay = 100;
        if (onRightsChanged) onRightsChanged();
      }
      onState('offline');
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }
  open();

  return {
    send(msg) {
      if (sock && sock.readyState === WebSocket.OPEN) sock.send(JSON.stringify(msg));
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      if (sock) sock.close();
    },
  };
}
