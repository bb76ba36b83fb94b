package session

import (
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
)

// Person is a user an action names, as the store found them.
type Person struct {
	ID, Name      string
	Found, Active bool
}

// check refuses a person who is not there or deactivated.
func (p Person) check() error {
	if !p.Found {
		return apperr.NotFoundf("user %s not found", p.ID)
	}
	if !p.Active {
		return apperr.New(apperr.Conflict, "user %s is deactivated", p.Name)
	}
	return nil
}

// LineTarget is a line a transfer names, as the store found it.
type LineTarget struct {
	ID, Name, WorkspaceID string
	Found, Active         bool
}

// assign makes user the session's holder: offers end and the no-answer
// timer stops. direct marks a transfer or an intercept: held in or out of
// the line's queue.
func assign(s *State, user string, direct bool, fx []Effect) []Effect {
	s.OperatorID, s.OfferedAlone, s.OfferDeadline, s.Tried, s.Direct = user, "", 0, "", direct
	if s.Status == dialog.StatusQueued {
		s.Status = dialog.StatusInWork
	}
	return append(fx, DropOffers{}, ClearTimer{NoAnswer})
}

// Take gives an offered session to user. Exactly one operator wins a
// session offered to many; the others get a Conflict.
func Take(s State, at clock.Micros, user string, offered []string) (State, []Effect, error) {
	switch {
	case !dialog.IsOpen(s.Status):
		return s, nil, apperr.New(apperr.Conflict, "the session is %s", s.Status)
	case s.OperatorID == user:
		return s, nil, apperr.New(apperr.Conflict, "you already hold this session")
	case s.OperatorID != "":
		return s, nil, apperr.New(apperr.Conflict, "the session was already taken by another operator")
	case !contains(offered, user):
		return s, nil, errNotOffered
	}
	next := s
	fx := assign(&next, user, false, nil)
	fx = append(fx, Event{Author: user, Event: dialog.Ev("taken")},
		Announce{Kind: Taken, Users: append([]string{user}, without(offered, user)...)})
	return next, fx, nil
}

var errNotOffered = apperr.New(apperr.Conflict, "the session is not offered to you")

// Intercept takes over a session another operator holds (the caller has
// the intercept right); actor is the caller as the store found them.
func Intercept(s State, at clock.Micros, actor Person) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	switch {
	case s.OperatorID == "":
		return s, nil, apperr.New(apperr.Conflict, "nobody holds this session; take it instead")
	case s.OperatorID == actor.ID:
		return s, nil, apperr.New(apperr.Conflict, "you already hold this session")
	}
	if err := actor.check(); err != nil {
		return s, nil, err
	}
	next := s
	fx := assign(&next, actor.ID, true, nil)
	fx = append(fx, Event{Author: actor.ID, Event: dialog.Ev("intercepted", "name", actor.Name)},
		Announce{Kind: Taken, Reason: "intercepted", Users: []string{actor.ID, s.OperatorID}})
	return next, fx, nil
}

// Join adds the caller to a session as a participant; joining again does
// nothing.
func Join(s State, at clock.Micros, actor Person, joinedBefore bool) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	if s.OperatorID == actor.ID {
		return s, nil, apperr.New(apperr.Conflict, "you hold this session already")
	}
	if err := actor.check(); err != nil {
		return s, nil, err
	}
	if joinedBefore {
		return s, nil, nil
	}
	return s, []Effect{Joined{User: actor.ID}, Event{Author: actor.ID, Event: dialog.Ev("joined", "name", actor.Name)},
		Announce{Kind: Changed, Reason: "joined", Users: nonEmpty(s.OperatorID)}}, nil
}

// Pin keeps a session with its operator even when they become unavailable.
func Pin(s State, at clock.Micros, a Actor, pinned bool) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	if err := mayHandle(&s, a, "pin"); err != nil {
		return s, nil, err
	}
	if s.Pinned == pinned {
		return s, nil, nil
	}
	next := s
	next.Pinned = pinned
	code := "pinned"
	if !pinned {
		code = "unpinned"
	}
	return next, []Effect{Event{Author: a.UserID, Event: dialog.Ev(code)}, Announce{Kind: Changed, Reason: code, Users: nonEmpty(s.OperatorID)}}, nil
}

// Transfer hands a session to a user, who holds it at once (toUser), or to
// a line, where it is queued under that line's rules (toLine) (SPEC §6).
// The holder may transfer; before it is taken, an operator it is offered
// to (offered); with the intercept right, anyone.
func Transfer(s State, at clock.Micros, a Actor, offered []string, toUser *Person, toLine *LineTarget) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	if s.Status == dialog.StatusClosing {
		return s, nil, apperr.New(apperr.Conflict, "a finishing session cannot be transferred")
	}
	allowed := s.OperatorID == a.UserID || a.Privileged || s.OperatorID == "" && contains(offered, a.UserID)
	if !allowed {
		return s, nil, apperr.New(apperr.Forbidden, "only the operator holding the session, or one it is offered to, may transfer it")
	}
	next := s
	if toUser != nil {
		if err := toUser.check(); err != nil {
			return s, nil, err
		}
		if s.OperatorID == toUser.ID {
			return s, nil, apperr.New(apperr.Conflict, "%s already holds this session", toUser.Name)
		}
		fx := assign(&next, toUser.ID, true, nil)
		fx = append(fx, Event{Author: a.UserID, Event: dialog.Ev("transferred_user", "name", toUser.Name)},
			Announce{Kind: Taken, Reason: "transferred", Users: append([]string{toUser.ID}, nonEmpty(s.OperatorID)...)})
		return next, fx, nil
	}
	switch {
	case toLine.ID == s.LineID:
		return s, nil, apperr.New(apperr.Conflict, "the session is already on this line")
	case !toLine.Found || toLine.WorkspaceID != s.WorkspaceID:
		return s, nil, apperr.NotFoundf("line %s not found", toLine.ID)
	case !toLine.Active:
		return s, nil, apperr.New(apperr.Conflict, "the line is not active (the plan's limit or an administrator deactivated it)")
	}
	next.LineID, next.OperatorID, next.OfferedAlone, next.OfferDeadline, next.Tried, next.Direct = toLine.ID, "", "", 0, "", false
	next.Status, next.QueuedAt = dialog.StatusQueued, at
	return next, []Effect{DropOffers{}, Event{Author: a.UserID, Event: dialog.Ev("transferred_line", "name", toLine.Name)},
		Announce{Kind: Requeued, Reason: "transferred", Users: nonEmpty(s.OperatorID)}}, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func without(list []string, v string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
