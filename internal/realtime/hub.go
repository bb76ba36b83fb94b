// Package realtime pushes committed events to operators' screens over
// WebSockets. Every node runs a Hub subscribed to the Bus; each connection
// has a bounded send queue, and a client that cannot keep up is dropped —
// its connection is closed at once — so that nobody else ever waits for it;
// the client reconnects and refetches.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
)

// QueueSize bounds the messages waiting for one connection.
const QueueSize = 256

// HeartbeatEvery is how often an open connection refreshes its user's
// presence: an open screen counts as online (SPEC §5).
const HeartbeatEvery = 20 * time.Second

// Hub holds the open operator connections of this node.
type Hub struct {
	log     *slog.Logger
	publish func([]events.Event)

	mu     sync.RWMutex
	conns  map[string]map[*conn]struct{} // workspace → connections
	closed bool
}

// Close drops every connection and refuses new ones (server shutdown).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, m := range h.conns {
		for c := range m {
			c.drop()
		}
	}
}

type conn struct {
	userID, wsID string
	ws           *websocket.Conn
	send         chan []byte
	once         sync.Once
	gone         chan struct{}
}

// drop ends a connection at once, even with its writer blocked on a full
// socket: the client notices, reconnects and resyncs.
func (c *conn) drop() {
	c.once.Do(func() {
		close(c.gone)
		c.ws.CloseNow()
	})
}

// NewHub returns a hub; publish sends what clients say (typing) to the bus.
func NewHub(log *slog.Logger, publish func([]events.Event)) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{log: log, publish: publish, conns: map[string]map[*conn]struct{}{}}
}

// Connections returns how many clients are connected.
func (h *Hub) Connections() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, m := range h.conns {
		n += len(m)
	}
	return n
}

// OnEvents delivers committed events to the connections of their
// workspace; subscribe it to the bus. It never blocks: a full queue drops
// its connection. Every member of a workspace may see its dialogs for now;
// the rights model narrows this in one place, here.
func (h *Hub) OnEvents(evs []events.Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, ev := range evs {
		if ev.Type == events.Capacity || ev.Type == events.TimersChanged {
			continue // internal to routing
		}
		targets := h.conns[ev.WorkspaceID]
		if len(targets) == 0 {
			continue
		}
		b, err := json.Marshal(ev)
		if err != nil {
			h.log.Error("realtime: encode event", "error", err)
			continue
		}
		for c := range targets {
			if ev.Type == events.Typing && len(ev.UserIDs) > 0 && ev.UserIDs[0] == c.userID {
				continue // not back to the one typing
			}
			select {
			case c.send <- b:
			default:
				c.drop() // too slow: it resyncs on reconnect
			}
		}
	}
}

func (h *Hub) add(c *conn) {
	h.mu.Lock()
	if h.closed {
		c.drop()
	}
	if h.conns[c.wsID] == nil {
		h.conns[c.wsID] = map[*conn]struct{}{}
	}
	h.conns[c.wsID][c] = struct{}{}
	h.mu.Unlock()
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns[c.wsID], c)
	if len(h.conns[c.wsID]) == 0 {
		delete(h.conns, c.wsID)
	}
	h.mu.Unlock()
}

// clientMessage is what a screen may send: typing in a dialog.
type clientMessage struct {
	Type     string `json:"type"`
	DialogID string `json:"dialog_id"`
}

// Serve upgrades the request to a WebSocket for an authenticated user and
// runs it until either side closes. The origin must be the server's own
// (the library's default check), so other sites cannot open it with the
// user's cookie. alive refreshes the user's presence.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, userID, wsID string, alive func(context.Context) error) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4096)
	c := &conn{userID: userID, wsID: wsID, ws: ws, send: make(chan []byte, QueueSize), gone: make(chan struct{})}
	h.add(c)
	defer h.remove(c)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if err := alive(ctx); err != nil {
		h.log.Warn("realtime: presence", "error", err)
	}
	go func() { // reader: typing, and noticing a closed socket
		defer cancel()
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m clientMessage
			if json.Unmarshal(b, &m) == nil && m.Type == events.Typing && m.DialogID != "" && len(m.DialogID) <= 64 && h.publish != nil {
				h.publish([]events.Event{{Type: events.Typing, WorkspaceID: wsID, DialogID: m.DialogID, UserIDs: []string{userID}, At: time.Now().UTC()}})
			}
		}
	}()
	tick := time.NewTicker(HeartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case b := <-c.send:
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := ws.Write(wctx, websocket.MessageText, b)
			wcancel()
			if err != nil {
				return
			}
		case <-tick.C:
			if err := alive(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("realtime: presence", "error", err)
			}
		case <-c.gone:
			return
		case <-ctx.Done():
			ws.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}
