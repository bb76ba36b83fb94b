package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
)

// The session lifecycle (SPEC §3, §4, §6, §7) as a table: one row per
// transition, the whole resulting State and the exact effects in order.

const (
	queued  = dialog.StatusQueued
	inWork  = dialog.StatusInWork
	waiting = dialog.StatusWaitingClient
	closing = dialog.StatusClosing
	closed  = dialog.StatusClosed
	spam    = dialog.StatusSpam
)

var (
	sec   = clock.Seconds
	t0    = clock.MicrosOf(time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)) // a Wednesday, noon UTC
	T     = t0 + sec(100)                                                 // when the rows' events happen
	night = clock.MicrosOf(time.Date(2025, 1, 15, 22, 0, 0, 0, time.UTC))
	def   = line.Defaults()
)

// doer runs one transition; t lets an adapter check extra results.
type doer func(t *testing.T, s State, st line.Settings) (State, []Effect, error)

type row struct {
	name string
	in   State
	set  func(*line.Settings) // overrides of line.Defaults(); nil: none
	do   doer
	want func(*State) // the expected change of in; nil: unchanged
	fx   []Effect
	code apperr.Code // the refusal; "": accepted
}

func runRows(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			st := line.Defaults()
			st.WorkingHours.Timezone = "UTC"
			if r.set != nil {
				r.set(&st)
			}
			want := r.in
			if r.want != nil {
				r.want(&want)
			}
			got, fx, err := r.do(t, r.in, st)
			if code := apperr.CodeOf(err); code != r.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, r.code)
			}
			if r.code != "" && (len(fx) != 0 || !reflect.DeepEqual(got, r.in)) {
				t.Fatalf("refused, yet state %+v and effects %#v", got, fx)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("state\n got %+v\nwant %+v", got, want)
			}
			if (len(fx) != 0 || len(r.fx) != 0) && !reflect.DeepEqual(fx, r.fx) {
				t.Errorf("effects\n got %#v\nwant %#v", fx, r.fx)
			}
		})
	}
}

// States.

func qd() State {
	return State{ID: "s1", WorkspaceID: "w1", DialogID: "d1", LineID: "l1", Status: queued, OpenedAt: t0, QueuedAt: t0}
}

func offered(u string) State { s := qd(); s.OfferedAlone, s.OfferDeadline = u, t0+sec(60); return s }

// held is a session op holds in status; past in_work it was answered,
// and closing it has a rating request open.
func held(status, op string) State {
	s := qd()
	s.Status, s.OperatorID = status, op
	if status != inWork {
		s.Answered, s.FirstResponseAt = true, t0+sec(5)
	}
	if status == closing {
		s.RatingToken, s.RatingRequestedAt = "tok", t0+sec(10)
	}
	if status == closed || status == spam {
		s.ClosedAt = t0 + sec(20)
	}
	return s
}

func with(s State, f func(*State)) State { f(&s); return s }

// Effects.

func ev(author, code string, kv ...string) Event {
	return Event{Author: author, Event: dialog.Ev(code, kv...)}
}
func auto(text string) Send { return Send{Kind: dialog.KindAuto, Text: text} }
func ann(k AnnounceKind, reason string, users ...string) Announce {
	return Announce{Kind: k, Reason: reason, Users: users}
}
func ended(status string) []Effect {
	return []Effect{DropOffers{}, ClearTimer{}, Close{Status: status}}
}
func cat(parts ...any) []Effect {
	var out []Effect
	for _, p := range parts {
		switch p := p.(type) {
		case Effect:
			out = append(out, p)
		case []Effect:
			out = append(out, p...)
		}
	}
	return out
}

// Adapters.

func opening(at clock.Micros) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		n, fx := Open(s, st, at)
		return n, fx, nil
	}
}

func cust(at clock.Micros, text, gone string) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		n, fx := CustomerWrote(s, st, at, text, gone)
		return n, fx, nil
	}
}

func finish(a Actor) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		return Finish(s, st, T, a, "tok2")
	}
}

func markSpam(a Actor, offered ...string) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) { return Spam(s, T, a, offered) }
}

func rate(at clock.Micros, v int) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		return Rate(s, st, at, v, "ok")
	}
}

