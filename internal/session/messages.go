package session

import (
	"strconv"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
)

// Open is what a line sends when a customer's message opens session s
// (SPEC §4, §7): the off-hours text when the session was flagged with it,
// else the welcome text; and the no-answer timer starts.
func Open(s State, st line.Settings, at clock.Micros) (State, []Effect) {
	var fx []Effect
	switch {
	case s.OffHoursSent:
		fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.WorkingHours.OffHoursText})
	case !s.OffHours && st.WelcomeEnabled:
		fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.WelcomeText})
	}
	if st.NoAnswerEnabled {
		fx = append(fx, SetTimer{NoAnswer, at + clock.Seconds(st.NoAnswerTime)})
	}
	return s, append(fx, Announce{Kind: Opened})
}

// Unchanged reports whether a customer message leaves its open session as
// it is: waiting in the queue for nobody in particular, or in work with
// nobody, pinned, or with an operator known to still serve it
// (operatorStays), and no off-hours text due. Only then may the store
// write it without locking the line and the session.
func Unchanged(s *State, st line.Settings, at clock.Micros, operatorStays bool) bool {
	offHours := !st.WorkingHours.IsOpen(clock.TimeOf(at))
	return (s.Status == dialog.StatusQueued && s.OperatorID == "" ||
		s.Status == dialog.StatusInWork && (s.OperatorID == "" || s.Pinned || operatorStays)) &&
		(!offHours || s.OffHours && (s.OffHoursSent || st.WorkingHours.OffHoursRule != line.RuleText))
}

// Serving is what the store knows of a session's operator at a moment.
type Serving struct {
	Active  bool // an active user
	InQueue bool // in the line's queue
	Online  bool // online (routing.Online)
	Absent  bool // within an absence
}

// OperatorGone tells why (a reason code) the operator of s can no longer
// serve it on its line, or "" when they still can (SPEC §5): deactivated;
// unless given to them directly, out of the line's queue; and when the
// line checks availability, absent or not online.
func OperatorGone(s *State, st line.Settings, f Serving) string {
	switch {
	case !f.Active:
		return "operator_deactivated"
	case s.Direct:
		return "" // given to them directly: the queue and presence do not matter
	case !f.InQueue:
		return "operator_left_queue"
	case !st.CheckAvailable:
		return ""
	case f.Absent:
		return "operator_absent"
	case !f.Online:
		return "operator_unavailable"
	}
	return ""
}

// ChecksOperator reports whether a customer message to s needs to know if
// its operator still serves the line (the gone argument of CustomerWrote).
func ChecksOperator(s *State) bool { return s.OperatorID != "" && !s.Pinned }

// CustomerWrote applies a customer message to open session s (SPEC §4, §5,
// §7): an answer to a rating request is a rating; otherwise a session the
// operator answered goes back to work, a finishing one reopens, one whose
// operator can no longer serve it (gone: a reason code, "" when they still
// can) returns to the queue unless pinned, and off hours the session is
// flagged and the off-hours text sent once.
func CustomerWrote(s State, st line.Settings, at clock.Micros, text, gone string) (State, []Effect) {
	if v, ok := RatingReply(st.RatingScale, text); ok && s.Status == dialog.StatusClosing && s.RatingRequestedAt != 0 && !s.Rated {
		if next, fx, err := Rate(s, st, at, v, ""); err == nil {
			return next, fx
		}
		// Past the rating window: an ordinary message, which reopens.
	}
	next := s
	var fx []Effect
	switch s.Status {
	case dialog.StatusWaitingClient:
		next.Status = dialog.StatusInWork
		fx = append(fx, ClearTimer{AutoClose})
	case dialog.StatusClosing:
		next.Status = dialog.StatusInWork
		fx = append(fx, ClearTimer{FullClose}, Event{Event: dialog.Ev("reopened")})
	}
	why := ""
	if s.OperatorID == "" {
		next.Status = dialog.StatusQueued
	} else if !s.Pinned {
		why = gone
	}
	if why != "" {
		next.OperatorID, next.OfferedAlone, next.OfferDeadline, next.Tried, next.Direct = "", "", 0, "", false
		next.Status, next.QueuedAt = dialog.StatusQueued, at
	}
	fx = offHours(&next, st, at, fx)
	switch {
	case why != "":
		fx = append(fx, Event{Event: dialog.Ev("requeued", "reason", why)}, Announce{Kind: Requeued, Reason: why, Users: []string{s.OperatorID}})
	case next.Status != s.Status:
		fx = append(fx, Announce{Kind: Changed, Reason: "customer wrote", Users: nonEmpty(next.OperatorID)})
	}
	return next, fx
}

