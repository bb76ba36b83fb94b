// Package events carries what happened, after it was committed, from the
// store to whoever reacts: the routing engine, operators' screens, webhooks.
// A transaction collects its events; the store hands them over only after
// the commit, so nobody ever sees an event of a rolled-back change.
package events

import (
	"sync"
	"time"
)

// Event types.
const (
	SessionOpened   = "session.opened"   // a customer message opened a session
	SessionOffered  = "session.offered"  // offered to UserIDs
	SessionTaken    = "session.taken"    // UserIDs[0] took it; others lose the offer
	SessionRequeued = "session.requeued" // back to waiting; nobody holds or is offered it
	SessionChanged  = "session.changed"  // status or flags changed
	MessageCreated  = "message.created"
	// Outbound: a text for the customer (MessageID) waits in the outbox;
	// delivery workers wake up.
	Outbound = "outbound.queued"
	// MessageDelivery: the delivery state of MessageID changed (Status:
	// sent, delivered, read, failed; Reason: the last error).
	MessageDelivery = "message.delivery"
	// Capacity means operators of the line may have room now: the routing
	// engine offers the line's waiting sessions again.
	Capacity = "line.capacity"
	// TimersChanged means a stored deadline was added or moved (an absence):
	// the scheduler looks at the earliest deadline again.
	TimersChanged = "timers.changed"
	// PresenceChanged reports an operator's new status.
	PresenceChanged = "presence.changed"
	// Typing: UserIDs (an operator) or the customer (Reason "customer") is typing in DialogID.
	Typing = "typing"
	// AuthRevoked: the sign-ins of UserIDs[0] ended (Reason: signed_out,
	// deactivated, password_changed) — only AuthSession's when it is set.
	// Their open connections close at once, on every node.
	AuthRevoked = "auth.revoked"
	// UserChanged: UserIDs[0]'s account changed (role, name, e-mail…).
	UserChanged = "user.changed"
	// KeyRevoked: a key of channel Reason was revoked; credential caches
	// drop the channel's keys.
	KeyRevoked = "key.revoked"
	// RightsChanged: a custom role's permissions or a team of WorkspaceID
	// changed. Credential caches drop the workspace's entries, and its
	// sockets reconnect, so that every screen filters with the new rights.
	RightsChanged = "rights.changed"
)

// Event is one committed change.
type Event struct {
	Type        string   `json:"type"`
	WorkspaceID string   `json:"workspace_id"`
	LineID      string   `json:"line_id,omitempty"`
	DialogID    string   `json:"dialog_id,omitempty"`
	SessionID   string   `json:"session_id,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
	UserIDs     []string `json:"user_ids,omitempty"`
	Status      string   `json:"status,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	// AuthSession names a sign-in session (by a digest of its hash, never
	// the secret) in auth.revoked.
	AuthSession string `json:"auth_session,omitempty"`
	// Holders are who held the session before or after the change, and
	// Audience who held, was offered or had joined it before or after:
	// the WebSocket hub filters events by them (the rights' scopes), so
	// that whoever loses a session hears of it too. The store fills both
	// for every event of a session before the transaction commits.
	// Customer, on a customer's message, is its channel and customer
	// external id ("channel/external"): a widget visitor's socket opened
	// before the dialog existed finds its dialog by it.
	Customer string    `json:"customer,omitempty"`
	Holders  []string  `json:"holders,omitempty"`
	Audience []string  `json:"audience,omitempty"`
	At       time.Time `json:"at"`
	// Queued is when an offered session (session.offered) entered the
	// queue, for the offer latency metric of the node that made the offer;
	// it is not carried to screens or other nodes.
	Queued time.Time `json:"-"`
	// Data is the changed record when screens need it at once (the message
	// of message.created), so they need not fetch it.
	Data any `json:"data,omitempty"`
}

// Bus delivers events to subscribers. The in-process Bus below serves one
// node; a NATS implementation will carry them between nodes.
type Bus interface {
	Publish(evs []Event)
	Subscribe(fn func([]Event)) (cancel func())
}

// Local is the in-process Bus: Publish calls every subscriber in turn, in
// the publisher's goroutine. Subscribers must return quickly (hand work to
// their own goroutine or bounded queue).
type Local struct {
	mu   sync.RWMutex
	next int
	subs map[int]func([]Event)
}

var _ Bus = (*Local)(nil)

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[int]func([]Event){}} }

// Publish delivers evs to every subscriber.
func (b *Local) Publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		fn(evs)
	}
}

// Subscribe registers fn until cancel is called.
func (b *Local) Subscribe(fn func([]Event)) (cancel func()) {
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = fn
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}