func fire(tm Timer) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		n, fx := TimerFired(s, st, T, tm)
		return n, fx, nil
	}
}

func pin(a Actor, on bool) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) { return Pin(s, T, a, on) }
}

func join(p Person, before bool) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) { return Join(s, T, p, before) }
}

func intercept(p Person) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) { return Intercept(s, T, p) }
}

var (
	holderA = Actor{UserID: "a"}
	otherB  = Actor{UserID: "b"}
	superC  = Actor{UserID: "c", Privileged: true}
	bob     = Person{ID: "b", Name: "Bob", Found: true, Active: true}
	cid     = Person{ID: "c", Name: "Cid", Found: true, Active: true}
)

func offHoursRule(rule string) func(*line.Settings) {
	return func(st *line.Settings) { st.WorkingHours.Enabled, st.WorkingHours.OffHoursRule = true, rule }
}

func stars(window int, closeOnRating bool) func(*line.Settings) {
	return func(st *line.Settings) {
		st.RatingScale, st.RatingWindow, st.CloseOnRating = line.RatingStars, window, closeOnRating
	}
}

func rated(scale string, v int, text string) []Effect {
	return []Effect{Rated{Scale: scale, Value: v, Comment: ""}, ev("", "rated", "rating", text, "scale", scale, "value", itoa(v)),
		auto(def.RatingThanksText), ann(Changed, "rated")}
}

func itoa(v int) string { return string(rune('0' + v)) }