// offHours flags a session written to outside working hours and sends the
// off-hours text once per session.
func offHours(s *State, st line.Settings, at clock.Micros, fx []Effect) []Effect {
	if st.WorkingHours.IsOpen(clock.TimeOf(at)) {
		return fx
	}
	s.OffHours = true
	if st.WorkingHours.OffHoursRule == line.RuleText && !s.OffHoursSent {
		s.OffHoursSent = true
		fx = append(fx, Send{Kind: dialog.KindAuto, Text: st.WorkingHours.OffHoursText})
	}
	return fx
}

// RatingReply reads a customer's text as an answer to a rating request:
// "1"/"0" on the like scale, "1".."5" on stars.
func RatingReply(scale, text string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || !line.ValidRating(scale, v) {
		return 0, false
	}
	return v, true
}

// Writer is an operator writing to the customer.
type Writer struct {
	UserID string
	// MayIntercept is the intercept right reaching the session: writing
	// into a session nobody took that is not offered to the writer takes
	// it all the same, and writing into one another operator holds is
	// allowed (else only to those who joined it).
	MayIntercept bool
}

// ReplyFacts are what OperatorWrote needs beyond the session; ReplyNeeds
// tells which the store must read.
type ReplyFacts struct {
	Offered []string // who is offered the session (when nobody holds it)
	Joined  bool     // the writer joined the session (when another holds it)
	Counted int      // the writer's sessions the line's limit counts (a take by reply of an unoffered session)
}

// ReplyNeeds tells which ReplyFacts a reply by w to s depends on.
func ReplyNeeds(s *State, w Writer) (offered, joined, counted bool) {
	offered = s.OperatorID == ""
	joined = s.OperatorID != "" && s.OperatorID != w.UserID && !w.MayIntercept
	counted = offered && w.MayIntercept
	return
}

// OperatorWrote applies an operator's message to the customer (SPEC §4):
// the session becomes waiting_client and answered, its first response is
// recorded, customer silence from now on auto-closes it, and a session
// nobody took is taken by the writer — only when they could take it
// (offered to them, or they hold the intercept right), within the line's
// limit (the hard cap is the counters' to enforce).
func OperatorWrote(s State, st line.Settings, at clock.Micros, w Writer, text string, f ReplyFacts) (State, []Effect, error) {
	switch {
	case !dialog.IsOpen(s.Status):
		return s, nil, apperr.New(apperr.Conflict, "the dialog has no open session; the customer has to write first")
	case s.Status == dialog.StatusClosing:
		return s, nil, apperr.New(apperr.Conflict, "the session is finishing; the customer's next message reopens it")
	case s.OperatorID != "" && s.OperatorID != w.UserID && !w.MayIntercept && !f.Joined:
		return s, nil, apperr.New(apperr.Forbidden, "another operator holds this session; writing into it needs the intercept right, or join it first")
	}
	next := s
	next.Answered, next.Status = true, dialog.StatusWaitingClient
	first := next.FirstResponseAt == 0
	if first {
		next.FirstResponseAt = at
	}
	var fx []Effect
	took := s.OperatorID == ""
	if took {
		if err := mayTakeByReply(st, w, f); err != nil {
			return s, nil, err
		}
		next.OperatorID, next.OfferedAlone, next.OfferDeadline, next.Tried = w.UserID, "", 0, ""
		fx = append(fx, DropOffers{}, ClearTimer{NoAnswer})
	}
	if st.AutoCloseEnabled {
		fx = append(fx, SetTimer{AutoClose, at + clock.Seconds(st.AutoCloseTime)})
	}
	fx = append(fx, Send{Kind: dialog.KindText, Text: text, Author: w.UserID})
	if took {
		fx = append(fx, Event{Author: w.UserID, Event: dialog.Ev("taken_by_reply")},
			Announce{Kind: Taken, Users: append([]string{w.UserID}, without(f.Offered, w.UserID)...)})
	}
	return next, append(fx, Answer{Operator: w.UserID, First: first}), nil
}

// mayTakeByReply refuses a reply that would take a session its writer could
// not take: it must be offered to them or they must hold the intercept
// right; one not offered to them must fit the line's limit too (an offer
// already counts, so an offered one always fits).
func mayTakeByReply(st line.Settings, w Writer, f ReplyFacts) error {
	if contains(f.Offered, w.UserID) {
		return nil
	}
	if !w.MayIntercept {
		return apperr.New(apperr.Forbidden, "nobody has taken this dialog and it is not offered to you; take it when it is offered, or ask a supervisor")
	}
	if !routing.RulesOf(st).WithinLimit(f.Counted) {
		return apperr.New(apperr.Conflict, "you are at this line's limit of %d sessions; finish one first", st.Limit)
	}
	return nil
}
