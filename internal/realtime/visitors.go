package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
)

// Visitors holds the widget visitors' WebSockets of this node (docs/WIDGET.md),
// apart from the operators' Hub: a visitor has no cookie and no rights, sees
// only their own conversation, and what they get is a visitor's view of an
// event (never user ids, notes or timeline events). Connections are found by
// their dialog — an event costs a map lookup, not a walk over every socket —
// and, while the visitor has not written yet, by their customer: the first
// message's event (which names the customer) files them under the new dialog.
type Visitors struct {
	log *slog.Logger

	mu         sync.RWMutex
	byDialog   map[string]map[*visitorConn]struct{}
	byCustomer map[string]map[*visitorConn]struct{} // "channel/external" → sockets without a dialog yet
	closed     bool
}

// Close codes of a visitor's socket.
const (
	CloseVisitorUnknown = 4001 // the token is unknown: the widget starts over
	CloseOriginRefused  = 4003 // the site may not embed this widget
)

// Hello is a visitor socket's first frame.
type Hello struct {
	Type  string `json:"type"`
	Token string `json:"token"`
	After string `json:"after"`
}

// VisitorFrame is what a widget may send after hello.
type VisitorFrame struct {
	Type      string `json:"type"`
	MessageID string `json:"message_id"`
	Read      bool   `json:"read"`
}

// Visitor is an authenticated visitor socket, as the HTTP layer made it.
type Visitor struct {
	// Customer is "channel/external id"; DialogID is "" until the first message.
	Customer, DialogID string
	// Replay returns the frames of the dialog's messages after the id (resume).
	Replay func(ctx context.Context, dialogID, after string) ([][]byte, error)
	// Frame renders an event of the dialog for the visitor; nil sends nothing.
	// It runs in the connection's writer, never in the bus's goroutine.
	Frame func(ctx context.Context, ev events.Event) []byte
	// Said handles a frame from the widget (typing, seen).
	Said func(ctx context.Context, dialogID string, f VisitorFrame)
}

// HelloTimeout bounds the wait for a socket's hello.
const HelloTimeout = 10 * time.Second

// NewVisitors returns an empty set of visitor sockets.
func NewVisitors(log *slog.Logger) *Visitors {
	if log == nil {
		log = slog.Default()
	}
	return &Visitors{log: log, byDialog: map[string]map[*visitorConn]struct{}{}, byCustomer: map[string]map[*visitorConn]struct{}{}}
}

type visitorConn struct {
	Visitor
	ws *websocket.Conn

	mu      sync.Mutex
	dialog  string
	queue   []events.Event
	pending [][]byte // frames made already (the replay)
	writing bool
	held    bool
	gone    bool
}

// Serve upgrades the request and runs the visitor's socket. The Origin is
// checked by auth once the hello names the visitor (and so the channel);
// auth returns the visitor or a close code (CloseVisitorUnknown,
// CloseOriginRefused) with its reason.
func (v *Visitors) Serve(w http.ResponseWriter, r *http.Request, auth func(ctx context.Context, h Hello) (*Visitor, websocket.StatusCode, string)) {
	// Any site may open the socket: which sites may is the channel's
	// setting, checked by auth against the Origin once the token is known.
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled, InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(4096)
	// As for operators: the connection runs in a goroutine of its own,
	// started with a small stack, and the handler's goroutine returns.
	go v.run(ws, sb.br, auth)
}

func (v *Visitors) run(ws *websocket.Conn, br *bufio.Reader, auth func(ctx context.Context, h Hello) (*Visitor, websocket.StatusCode, string)) {
	defer func() {
		if ws != nil {
			ws.CloseNow()
		}
	}()
	// A timer, not a context on the read: a read's context that ends
	// right after the read returns can still cut the next one short.
	timer := time.AfterFunc(HelloTimeout, func() { ws.CloseNow() })
	_, b, err := ws.Read(context.Background())
	timer.Stop()
	var h Hello
	if err != nil || json.Unmarshal(b, &h) != nil || h.Type != "hello" || h.Token == "" {
		ws.Close(websocket.StatusPolicyViolation, "the first frame must be a hello with the visitor's token")
		return
	}
	vis, code, reason := auth(context.Background(), h)
	if vis == nil {
		ws.Close(code, reason)
		return
	}
	// Held (writing without a writer) until the replay is queued, so that
	// live events never overtake it.
	c := &visitorConn{Visitor: *vis, ws: ws, dialog: vis.DialogID, writing: true, held: true}
	if !v.add(c) {
		ws.Close(websocket.StatusGoingAway, "the server is shutting down")
		return
	}
	// Filed first, then the replay: an event committed meanwhile is sent
	// twice rather than never, and the widget drops an id it shows already.
	var frames [][]byte
	if c.dialog != "" && c.Replay != nil {
		if frames, err = c.Replay(context.Background(), c.dialog, h.After); err != nil {
			v.remove(c)
			v.log.Warn("realtime: visitor replay", "error", err)
			ws.Close(websocket.StatusTryAgainLater, "could not read the conversation; reconnect")
			return
		}
	}
	c.send(append(frames, []byte(`{"type":"ready"}`)))
	// The socket's life is its reads, in a goroutine of its own: this one's
	// stack grew with the authentication and the replay (the database),
	// and an idle socket should not keep it (docs/BENCHMARKS.md).
	go v.read(c, br)
	ws = nil // the reader closes it now
}