func TestCustomerMessages(t *testing.T) {
	reopened := func(s *State) { s.Status = inWork }
	reopenFx := []Effect{ClearTimer{FullClose}, ev("", "reopened"), ann(Changed, "customer wrote", "a")}
	gone := func(s *State) {
		s.Status, s.OperatorID, s.Direct, s.QueuedAt = queued, "", false, T
	}
	requeued := func(why string) []Effect {
		return []Effect{ev("", "requeued", "reason", why), ann(Requeued, why, "a")}
	}
	runRows(t, []row{
		{name: "open in hours → welcome, no no-answer timer (off by default)", in: qd(), do: opening(t0),
			fx: []Effect{auto(def.WelcomeText), ann(Opened, "")}},
		{name: "open, welcome off, no-answer on → no-answer timer only", in: qd(), do: opening(t0),
			set: func(st *line.Settings) { st.WelcomeEnabled, st.NoAnswerEnabled = false, true },
			fx:  []Effect{SetTimer{NoAnswer, t0 + sec(60)}, ann(Opened, "")}},
		{name: "open off hours, rule text → off-hours text instead of welcome", in: with(qd(), func(s *State) { s.OffHours, s.OffHoursSent = true, true }),
			set: offHoursRule(line.RuleText), do: opening(night), fx: []Effect{auto(def.WorkingHours.OffHoursText), ann(Opened, "")}},
		{name: "open off hours, rule none → no text", in: with(qd(), func(s *State) { s.OffHours = true }),
			set: offHoursRule(line.RuleNone), do: opening(night), fx: []Effect{ann(Opened, "")}},

		{name: "queued with nobody/customer writes → unchanged", in: qd(), do: cust(T, "hello", "")},
		{name: "queued offered alone/customer writes → unchanged", in: offered("a"), do: cust(T, "hello", "")},
		{name: "in_work/customer writes → unchanged", in: held(inWork, "a"), do: cust(T, "more", "")},
		{name: "waiting_client/customer writes → in_work, auto-close cleared", in: held(waiting, "a"), do: cust(T, "thanks", ""),
			want: reopened, fx: []Effect{ClearTimer{AutoClose}, ann(Changed, "customer wrote", "a")}},
		{name: "closing/customer writes text → reopened in_work", in: held(closing, "a"), do: cust(T, "wait", ""),
			want: reopened, fx: reopenFx},
		{name: "closing/customer writes 1 on like → liked, stays closing", in: held(closing, "a"), do: cust(T, " 1 ", ""),
			want: func(s *State) { s.Rated = true }, fx: rated(line.RatingLike, 1, "like")},
		{name: "closing/customer writes 0 on like → disliked", in: held(closing, "a"), do: cust(T, "0", ""),
			want: func(s *State) { s.Rated = true }, fx: rated(line.RatingLike, 0, "dislike")},
		{name: "closing/customer writes 5 on stars within window, close on rating → rated and closed", in: held(closing, "a"),
			set: stars(120, true), do: cust(T, "5", ""),
			want: func(s *State) { s.Rated, s.Status, s.ClosedAt = true, closed, T },
			fx:   cat(rated(line.RatingStars, 5, "5 of 5"), ended(closed))},
		{name: "closing/customer writes 3 on stars at the window's last moment → rated", in: held(closing, "a"),
			set: stars(90, false), do: cust(T, "3", ""),
			want: func(s *State) { s.Rated = true }, fx: rated(line.RatingStars, 3, "3 of 5")},
		{name: "closing/customer writes 3 on stars after the window → reopens", in: held(closing, "a"),
			set: stars(60, true), do: cust(T, "3", ""), want: reopened, fx: reopenFx},
		{name: "closing/customer writes 5 on like → not a rating, reopens", in: held(closing, "a"), do: cust(T, "5", ""),
			want: reopened, fx: reopenFx},
		{name: "closing/customer writes 0 on stars → not a rating, reopens", in: held(closing, "a"),
			set: stars(0, false), do: cust(T, "0", ""), want: reopened, fx: reopenFx},
		{name: "closing already rated/customer writes 1 → reopens", in: with(held(closing, "a"), func(s *State) { s.Rated = true }),
			do: cust(T, "1", ""), want: reopened, fx: reopenFx},
		{name: "closing without rating request/customer writes 1 → reopens",
			in: with(held(closing, "a"), func(s *State) { s.RatingToken, s.RatingRequestedAt = "", 0 }),
			do: cust(T, "1", ""), want: reopened, fx: reopenFx},
		{name: "waiting_client with a rating request/customer writes 1 → ordinary message",
			in: with(held(waiting, "a"), func(s *State) { s.RatingRequestedAt = t0 }), do: cust(T, "1", ""),
			want: reopened, fx: []Effect{ClearTimer{AutoClose}, ann(Changed, "customer wrote", "a")}},

		{name: "in_work/operator left the queue → requeued", in: held(inWork, "a"), do: cust(T, "hi", "operator_left_queue"),
			want: gone, fx: requeued("operator_left_queue")},
		{name: "in_work direct/operator deactivated → requeued, no longer direct",
			in: with(held(inWork, "a"), func(s *State) { s.Direct = true }), do: cust(T, "hi", "operator_deactivated"),
			want: gone, fx: requeued("operator_deactivated")},
		{name: "waiting_client/operator absent → requeued", in: held(waiting, "a"), do: cust(T, "hi", "operator_absent"),
			want: gone, fx: cat(ClearTimer{AutoClose}, requeued("operator_absent"))},
		{name: "closing/operator unavailable → reopened and requeued", in: held(closing, "a"), do: cust(T, "hi", "operator_unavailable"),
			want: gone, fx: cat(ClearTimer{FullClose}, ev("", "reopened"), requeued("operator_unavailable"))},
		{name: "in_work pinned/operator unavailable → stays", in: with(held(inWork, "a"), func(s *State) { s.Pinned = true }),
			do: cust(T, "hi", "operator_unavailable")},

		{name: "in_work/off hours, rule text → flagged, off-hours text once", in: held(inWork, "a"),
			set: offHoursRule(line.RuleText), do: cust(night, "hi", ""),
			want: func(s *State) { s.OffHours, s.OffHoursSent = true, true }, fx: []Effect{auto(def.WorkingHours.OffHoursText)}},
		{name: "in_work/off hours, text already sent → nothing again",
			in:  with(held(inWork, "a"), func(s *State) { s.OffHours, s.OffHoursSent = true, true }),
			set: offHoursRule(line.RuleText), do: cust(night, "hi", "")},
		{name: "queued/off hours, rule none → flagged only", in: qd(), set: offHoursRule(line.RuleNone), do: cust(night, "hi", ""),
			want: func(s *State) { s.OffHours = true }},
		{name: "waiting_client/in hours with working hours on → no off-hours text", in: held(waiting, "a"),
			set: offHoursRule(line.RuleText), do: cust(T, "hi", ""),
			want: reopened, fx: []Effect{ClearTimer{AutoClose}, ann(Changed, "customer wrote", "a")}},
	})
}

