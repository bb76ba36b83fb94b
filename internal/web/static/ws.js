// The operator's real-time connection: /api/v1/ws carries committed events
// to the screen and typing from it. It reconnects with backoff; every
// (re)connect calls onOpen so the screen refetches what it shows (resync),
// because events sent while it was away are not replayed.
export function connect({ onEvent, onOpen, onState }) {
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
    sock.addEventListener('close', () => {
      sock = null;
      if (stopped) return;
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