// read reads the widget's frames until the socket ends, then closes it
// and forgets it. An idle socket waits for its next frame in a Peek of the
// connection's reader, a shallow call, not inside the library's Read, so
// that its goroutine's stack shrinks to the runtime's smallest at the
// next collections (Read's grown it; only this goroutine reads, so the
// Peek never races the library).
func (v *Visitors) read(c *visitorConn, br *bufio.Reader) {
	ws := c.ws
	defer ws.CloseNow()
	defer v.remove(c)
	for {
		if _, err := br.Peek(1); err != nil {
			return
		}
		_, b, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		var f VisitorFrame
		if json.Unmarshal(b, &f) != nil || c.Said == nil {
			continue
		}
		c.mu.Lock()
		d := c.dialog
		c.mu.Unlock()
		if d != "" && (f.Type == "typing" || f.Type == "seen") {
			c.Said(context.Background(), d, f)
		}
	}
}

func (v *Visitors) add(c *visitorConn) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return false
	}
	if c.dialog != "" {
		addTo(v.byDialog, c.dialog, c)
	} else {
		addTo(v.byCustomer, c.Customer, c)
	}
	return true
}

func (v *Visitors) remove(c *visitorConn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c.mu.Lock()
	d := c.dialog
	c.gone, c.queue, c.pending = true, nil, nil
	c.mu.Unlock()
	removeFrom(v.byDialog, d, c)
	removeFrom(v.byCustomer, c.Customer, c)
}

func addTo(m map[string]map[*visitorConn]struct{}, key string, c *visitorConn) {
	set := m[key]
	if set == nil {
		set = map[*visitorConn]struct{}{}
		m[key] = set
	}
	set[c] = struct{}{}
}

func removeFrom(m map[string]map[*visitorConn]struct{}, key string, c *visitorConn) {
	if set := m[key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}

// Connections counts the open visitor sockets.
func (v *Visitors) Connections() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := 0
	for _, m := range v.byDialog {
		n += len(m)
	}
	for _, m := range v.byCustomer {
		n += len(m)
	}
	return n
}

// Close drops every visitor socket and refuses new ones.
func (v *Visitors) Close() {
	v.mu.Lock()
	v.closed = true
	var all []*visitorConn
	for _, m := range []map[string]map[*visitorConn]struct{}{v.byDialog, v.byCustomer} {
		for _, set := range m {
			for c := range set {
				all = append(all, c)
			}
		}
	}
	v.mu.Unlock()
	for _, c := range all {
		c.ws.CloseNow()
	}
}

// OnEvents hands each event of a dialog to the visitor sockets of that
// dialog; subscribe it to the bus. It never blocks: rendering happens in
// each connection's writer, and a connection that falls QueueSize events
// behind is dropped (the widget reconnects and resumes).
func (v *Visitors) OnEvents(evs []events.Event) {
	var drop []*visitorConn
	v.mu.Lock() // writes: a first message moves sockets to their dialog
	for _, ev := range evs {
		if ev.DialogID == "" {
			continue
		}
		if ev.Type == events.MessageCreated && ev.Customer != "" {
			if set := v.byCustomer[ev.Customer]; set != nil {
				delete(v.byCustomer, ev.Customer)
				for c := range set {
					c.mu.Lock()
					c.dialog = ev.DialogID
					c.mu.Unlock()
					addTo(v.byDialog, ev.DialogID, c)
				}
			}
		}
		for c := range v.byDialog[ev.DialogID] {
			if !c.enqueue(ev) {
				drop = append(drop, c)
			}
		}
	}
	v.mu.Unlock()
	for _, c := range drop {
		c.ws.CloseNow()
	}
}

// send queues frames made already (the replay, ready).
func (c *visitorConn) send(frames [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return
	}
	c.pending = append(c.pending, frames...)
	if c.held || !c.writing {
		c.held = false
		c.writing = true
		go c.flush()
	}
}

func (c *visitorConn) enqueue(ev events.Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return true
	}
	if len(c.queue) >= QueueSize {
		return false
	}
	c.queue = append(c.queue, ev)
	if !c.writing {
		c.writing = true
		go c.flush()
	}
	return true
}

// flush writes the made frames, then renders and writes the queued events,
// and exits when both are empty. Frames made already go first: the replay
// precedes what happened after the socket was filed.
func (c *visitorConn) flush() {
	ctx := context.Background()
	for {
		c.mu.Lock()
		var b []byte
		var ev *events.Event
		switch {
		case c.gone:
		case len(c.pending) > 0:
			b, c.pending[0] = c.pending[0], nil
			c.pending = c.pending[1:]
		case len(c.queue) > 0:
			e := c.queue[0]
			ev = &e
			c.queue[0] = events.Event{}
			c.queue = c.queue[1:]
		}
		if b == nil && ev == nil {
			c.writing, c.queue, c.pending = false, nil, nil
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if ev != nil && c.Frame != nil {
			b = c.Frame(ctx, *ev)
		}
		if b == nil {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.ws.Write(wctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			c.ws.CloseNow()
			return
		}
	}
}