func TestFinishSpamRate(t *testing.T) {
	toClosing := func(s *State) { s.Status, s.RatingToken, s.RatingRequestedAt = closing, "tok2", T }
	toClosed := func(s *State) { s.Status, s.ClosedAt, s.RatingToken, s.RatingRequestedAt = closed, T, "tok2", T }
	rateReq := Send{Kind: dialog.KindRatingRequest, Text: def.RatingText}
	fullClose := []Effect{DropOffers{}, ClearTimer{}, SetTimer{FullClose, T + sec(600)}}
	finished := ev("a", "finished")
	annFin := ann(Changed, "finished", "a")
	noClose := func(st *line.Settings) { st.CloseRule = line.RuleNone }
	noRating := func(st *line.Settings) { st.RatingEnabled = false }
	runRows(t, []row{
		{name: "in_work/finish with close text and rating → closing for full_close_delay", in: held(inWork, "a"), do: finish(holderA),
			want: toClosing, fx: cat(finished, auto(def.CloseText), rateReq, fullClose, annFin)},
		{name: "waiting_client/finish, rating only → closing", in: held(waiting, "a"), set: noClose, do: finish(holderA),
			want: toClosing, fx: cat(finished, rateReq, fullClose, annFin)},
		{name: "in_work/finish, close text only → closing, no token", in: held(inWork, "a"), set: noRating, do: finish(holderA),
			want: func(s *State) { s.Status = closing }, fx: cat(finished, auto(def.CloseText), fullClose, annFin)},
		{name: "in_work/finish with neither text → closed at once", in: held(inWork, "a"),
			set: func(st *line.Settings) { noClose(st); noRating(st) }, do: finish(holderA),
			want: func(s *State) { s.Status, s.ClosedAt = closed, T }, fx: cat(finished, ended(closed), annFin)},
		{name: "in_work/finish with texts, full_close_delay 0 → closed at once", in: held(inWork, "a"),
			set: func(st *line.Settings) { st.FullCloseDelay = 0 }, do: finish(holderA),
			want: toClosed, fx: cat(finished, auto(def.CloseText), rateReq, ended(closed), annFin)},
		{name: "in_work already rated/finish, no close text → no rating request, closed at once",
			in: with(held(inWork, "a"), func(s *State) { s.Rated = true }), set: noClose, do: finish(holderA),
			want: func(s *State) { s.Status, s.ClosedAt = closed, T }, fx: cat(finished, ended(closed), annFin)},
		{name: "offered alone/supervisor finishes a session nobody holds → closing, offers dropped", in: offered("a"),
			do: finish(superC), want: func(s *State) { toClosing(s); s.OfferedAlone, s.OfferDeadline = "", 0 },
			fx: cat(ev("c", "finished"), auto(def.CloseText), rateReq, fullClose, ann(Changed, "finished"))},
		{name: "in_work/another operator finishes → forbidden", in: held(inWork, "a"), do: finish(otherB), code: apperr.Forbidden},
		{name: "queued nobody/operator finishes → forbidden", in: qd(), do: finish(otherB), code: apperr.Forbidden},
		{name: "closing/finish again → conflict", in: held(closing, "a"), do: finish(holderA), code: apperr.Conflict},
		{name: "closed/finish → conflict", in: held(closed, "a"), do: finish(holderA), code: apperr.Conflict},

		{name: "in_work/holder marks spam → spam at once, no texts", in: held(inWork, "a"), do: markSpam(holderA),
			want: func(s *State) { s.Status, s.ClosedAt = spam, T }, fx: cat(ev("a", "spam"), ended(spam), ann(Changed, "spam", "a"))},
		{name: "closing/supervisor marks spam → spam", in: held(closing, "a"), do: markSpam(superC),
			want: func(s *State) { s.Status, s.ClosedAt = spam, T }, fx: cat(ev("c", "spam"), ended(spam), ann(Changed, "spam", "a"))},
		{name: "in_work/another operator marks spam → forbidden", in: held(inWork, "a"), do: markSpam(otherB), code: apperr.Forbidden},
		{name: "queued offered alone to b/b marks spam without taking → spam", in: offered("b"), do: markSpam(otherB, "b"),
			want: func(s *State) { s.Status, s.ClosedAt, s.OfferedAlone, s.OfferDeadline = spam, T, "", 0 }, fx: cat(ev("b", "spam"), ended(spam), ann(Changed, "spam"))},
		{name: "queued offered alone to a/b who merely sees it marks spam → forbidden", in: offered("a"), do: markSpam(otherB, "a"), code: apperr.Forbidden},
		{name: "queued nobody offered/supervisor marks spam → spam", in: qd(), do: markSpam(superC),
			want: func(s *State) { s.Status, s.ClosedAt = spam, T }, fx: cat(ev("c", "spam"), ended(spam), ann(Changed, "spam"))},
		{name: "spam/spam again → conflict", in: held(spam, "a"), do: markSpam(holderA), code: apperr.Conflict},
		{name: "closed/spam → conflict", in: held(closed, "a"), do: markSpam(holderA), code: apperr.Conflict},

		{name: "closing/rate 1 by token on like → rated, stays closing", in: held(closing, "a"), do: rate(T, 1),
			want: func(s *State) { s.Rated = true },
			fx: []Effect{Rated{Scale: line.RatingLike, Value: 1, Comment: "ok"}, ev("", "rated", "rating", "like", "scale", "like", "value", "1"),
				auto(def.RatingThanksText), ann(Changed, "rated")}},
		{name: "closing/rate 4 stars, close on rating, no thanks text → rated and closed", in: held(closing, "a"),
			set: func(st *line.Settings) { stars(0, true)(st); st.RatingThanksText = " " }, do: rate(T, 4),
			want: func(s *State) { s.Rated, s.Status, s.ClosedAt = true, closed, T },
			fx: cat(Rated{Scale: line.RatingStars, Value: 4, Comment: "ok"}, ev("", "rated", "rating", "4 of 5", "scale", "stars", "value", "4"),
				ann(Changed, "rated"), ended(closed))},
		{name: "closed with a request/rate 2 stars within window → rated, stays closed",
			in:  with(held(closed, "a"), func(s *State) { s.RatingToken, s.RatingRequestedAt = "tok", t0 }),
			set: stars(3600, true), do: rate(T, 2), want: func(s *State) { s.Rated = true },
			fx: []Effect{Rated{Scale: line.RatingStars, Value: 2, Comment: "ok"}, ev("", "rated", "rating", "2 of 5", "scale", "stars", "value", "2"),
				auto(def.RatingThanksText), ann(Changed, "rated")}},
		{name: "closing already rated/rate → conflict", in: with(held(closing, "a"), func(s *State) { s.Rated = true }),
			do: rate(T, 1), code: apperr.Conflict},
		{name: "in_work not requested/rate → conflict", in: held(inWork, "a"), do: rate(T, 1), code: apperr.Conflict},
		{name: "closing/rate after the window → conflict", in: held(closing, "a"), set: func(st *line.Settings) { st.RatingWindow = 60 },
			do: rate(T, 1), code: apperr.Conflict},
		{name: "closing/rate 2 on like → invalid", in: held(closing, "a"), do: rate(T, 2), code: apperr.Invalid},
		{name: "closing/rate -1 on like → invalid", in: held(closing, "a"), do: rate(T, -1), code: apperr.Invalid},
		{name: "closing/rate 0 on stars → invalid", in: held(closing, "a"), set: stars(0, false), do: rate(T, 0), code: apperr.Invalid},
		{name: "closing/rate 6 on stars → invalid", in: held(closing, "a"), set: stars(0, false), do: rate(T, 6), code: apperr.Invalid},
	})
}

