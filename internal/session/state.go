// Package session is the session lifecycle of SPEC §4–§7 as a pure state
// machine: for each thing that can happen to a session — a customer or an
// operator message, take, skip, transfer, intercept, join, finish, spam,
// pin, a rating, a timer, an expired offer — one function takes the
// session's state, the line's settings, the facts it needs and the time,
// and returns the new state and the effects: texts to send, timers to set
// or clear, offers to drop or make, timeline events, counts for the
// statistics and what the screens are told. It reads no database and no
// clock; the store loads the rows, calls it and applies what it returns in
// the same transaction (store/apply.go). Refusals are apperr errors, and a
// refused event changes nothing.
package session

import (
	"strings"

	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
)

// State is a session as the rules see it and the store keeps it. Empty
// strings and zero times stand for none.
type State struct {
	ID, WorkspaceID, DialogID, LineID, Status string
	OperatorID                                string // who holds the session
	OfferedAlone                              string // who alone is offered it (evenly, strictly)
	Answered, Pinned, OffHours                bool
	OpenedAt, QueuedAt                        clock.Micros
	FirstResponseAt, ClosedAt, OfferDeadline  clock.Micros
	Tried                                     string // strictly: ids tried this round, comma-separated
	// Direct marks a session given to its holder by a transfer or an
	// intercept: held whatever the line's queue and presence say.
	Direct, OffHoursSent, Rated bool
	RatingToken                 string
	RatingRequestedAt           clock.Micros
}

// Timer is a lifecycle timer of a session (the offer deadline is the
// state's OfferDeadline).
type Timer string

// Lifecycle timers.
const (
	NoAnswer  Timer = "no_answer"  // the no-answer text, while nobody took the session
	AutoClose Timer = "auto_close" // closes a session whose customer stays silent
	FullClose Timer = "full_close" // ends the closing status
)

// New is a session a customer's first message opens on a line at at: in
// the queue, flagged off hours outside working hours (the off-hours text
// then goes out once, with the opening texts).
func New(id, wsID, dialogID, lineID string, st line.Settings, at clock.Micros) State {
	s := State{ID: id, WorkspaceID: wsID, DialogID: dialogID, LineID: lineID, Status: dialog.StatusQueued, OpenedAt: at, QueuedAt: at}
	s.OffHours = !st.WorkingHours.IsOpen(clock.TimeOf(at))
	s.OffHoursSent = s.OffHours && st.WorkingHours.OffHoursRule == line.RuleText
	return s
}

// Load is what one session adds to an operator's counters on its line.
type Load struct {
	User, Line                       string
	Open, Answered, Waiting, Closing int
}

// Load returns the session's contribution: an open session counts for the
// operator who holds it, or who alone is offered it (SPEC §5.3).
func (s *State) Load() Load {
	if !dialog.IsOpen(s.Status) {
		return Load{}
	}
	u := s.OperatorID
	if u == "" {
		u = s.OfferedAlone
	}
	if u == "" {
		return Load{}
	}
	l := Load{User: u, Line: s.LineID, Open: 1}
	if s.Answered {
		l.Answered = 1
	}
	switch s.Status {
	case dialog.StatusWaitingClient:
		l.Waiting = 1
	case dialog.StatusClosing:
		l.Closing = 1
	}
	return l
}

// Counted is what a load adds to the count a line's limit compares against
// (limit_excludes names the kind it leaves out).
func (l Load) Counted(excludes string) int {
	switch excludes {
	case "answered":
		return l.Open - l.Answered
	case "waiting_client":
		return l.Open - l.Waiting
	case "closing":
		return l.Open - l.Closing
	}
	return l.Open
}

// TriedHas reports whether strictly's round already tried the user.
func (s *State) TriedHas(id string) bool {
	for _, t := range strings.Split(s.Tried, ",") {
		if t == id {
			return true
		}
	}
	return false
}

func (s *State) addTried(id string) {
	if s.Tried == "" {
		s.Tried = id
	} else if !s.TriedHas(id) {
		s.Tried += "," + id
	}
}
