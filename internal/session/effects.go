package session

import (
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
)

// Effect is something the store does because of a transition, in the
// transaction that saves the new state, in the order given. The list is
// also what later consumers read: the outbound-delivery outbox takes every
// Send, and the statistics counters take Send, Answer, Close, Rated and
// Voted (docs/ARCHITECTURE.md, "Effects").
type Effect interface{ effect() }

// Send is a text for the customer: an operator's message (Author set) or an
// auto-reply of the line (welcome, off-hours, no-answer, close, rating
// request, thanks, auto-close). The store writes it to the timeline.
type Send struct {
	Kind   string // dialog.KindText, KindAuto or KindRatingRequest
	Text   string
	Author string // the operator; "" for the line's auto-replies
	// File is the file the operator's message carries (the store fills
	// it in on the reply's Send; the rules never look at it).
	File *dialog.Attachment
}

// Event adds an event to the dialog's timeline.
type Event struct {
	Author string // who did it; "" for the system
	Event  dialog.Event
}

// SetTimer sets (or moves) a lifecycle timer.
type SetTimer struct {
	Timer Timer
	Due   clock.Micros
}

// ClearTimer clears a lifecycle timer; the zero Timer clears them all.
type ClearTimer struct{ Timer Timer }

// DropOffers withdraws the session's offer from User, or from everyone
// when User is "".
type DropOffers struct{ User string }

// Offer offers the session to User alone (the state's OfferedAlone) and
// sets the line's evenly mark of User to Seq. Again: User had the offer
// already, it only got a new deadline.
type Offer struct {
	User  string
	Seq   int64
	Again bool
}

// Joined records User as a participant of the session.
type Joined struct{ User string }

// Rated records the customer's rating of the session.
type Rated struct {
	Scale   string
	Value   int
	Comment string
}

// Voted records (or replaces) a supervisor's score of the session.
type Voted struct {
	Voter   string
	Score   int
	Comment string
}

// Answer counts an operator's message to the customer; First marks the
// session's first response.
type Answer struct {
	Operator string
	First    bool
}

// Close counts the session's end, as closed or spam.
type Close struct{ Status string }

// Announce tells the screens (and the routing engine) what happened.
type Announce struct {
	Kind   AnnounceKind
	Reason string
	Users  []string // whom it concerns first: the taker, the offered, the one who lost it
}

// AnnounceKind is what an Announce tells.
type AnnounceKind int

// What an Announce tells.
const (
	Changed  AnnounceKind = iota // status or flags changed
	Taken                        // Users[0] holds it now; the others lost it
	Requeued                     // back to waiting
	Offered                      // offered to Users
	Opened                       // a customer's message opened it
)

func (Send) effect()       {}
func (Event) effect()      {}
func (SetTimer) effect()   {}
func (ClearTimer) effect() {}
func (DropOffers) effect() {}
func (Offer) effect()      {}
func (Joined) effect()     {}
func (Rated) effect()      {}
func (Voted) effect()      {}
func (Answer) effect()     {}
func (Close) effect()      {}
func (Announce) effect()   {}