func TestTimersAndFlags(t *testing.T) {
	noAnswerOn := func(st *line.Settings) { st.NoAnswerEnabled = true }
	runRows(t, []row{
		{name: "no-answer/queued with nobody → no-answer text", in: qd(), set: noAnswerOn, do: fire(NoAnswer),
			fx: []Effect{auto(def.NoAnswerText)}},
		{name: "no-answer/offered alone, not taken → no-answer text", in: offered("a"), set: noAnswerOn, do: fire(NoAnswer),
			fx: []Effect{auto(def.NoAnswerText)}},
		{name: "no-answer/taken meanwhile → nothing", in: held(inWork, "a"), set: noAnswerOn, do: fire(NoAnswer)},
		{name: "no-answer/switched off → nothing", in: qd(), do: fire(NoAnswer)},
		{name: "no-answer/closed → nothing", in: with(qd(), func(s *State) { s.Status = closed }), set: noAnswerOn, do: fire(NoAnswer)},
		{name: "auto-close/waiting_client → auto-close text, closed", in: held(waiting, "a"), do: fire(AutoClose),
			want: func(s *State) { s.Status, s.ClosedAt = closed, T },
			fx:   cat(auto(def.AutoCloseText), ev("", "auto_closed"), ended(closed), ann(Changed, "auto-closed", "a"))},
		{name: "auto-close/waiting_client after auto_close was switched off → nothing", in: held(waiting, "a"),
			set: func(st *line.Settings) { st.AutoCloseEnabled = false }, do: fire(AutoClose)},
		{name: "auto-close/waiting_client, empty text → closed silently", in: held(waiting, "a"),
			set: func(st *line.Settings) { st.AutoCloseText = "" }, do: fire(AutoClose),
			want: func(s *State) { s.Status, s.ClosedAt = closed, T },
			fx:   cat(ev("", "auto_closed"), ended(closed), ann(Changed, "auto-closed", "a"))},
		{name: "auto-close/in_work (customer wrote since) → nothing", in: held(inWork, "a"), do: fire(AutoClose)},
		{name: "auto-close/closing → nothing", in: held(closing, "a"), do: fire(AutoClose)},
		{name: "full-close/closing → closed", in: held(closing, "a"), do: fire(FullClose),
			want: func(s *State) { s.Status, s.ClosedAt = closed, T },
			fx:   cat(ended(closed), ev("", "closed"), ann(Changed, "closed", "a"))},
		{name: "full-close/reopened in_work → nothing", in: held(inWork, "a"), do: fire(FullClose)},
		{name: "full-close/closed by a rating meanwhile → nothing", in: held(closed, "a"), do: fire(FullClose)},

		{name: "in_work/holder pins", in: held(inWork, "a"), do: pin(holderA, true),
			want: func(s *State) { s.Pinned = true }, fx: []Effect{ev("a", "pinned"), ann(Changed, "pinned", "a")}},
		{name: "closing pinned/supervisor unpins", in: with(held(closing, "a"), func(s *State) { s.Pinned = true }), do: pin(superC, false),
			want: func(s *State) { s.Pinned = false }, fx: []Effect{ev("c", "unpinned"), ann(Changed, "unpinned", "a")}},
		{name: "in_work pinned/pin again → nothing", in: with(held(inWork, "a"), func(s *State) { s.Pinned = true }), do: pin(holderA, true)},
		{name: "in_work/another operator pins → forbidden", in: held(inWork, "a"), do: pin(otherB, true), code: apperr.Forbidden},
		{name: "closed/pin → conflict", in: held(closed, "a"), do: pin(holderA, true), code: apperr.Conflict},

		{name: "in_work/b joins → participant", in: held(inWork, "a"), do: join(bob, false),
			fx: []Effect{Joined{User: "b"}, ev("b", "joined", "name", "Bob"), ann(Changed, "joined", "a")}},
		{name: "queued with nobody/b joins → participant, nobody to tell", in: qd(), do: join(bob, false),
			fx: []Effect{Joined{User: "b"}, ev("b", "joined", "name", "Bob"), ann(Changed, "joined")}},
		{name: "in_work/b joins again → nothing", in: held(inWork, "a"), do: join(bob, true)},
		{name: "in_work held by b/b joins → conflict", in: held(inWork, "b"), do: join(bob, false), code: apperr.Conflict},
		{name: "in_work/deactivated user joins → conflict", in: held(inWork, "a"),
			do: join(Person{ID: "b", Name: "Bob", Found: true}, false), code: apperr.Conflict},
		{name: "spam/join → conflict", in: held(spam, "a"), do: join(bob, false), code: apperr.Conflict},

		{name: "waiting_client/c intercepts → c holds it directly", in: held(waiting, "a"), do: intercept(cid),
			want: func(s *State) { s.OperatorID, s.Direct = "c", true },
			fx: []Effect{DropOffers{}, ClearTimer{NoAnswer}, ev("c", "intercepted", "name", "Cid"),
				ann(Taken, "intercepted", "c", "a")}},
		{name: "queued with nobody/intercept → conflict", in: qd(), do: intercept(cid), code: apperr.Conflict},
		{name: "in_work held by c/c intercepts → conflict", in: held(inWork, "c"), do: intercept(cid), code: apperr.Conflict},
		{name: "in_work/unknown user intercepts → not found", in: held(inWork, "a"), do: intercept(Person{ID: "x"}), code: apperr.NotFound},
		{name: "in_work/deactivated user intercepts → conflict", in: held(inWork, "a"),
			do: intercept(Person{ID: "c", Found: true}), code: apperr.Conflict},
		{name: "closed/intercept → conflict", in: held(closed, "a"), do: intercept(cid), code: apperr.Conflict},

		{name: "any status/supervisor votes → recorded, state unchanged", in: held(closed, "a"),
			do: func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) {
				n, fx := Vote(s, T, "c", 4, "good")
				return n, fx, nil
			},
			fx: []Effect{Voted{Voter: "c", Score: 4, Comment: "good"}, ev("c", "vote", "score", "4")}},
	})
}

