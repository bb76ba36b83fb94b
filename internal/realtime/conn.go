package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/input"
)

// Client is who opens a connection, as the HTTP layer authenticated them.
type Client struct {
	UserID, WorkspaceID string
	// AuthSession identifies the sign-in session behind the connection, as
	// auth.revoked events name it.
	AuthSession string
	// Expires is when the sign-in ends; the connection closes then.
	Expires time.Time
	// Online marks the user present as the connection opens.
	Online func(context.Context) error
	// Recheck reports whether the credentials still hold (false closes the
	// connection); an error means it could not tell.
	Recheck func(context.Context) (bool, error)
	// Sees decides, by the user's rights, whether an event reaches this
	// connection; nil sees every event of the workspace.
	Sees func(events.Event) bool
	// Typing prepares the user's typing event for a dialog (its audience),
	// false when the dialog is not theirs to see; nil publishes as is.
	Typing func(ctx context.Context, ev *events.Event) bool
}

// conn is one open connection. It costs one goroutine while idle — its
// reader — and a writer goroutine only while it has messages to send; its
// queue is a slice that grows only when used.
type conn struct {
	Client
	ws *websocket.Conn

	mu      sync.Mutex
	queue   [][]byte
	writing bool
	gone    bool
	code    websocket.StatusCode
	reason  string
}

// enqueue queues b for sending; false when the queue is full.
func (c *conn) enqueue(b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return true
	}
	if len(c.queue) >= QueueSize {
		return false
	}
	c.queue = append(c.queue, b)
	if !c.writing {
		c.writing = true
		go c.flush()
	}
	return true
}

// flush writes the queue out and exits when it is empty.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.gone {
			c.writing, c.queue = false, nil
			c.mu.Unlock()
			return
		}
		b := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.ws.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			c.drop(0, "")
			return
		}
	}
}

// drop ends a connection at once, even with its writer blocked on a full
// socket. With a code, the client is told why (best effort, bounded).
func (c *conn) drop(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	c.gone, c.code, c.reason, c.queue = true, code, reason, nil
	c.mu.Unlock()
	if code == 0 {
		c.ws.CloseNow()
		return
	}
	go func() { // a close handshake waits for the peer: not in the caller's goroutine
		done := make(chan struct{})
		go func() { c.ws.Close(code, reason); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		c.ws.CloseNow()
	}()
}

// clientMessage is what a screen may send: typing in a dialog.
type clientMessage struct {
	Type     string `json:"type"`
	DialogID string `json:"dialog_id"`
}

// Serve upgrades the request to a WebSocket for an authenticated client and
// runs it until either side closes. The origin must be the server's own
// (the library's default check), so other sites cannot open it with the
// user's cookie.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, cl Client) {
	ws, err := websocket.Accept(&smallBuffers{ResponseWriter: w}, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(4096)
	c := &conn{Client: cl, ws: ws}
	if !h.add(c) {
		ws.Close(websocket.StatusGoingAway, "the server is shutting down")
		ws.CloseNow()
		return
	}
	if cl.Online != nil {
		if err := cl.Online(r.Context()); err != nil {
			h.log.Warn("realtime: presence", "error", err)
		}
	}
	// The connection is read by a goroutine of its own, started with a small
	// stack, and the handler returns: its goroutine's stack has grown through
	// the middleware, the sign-in lookup and the upgrade, and an idle socket
	// would keep it for as long as it stays open.
	go h.read(c)
}

// read reads what the screen sends (typing) until the connection ends;
// closing it (drop) ends the read.
func (h *Hub) read(c *conn) {
	defer c.ws.CloseNow()
	defer h.remove(c)
	if !c.Expires.IsZero() {
		t := time.AfterFunc(time.Until(c.Expires), func() { c.drop(CloseUnauthorized, "the sign-in has expired") })
		defer t.Stop()
	}
	ctx := context.Background()
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var m clientMessage
		if json.Unmarshal(b, &m) == nil && m.Type == events.Typing && input.ID(m.DialogID) && h.opt.Publish != nil {
			ev := events.Event{Type: events.Typing, WorkspaceID: c.WorkspaceID, DialogID: m.DialogID, UserIDs: []string{c.UserID}, At: time.Now().UTC()}
			if c.Typing == nil || c.Typing(ctx, &ev) {
				h.opt.Publish([]events.Event{ev})
			}
		}
	}
}

// Buffer sizes of a connection: events are small and an idle connection
// should cost little; a larger message is read or written past the buffer.
const (
	readBuffer  = 512
	writeBuffer = 1024
)

// smallBuffers hands the WebSocket library smaller buffers than net/http's
// 4 KiB reader and writer, which a hijacked connection otherwise keeps for
// as long as it is open (8 KiB of 18 per idle socket). br is the reader it
// handed over (the library reads through it for the connection's life).
type smallBuffers struct {
	http.ResponseWriter
	br *bufio.Reader
}

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		c.Close()
		return nil, nil, err
	}
	s.br = carryOver(brw.Reader, c, readBuffer)
	return c, bufio.NewReadWriter(s.br, bufio.NewWriterSize(c, writeBuffer)), nil
}

// carryOver returns a reader of c with a buffer of size bytes that holds
// what old had read from c already (a client may write its first frame
// before the upgrade's answer has gone). The bytes are in the new reader's
// buffer, not behind it: the library resets the reader it is handed onto
// the connection, keeping only what is buffered, so bytes queued behind an
// io.MultiReader were lost and the next frame was read from its middle.
func carryOver(old *bufio.Reader, c io.Reader, size int) *bufio.Reader {
	n := old.Buffered()
	if n == 0 {
		return bufio.NewReaderSize(c, size)
	}
	b, _ := old.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), c), max(size, n))
	r.Peek(n) // from the bytes only: a bytes.Reader gives all n at once
	return r
}
