// Package realtime pushes committed events to operators' screens over
// WebSockets. Every node runs a Hub subscribed to the Bus; each connection
// has a bounded send queue, and a client that cannot keep up is dropped —
// its connection is closed at once — so that nobody else ever waits for it;
// the client reconnects and refetches.
//
// A connection lives no longer than the sign-in that opened it: it closes
// when an auth.revoked event names its user or sign-in session (sign-out,
// deactivation, a password change — on any node, since the event travels
// on the bus), when the sign-in expires, and, as a backstop, when a
// periodic re-check of its credentials fails.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/events"
)

// QueueSize bounds the messages waiting for one connection.
const QueueSize = 256

// HeartbeatEvery is how often the hub refreshes the presence of the users
// with an open connection, in one batched write: an open screen counts as
// online (SPEC §5).
const HeartbeatEvery = 20 * time.Second

// RecheckEvery is how often each connection's credentials are checked
// again, the backstop behind auth.revoked events.
const RecheckEvery = time.Minute

// CloseUnauthorized is the WebSocket close code sent when the sign-in
// behind a connection has ended: the client signs in again instead of
// reconnecting.
const CloseUnauthorized = 4001

// CloseRightsChanged is the close code when the user's rights changed: the
// client reconnects at once and refetches what it may see now.
const CloseRightsChanged = 4002

// Member is a user with an open connection on this node.
type Member struct{ UserID, WorkspaceID string }

// Options configure a Hub.
type Options struct {
	Log *slog.Logger
	// Publish sends what clients say (typing) to the bus.
	Publish func([]events.Event)
	// Touch refreshes the presence of every member at once (one write per
	// HeartbeatEvery for the whole node); nil does nothing.
	Touch func(ctx context.Context, members []Member) error
	// HeartbeatEvery and RecheckEvery override the defaults (tests).
	HeartbeatEvery, RecheckEvery time.Duration
}

// Hub holds the open operator connections of this node.
type Hub struct {
	opt  Options
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu     sync.RWMutex
	conns  map[string]map[*conn]struct{} // workspace → connections
	closed bool
}

// NewHub returns a running hub; Close stops it.
func NewHub(opt Options) *Hub {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.HeartbeatEvery <= 0 {
		opt.HeartbeatEvery = HeartbeatEvery
	}
	if opt.RecheckEvery <= 0 {
		opt.RecheckEvery = RecheckEvery
	}
	h := &Hub{opt: opt, log: opt.Log, conns: map[string]map[*conn]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go h.loop()
	return h
}

// Close drops every connection and refuses new ones (server shutdown).
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for _, m := range h.conns {
		for c := range m {
			c.drop(0, "")
		}
	}
	h.mu.Unlock()
	close(h.stop)
	<-h.done
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
// workspace that may see them (each connection's Sees, the rights model's
// one filter); subscribe it to the bus. It never blocks: a full queue drops
// its connection. When rights change — a role, a team, a user's role — the
// connections concerned are closed so that they reconnect with the new
// rights and refetch what they may see.
func (h *Hub) OnEvents(evs []events.Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, ev := range evs {
		switch ev.Type {
		case events.Capacity, events.TimersChanged, events.Outbound, events.KeyRevoked:
			continue // internal to routing, delivery and the credential caches
		case events.UserChanged:
			h.reconnect(ev.WorkspaceID, ev.UserIDs)
			continue
		case events.RightsChanged:
			h.reconnect(ev.WorkspaceID, nil)
			continue
		case events.AuthRevoked:
			h.revoke(ev)
			continue
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
			if ev.Type == events.Typing && len(ev.UserIDs) > 0 && ev.UserIDs[0] == c.UserID {
				continue // not back to the one typing
			}
			if c.Sees != nil && !c.Sees(ev) {
				continue
			}
			if !c.enqueue(b) {
				c.drop(0, "") // too slow: it resyncs on reconnect
			}
		}
	}
}

// reconnect closes the connections of users (all of the workspace's when
// nil) with a code that makes screens reconnect at once. The caller holds
// h.mu.
func (h *Hub) reconnect(wsID string, users []string) {
	for c := range h.conns[wsID] {
		if users == nil || slices.Contains(users, c.UserID) {
			c.drop(CloseRightsChanged, "your rights changed")
		}
	}
}

// revoke closes the connections of a revoked sign-in: all of its users'
// when the event names no sign-in session. The caller holds h.mu.
func (h *Hub) revoke(ev events.Event) {
	for c := range h.conns[ev.WorkspaceID] {
		for _, u := range ev.UserIDs {
			if c.UserID == u && (ev.AuthSession == "" || ev.AuthSession == c.AuthSession) {
				c.drop(CloseUnauthorized, "signed out: "+ev.Reason)
			}
		}
	}
}

func (h *Hub) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.conns[c.WorkspaceID] == nil {
		h.conns[c.WorkspaceID] = map[*conn]struct{}{}
	}
	h.conns[c.WorkspaceID][c] = struct{}{}
	return true
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns[c.WorkspaceID], c)
	if len(h.conns[c.WorkspaceID]) == 0 {
		delete(h.conns, c.WorkspaceID)
	}
	h.mu.Unlock()
}

// snapshot lists the open connections.
func (h *Hub) snapshot() []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*conn
	for _, m := range h.conns {
		for c := range m {
			out = append(out, c)
		}
	}
	return out
}

// loop is the hub's one background goroutine: batched presence for every
// connected user, expiry of sign-ins, and the periodic re-check.
func (h *Hub) loop() {
	defer close(h.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	beat := time.NewTicker(h.opt.HeartbeatEvery)
	defer beat.Stop()
	recheck := time.NewTicker(h.opt.RecheckEvery)
	defer recheck.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-beat.C:
			h.touch(ctx)
		case <-recheck.C:
			h.recheck(ctx)
		}
	}
}

func (h *Hub) touch(ctx context.Context) {
	if h.opt.Touch == nil {
		return
	}
	seen := map[Member]bool{}
	var members []Member
	for _, c := range h.snapshot() {
		m := Member{c.UserID, c.WorkspaceID}
		if !seen[m] {
			seen[m] = true
			members = append(members, m)
		}
	}
	if len(members) == 0 {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.opt.Touch(tctx, members); err != nil {
		h.log.Warn("realtime: presence", "error", err, "users", len(members))
	}
}

// recheck closes the connections whose sign-in has expired or whose
// credentials no longer hold. A check that fails for another reason (the
// database is away) keeps the connection: revocation events still work.
func (h *Hub) recheck(ctx context.Context) {
	now := time.Now()
	for _, c := range h.snapshot() {
		if !c.Expires.IsZero() && !now.Before(c.Expires) {
			c.drop(CloseUnauthorized, "the sign-in has expired")
			continue
		}
		if c.Recheck == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		authorised, err := c.Recheck(cctx)
		cancel()
		if err != nil {
			h.log.Warn("realtime: re-check", "error", err)
			continue
		}
		if !authorised {
			c.drop(CloseUnauthorized, "the sign-in has ended")
		}
	}
}