// New flags a session opened off hours, and Unchanged tells which customer
// messages may skip the session's lock.
func TestNewAndUnchanged(t *testing.T) {
	st := line.Defaults()
	st.WorkingHours.Timezone = "UTC"
	offHoursRule(line.RuleText)(&st)
	if got, want := New("s1", "w1", "d1", "l1", st, night), with(qd(), func(s *State) {
		s.OpenedAt, s.QueuedAt, s.OffHours, s.OffHoursSent = night, night, true, true
	}); !reflect.DeepEqual(got, want) {
		t.Errorf("New off hours: %+v, want %+v", got, want)
	}
	if got := New("s1", "w1", "d1", "l1", st, t0); !reflect.DeepEqual(got, qd()) {
		t.Errorf("New in hours: %+v", got)
	}
	pinned := with(held(inWork, "a"), func(s *State) { s.Pinned = true })
	sent := with(qd(), func(s *State) { s.OffHours, s.OffHoursSent = true, true })
	for _, c := range []struct {
		name  string
		s     State
		at    clock.Micros
		stays bool
		want  bool
	}{
		{"queued with nobody", qd(), T, false, true},
		{"queued offered alone", offered("a"), T, false, true},
		{"in_work, operator stays", held(inWork, "a"), T, true, true},
		{"in_work, operator may be gone", held(inWork, "a"), T, false, false},
		{"in_work pinned", pinned, T, false, true},
		{"waiting_client", held(waiting, "a"), T, true, false},
		{"closing", held(closing, "a"), T, true, false},
		{"queued off hours, text not sent yet", qd(), night, false, false},
		{"queued off hours, text sent", sent, night, false, true},
	} {
		if got := Unchanged(&c.s, st, c.at, c.stays); got != c.want {
			t.Errorf("Unchanged(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

// OperatorGone gives the reason code CustomerWrote requeues with (SPEC §5).
func TestOperatorGone(t *testing.T) {
	direct := with(held(inWork, "a"), func(s *State) { s.Direct = true })
	fine := Serving{Active: true, InQueue: true, Online: true}
	for _, c := range []struct {
		name  string
		s     State
		check bool
		f     Serving
		want  string
	}{
		{"serving", held(inWork, "a"), true, fine, ""},
		{"deactivated", held(inWork, "a"), false, Serving{InQueue: true, Online: true}, "operator_deactivated"},
		{"deactivated, direct", direct, false, Serving{}, "operator_deactivated"},
		{"left the queue", held(waiting, "a"), false, Serving{Active: true, Online: true}, "operator_left_queue"},
		{"direct, out of the queue and offline", direct, true, Serving{Active: true}, ""},
		{"absent, availability not checked", held(inWork, "a"), false, Serving{Active: true, InQueue: true, Absent: true}, ""},
		{"absent", held(inWork, "a"), true, Serving{Active: true, InQueue: true, Online: true, Absent: true}, "operator_absent"},
		{"offline", held(closing, "a"), true, Serving{Active: true, InQueue: true}, "operator_unavailable"},
	} {
		st := line.Defaults()
		st.CheckAvailable = c.check
		if got := OperatorGone(&c.s, st, c.f); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
