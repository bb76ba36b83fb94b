package session

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
)

// Actor is an operator acting on a session (SPEC §6).
type Actor struct {
	UserID string
	// Privileged is the intercept right: finish, pin or transfer a session
	// held by someone else.
	Privileged bool
}

// open refuses an action on a closed session.
func open(s *State) error {
	if !dialog.IsOpen(s.Status) {
		return apperr.New(apperr.Conflict, "the session is already %s", s.Status)
	}
	return nil
}

// mayHandle: the holder, or with the intercept right anyone.
func mayHandle(s *State, a Actor, what string) error {
	if s.OperatorID == a.UserID || a.Privileged {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the operator holding the session may %s it", what)
}

// end ends s now, as closed or spam: no texts, no timers, no offers.
func end(s *State, status string, at clock.Micros, fx []Effect) []Effect {
	s.Status, s.ClosedAt, s.OfferedAlone, s.OfferDeadline = status, at, "", 0
	return append(fx, DropOffers{}, ClearTimer{}, Close{Status: status})
}

// Finish ends a session (SPEC §4): the close text and the rating request
// when on, then closing for full_close_delay; with neither, closed at once.
// ratingToken is the fresh token a rating request carries.
func Finish(s State, st line.Settings, at clock.Micros, a Actor, ratingToken string) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	if s.Status == dialog.StatusClosing {
		return s, nil, apperr.New(apperr.Conflict, "the session is already finishing")
	}
	if err := mayHandle(&s, a, "finish"); err != nil {
		return s, nil, err
	}
	next := s
	fx := []Effect{Event{Author: a.UserID, Event: dialog.Ev("finished")}}
	sent := false
	if st.CloseRule == line.RuleText {
		fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.CloseText})
		sent = true
	}
	if st.RatingEnabled && !s.Rated {
		next.RatingToken, next.RatingRequestedAt = ratingToken, at
		fx = append(fx, Send{Kind: dialog.KindRatingRequest, Text: st.RatingText})
		sent = true
	}
	if !sent || st.FullCloseDelay == 0 {
		fx = end(&next, dialog.StatusClosed, at, fx)
	} else {
		next.Status, next.OfferedAlone, next.OfferDeadline = dialog.StatusClosing, "", 0
		fx = append(fx, DropOffers{}, ClearTimer{}, SetTimer{FullClose, at + clock.Seconds(st.FullCloseDelay)})
	}
	return next, append(fx, Announce{Kind: Changed, Reason: "finished", Users: nonEmpty(next.OperatorID)}), nil
}

// Spam closes a session at once as spam, with no texts (SPEC §4): by its
// holder, or before it is taken by an operator it is offered to (offered),
// or with the intercept right.
func Spam(s State, at clock.Micros, a Actor, offered []string) (State, []Effect, error) {
	if err := open(&s); err != nil {
		return s, nil, err
	}
	switch {
	case a.Privileged || s.OperatorID == a.UserID:
	case s.OperatorID != "":
		return s, nil, apperr.New(apperr.Forbidden, "only the operator holding the session may mark it as spam")
	case !contains(offered, a.UserID):
		return s, nil, apperr.New(apperr.Forbidden, "only an operator the session is offered to may mark it as spam before it is taken")
	}
	next := s
	fx := end(&next, dialog.StatusSpam, at, []Effect{Event{Author: a.UserID, Event: dialog.Ev("spam")}})
	return next, append(fx, Announce{Kind: Changed, Reason: "spam", Users: nonEmpty(next.OperatorID)}), nil
}

// Rate takes the customer's rating of a session (SPEC §7): once, only when
// requested, within the rating window, on the line's scale; the thanks text
// follows, and a finishing session closes when the line says so.
func Rate(s State, st line.Settings, at clock.Micros, value int, comment string) (State, []Effect, error) {
	switch {
	case s.Rated:
		return s, nil, apperr.New(apperr.Conflict, "this conversation has already been rated")
	case s.RatingRequestedAt == 0:
		return s, nil, apperr.New(apperr.Conflict, "no rating was requested for this conversation")
	case st.RatingWindow > 0 && at > s.RatingRequestedAt+clock.Seconds(st.RatingWindow):
		return s, nil, apperr.New(apperr.Conflict, "the time to rate this conversation has passed")
	case !line.ValidRating(st.RatingScale, value) && st.RatingScale == line.RatingStars:
		return s, nil, apperr.FieldError("value", "must be 1 to 5 stars")
	case !line.ValidRating(st.RatingScale, value):
		return s, nil, apperr.FieldError("value", "must be 1 (like) or 0 (dislike)")
	}
	next := s
	next.Rated = true
	fx := []Effect{Rated{Scale: st.RatingScale, Value: value, Comment: comment},
		Event{Event: dialog.Ev("rated", "rating", ratingText(st.RatingScale, value), "scale", st.RatingScale, "value", strconv.Itoa(value))}}
	if strings.TrimSpace(st.RatingThanksText) != "" {
		fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.RatingThanksText})
	}
	fx = append(fx, Announce{Kind: Changed, Reason: "rated"})
	if st.CloseOnRating && next.Status == dialog.StatusClosing {
		fx = end(&next, dialog.StatusClosed, at, fx)
	}
	return next, fx, nil
}

func ratingText(scale string, v int) string {
	if scale == line.RatingStars {
		return fmt.Sprintf("%d of 5", v)
	}
	if v == 1 {
		return "like"
	}
	return "dislike"
}

// TimerFired applies a lifecycle timer that came due at at (the store has
// claimed it): the no-answer text while nobody took the session, the
// auto-close of a session whose customer stayed silent, the end of the
// closing status. A timer whose condition no longer holds does nothing.
func TimerFired(s State, st line.Settings, at clock.Micros, t Timer) (State, []Effect) {
	next := s
	var fx []Effect
	switch t {
	case NoAnswer:
		if dialog.IsOpen(s.Status) && s.OperatorID == "" && st.NoAnswerEnabled {
			fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.NoAnswerText})
		}
	case AutoClose:
		// Switched off meanwhile: a pending timer closes nothing.
		if s.Status == dialog.StatusWaitingClient && st.AutoCloseEnabled {
			if strings.TrimSpace(st.AutoCloseText) != "" {
				fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.AutoCloseText})
			}
			fx = end(&next, dialog.StatusClosed, at, append(fx, Event{Event: dialog.Ev("auto_closed")}))
			fx = append(fx, Announce{Kind: Changed, Reason: "auto-closed", Users: nonEmpty(next.OperatorID)})
		}
	case FullClose:
		if s.Status == dialog.StatusClosing {
			fx = end(&next, dialog.StatusClosed, at, fx)
			fx = append(fx, Event{Event: dialog.Ev("closed")}, Announce{Kind: Changed, Reason: "closed", Users: nonEmpty(next.OperatorID)})
		}
	}
	return next, fx
}

// Vote is a supervisor's score (1–5) of a session, in any status; voting
// again replaces it. The store has checked the score and comment.
func Vote(s State, at clock.Micros, voter string, score int, comment string) (State, []Effect) {
	return s, []Effect{Voted{Voter: voter, Score: score, Comment: comment}, Event{Author: voter, Event: dialog.Ev("vote", "score", strconv.Itoa(score))}}
}
