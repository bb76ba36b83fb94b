package session

import (
	"testing"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
)

// Taking, replying, skipping, transferring and expiring offers (SPEC §4–§6).

// op is an active, available queue member offered a session last at mark.
func op(id string, mark int64) routing.Operator {
	return routing.Operator{ID: id, Active: true, Available: true, LastOfferedAt: mark}
}

func queueOf(st line.Settings, ops []routing.Operator) Queue {
	q := Queue{Rules: routing.RulesOf(st), Ops: append([]routing.Operator(nil), ops...)}
	for _, o := range ops {
		q.Names = append(q.Names, "N"+o.ID)
	}
	return q
}

func take(user string, offered ...string) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) {
		return Take(s, T, user, offered)
	}
}

func reply(w Writer, f ReplyFacts) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		return OperatorWrote(s, st, T, w, "hi", f)
	}
}

func skip(user string, offered []string, ops ...routing.Operator) doer {
	return func(_ *testing.T, s State, st line.Settings) (State, []Effect, error) {
		return Skip(s, st, queueOf(st, ops), T, user, offered)
	}
}

func transfer(a Actor, offered []string, u *Person, l *LineTarget) doer {
	return func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) {
		return Transfer(s, T, a, offered, u, l)
	}
}

// expire runs OfferExpired at now and checks when it says the expiry
// happened and whether it fired.
func expire(now, wantAt clock.Micros, wantFired bool, ops ...routing.Operator) doer {
	return func(t *testing.T, s State, st line.Settings) (State, []Effect, error) {
		n, fx, at, fired := OfferExpired(s, st, queueOf(st, ops), now)
		if at != wantAt || fired != wantFired {
			t.Errorf("at %d fired %v, want at %d fired %v", at, fired, wantAt, wantFired)
		}
		return n, fx, nil
	}
}

func markOffered(wrapped bool) doer {
	return func(t *testing.T, s State, st line.Settings) (State, []Effect, error) {
		o := op("b", 1)
		MarkOffered(&s, st, &o, wrapped, T, 7)
		if o.LastOfferedAt != 7 {
			t.Errorf("evenly mark %d, want 7", o.LastOfferedAt)
		}
		return s, nil, nil
	}
}

func strictly(st *line.Settings) { st.Mode = line.ModeStrictly }
func allMode(st *line.Settings)  { st.Mode = line.ModeAll }
func limit(n int) func(*line.Settings) {
	return func(st *line.Settings) { st.LimitEnabled, st.Limit = true, n }
}

// takenBy is the change a take (or a take by reply) makes.
func takenBy(u string) func(*State) {
	return func(s *State) {
		s.Status, s.OperatorID, s.OfferedAlone, s.OfferDeadline, s.Tried, s.Direct = inWork, u, "", 0, "", false
	}
}

// repliedBy is the change a take by reply of user u makes.
func repliedBy(u string) func(*State) {
	return func(s *State) {
		takenBy(u)(s)
		s.Status, s.Answered, s.FirstResponseAt = waiting, true, T
	}
}

func tookByReply(u string, others ...string) []Effect {
	return []Effect{DropOffers{}, ClearTimer{NoAnswer}, SetTimer{AutoClose, T + sec(4*3600)},
		Send{Kind: dialog.KindText, Text: "hi", Author: u}, ev(u, "taken_by_reply"),
		ann(Taken, "", append([]string{u}, others...)...), Answer{Operator: u, First: true}}
}

// offerFx is what offering the session to u (moved from from) adds.
func offerFx(from, u string, seq int64, why string) []Effect {
	var fx []Effect
	if from != "" && from != u {
		fx = append(fx, DropOffers{User: from})
	}
	return append(fx, Offer{User: u, Seq: seq, Again: from == u}, ev("", "offered", "name", "N"+u, "reason", why),
		ann(Offered, why, u))
}

func offeredTo(u string, at clock.Micros, tried string) func(*State) {
	return func(s *State) { s.OfferedAlone, s.OfferDeadline, s.Tried = u, at+sec(60), tried }
}

func TestTakeAndReply(t *testing.T) {
	taken := func(u string, others ...string) []Effect {
		return []Effect{DropOffers{}, ClearTimer{NoAnswer}, ev(u, "taken"), ann(Taken, "", append([]string{u}, others...)...)}
	}
	super := Writer{UserID: "c", MayIntercept: true}
	runRows(t, []row{
		{name: "offered alone/a takes → in_work", in: offered("a"), do: take("a", "a"), want: takenBy("a"), fx: taken("a")},
		{name: "offered to all/b takes → b wins, the others lose it", in: qd(), do: take("b", "a", "b", "c"),
			want: takenBy("b"), fx: taken("b", "a", "c")},
		{name: "strictly offered alone/take clears the round", in: with(offered("a"), func(s *State) { s.Tried = "x,a" }),
			set: strictly, do: take("a", "a"), want: takenBy("a"), fx: taken("a")},
		{name: "in_work held by a/b takes → conflict", in: held(inWork, "a"), do: take("b", "b"), code: apperr.Conflict},
		{name: "in_work held by a/a takes again → conflict", in: held(inWork, "a"), do: take("a", "a"), code: apperr.Conflict},
		{name: "offered alone to a/b takes → conflict", in: offered("a"), do: take("b", "a"), code: apperr.Conflict},
		{name: "closed/take → conflict", in: with(qd(), func(s *State) { s.Status = closed }), do: take("a", "a"), code: apperr.Conflict},

		{name: "in_work/holder's first reply → waiting_client, answered, auto-close set", in: held(inWork, "a"),
			do:   reply(Writer{UserID: "a"}, ReplyFacts{}),
			want: func(s *State) { s.Status, s.Answered, s.FirstResponseAt = waiting, true, T },
			fx: []Effect{SetTimer{AutoClose, T + sec(4*3600)}, Send{Kind: dialog.KindText, Text: "hi", Author: "a"},
				Answer{Operator: "a", First: true}}},
		{name: "waiting_client/holder writes again, auto-close off → not the first response", in: held(waiting, "a"),
			set: func(st *line.Settings) { st.AutoCloseEnabled = false }, do: reply(Writer{UserID: "a"}, ReplyFacts{}),
			fx: []Effect{Send{Kind: dialog.KindText, Text: "hi", Author: "a"}, Answer{Operator: "a"}}},
		{name: "offered alone/a writes → taken by reply", in: offered("a"),
			do: reply(Writer{UserID: "a"}, ReplyFacts{Offered: []string{"a"}}), want: repliedBy("a"), fx: tookByReply("a")},
		{name: "offered to all/b writes → taken by reply, the others lose it", in: qd(), set: allMode,
			do: reply(Writer{UserID: "b"}, ReplyFacts{Offered: []string{"a", "b"}}), want: repliedBy("b"), fx: tookByReply("b", "a")},
		{name: "offered alone at the limit/a writes → taken (the offer counts already)", in: offered("a"), set: limit(1),
			do: reply(Writer{UserID: "a"}, ReplyFacts{Offered: []string{"a"}, Counted: 1}), want: repliedBy("a"), fx: tookByReply("a")},
		{name: "queued with nobody/writer without offer or right → forbidden", in: qd(),
			do: reply(Writer{UserID: "b"}, ReplyFacts{}), code: apperr.Forbidden},
		{name: "offered alone to a/b without right writes → forbidden", in: offered("a"),
			do: reply(Writer{UserID: "b"}, ReplyFacts{Offered: []string{"a"}}), code: apperr.Forbidden},
		{name: "offered alone to a/c with intercept right within limit → taken by reply", in: offered("a"), set: limit(2),
			do: reply(super, ReplyFacts{Offered: []string{"a"}, Counted: 1}), want: repliedBy("c"), fx: tookByReply("c", "a")},
		{name: "queued with nobody/intercept right at the limit → conflict", in: qd(), set: limit(2),
			do: reply(super, ReplyFacts{Counted: 2}), code: apperr.Conflict},
		{name: "all mode queued/intercept right, limit does not apply → taken by reply", in: qd(),
			set: func(st *line.Settings) { allMode(st); limit(1)(st) },
			do:  reply(super, ReplyFacts{Counted: 5}), want: repliedBy("c"), fx: tookByReply("c")},
		{name: "in_work held by a/b neither joined nor privileged → forbidden", in: held(inWork, "a"),
			do: reply(Writer{UserID: "b"}, ReplyFacts{}), code: apperr.Forbidden},
		{name: "in_work held by a/b joined writes → waiting_client, a still holds", in: held(inWork, "a"),
			do:   reply(Writer{UserID: "b"}, ReplyFacts{Joined: true}),
			want: func(s *State) { s.Status, s.Answered, s.FirstResponseAt = waiting, true, T },
			fx: []Effect{SetTimer{AutoClose, T + sec(4*3600)}, Send{Kind: dialog.KindText, Text: "hi", Author: "b"},
				Answer{Operator: "b", First: true}}},
		{name: "waiting_client held by a/c with intercept right writes → allowed", in: held(waiting, "a"),
			do: reply(super, ReplyFacts{}),
			fx: []Effect{SetTimer{AutoClose, T + sec(4*3600)}, Send{Kind: dialog.KindText, Text: "hi", Author: "c"}, Answer{Operator: "c"}}},
		{name: "closing/holder writes → conflict", in: held(closing, "a"), do: reply(Writer{UserID: "a"}, ReplyFacts{}), code: apperr.Conflict},
		{name: "closed/holder writes → conflict", in: held(closed, "a"), do: reply(Writer{UserID: "a"}, ReplyFacts{}), code: apperr.Conflict},
		{name: "spam/holder writes → conflict", in: held(spam, "a"), do: reply(super, ReplyFacts{}), code: apperr.Conflict},
	})
}

func TestSkipAndTransfer(t *testing.T) {
	skipped := ev("a", "skipped")
	sales := &LineTarget{ID: "l2", Name: "Sales", WorkspaceID: "w1", Found: true, Active: true}
	toSales := func(s *State) {
		s.LineID, s.OperatorID, s.OfferedAlone, s.OfferDeadline, s.Tried, s.Direct = "l2", "", "", 0, "", false
		s.Status, s.QueuedAt = queued, T
	}
	direct := func(u string) func(*State) {
		return func(s *State) {
			s.OperatorID, s.OfferedAlone, s.OfferDeadline, s.Tried, s.Direct = u, "", 0, "", true
			if s.Status == queued {
				s.Status = inWork
			}
		}
	}
	toBob := func(by string, users ...string) []Effect {
		return []Effect{DropOffers{}, ClearTimer{NoAnswer}, ev(by, "transferred_user", "name", "Bob"), ann(Taken, "transferred", users...)}
	}
	bAtLimit := op("b", 2)
	bAtLimit.Counted = 2
	bAway := op("b", 2)
	bAway.Available = false
	off := routing.Operator{ID: "b"}
	runRows(t, []row{
		{name: "evenly/a skips → the least recently offered c", in: offered("a"), do: skip("a", []string{"a"}, op("a", 1), op("b", 5), op("c", 3)),
			want: offeredTo("c", T, ""), fx: cat(skipped, offerFx("a", "c", T+1, "skipped"))},
		{name: "evenly/a skips, b at its limit → c", in: offered("a"), set: limit(2),
			do: skip("a", []string{"a"}, op("a", 1), bAtLimit, op("c", 3)), want: offeredTo("c", T, ""), fx: cat(skipped, offerFx("a", "c", T+1, "skipped"))},
		{name: "evenly check_available/a skips, b away → c", in: offered("a"), set: func(st *line.Settings) { st.CheckAvailable = true },
			do: skip("a", []string{"a"}, op("a", 1), bAway, op("c", 3)), want: offeredTo("c", T, ""), fx: cat(skipped, offerFx("a", "c", T+1, "skipped"))},
		{name: "evenly/the only eligible skips → conflict", in: offered("a"), do: skip("a", []string{"a"}, op("a", 1), off), code: apperr.Conflict},
		{name: "strictly/a skips → next untried b", in: with(offered("a"), func(s *State) { s.Tried = "a" }), set: strictly,
			do: skip("a", []string{"a"}, op("a", 0), op("b", 0), op("c", 0)), want: offeredTo("b", T, "a,b"), fx: cat(skipped, offerFx("a", "b", T+1, "skipped"))},
		{name: "strictly/c skips, all tried → round starts again at a", in: with(offered("c"), func(s *State) { s.Tried = "a,b,c" }), set: strictly,
			do: skip("c", []string{"c"}, op("a", 0), op("b", 0), op("c", 0)), want: offeredTo("a", T, "a"),
			fx: cat(ev("c", "skipped"), offerFx("c", "a", T+1, "skipped"))},
		{name: "all/a skips, b sees it too → withdrawn from a alone", in: qd(), set: allMode,
			do: skip("a", []string{"a", "b"}, op("a", 0), op("b", 0)), want: func(s *State) { s.Tried = "a" },
			fx: []Effect{DropOffers{User: "a"}, skipped, ann(Requeued, "skipped", "a")}},
		{name: "all/a skips, b eligible but not yet offered → withdrawn from a", in: qd(), set: allMode,
			do: skip("a", []string{"a"}, op("a", 0), op("b", 0)), want: func(s *State) { s.Tried = "a" },
			fx: []Effect{DropOffers{User: "a"}, skipped, ann(Requeued, "skipped", "a")}},
		{name: "all/a the only eligible skips → conflict", in: qd(), set: allMode,
			do: skip("a", []string{"a"}, op("a", 0), off), code: apperr.Conflict},
		{name: "all/a skips, b skipped before → conflict", in: with(qd(), func(s *State) { s.Tried = "b" }), set: allMode,
			do: skip("a", []string{"a"}, op("a", 0), op("b", 0)), code: apperr.Conflict},
		{name: "in_work/skip → conflict", in: held(inWork, "a"), do: skip("a", []string{"a"}, op("a", 0), op("b", 0)), code: apperr.Conflict},
		{name: "offered alone to a/b skips → conflict", in: offered("a"), do: skip("b", []string{"a"}, op("a", 0), op("b", 0)), code: apperr.Conflict},

		{name: "in_work/holder transfers to Bob → Bob holds it directly", in: held(inWork, "a"),
			do: transfer(holderA, nil, &bob, nil), want: direct("b"), fx: toBob("a", "b", "a")},
		{name: "offered alone/a transfers to Bob before taking → in_work with Bob", in: offered("a"),
			do: transfer(holderA, []string{"a"}, &bob, nil), want: direct("b"), fx: toBob("a", "b")},
		{name: "waiting_client/supervisor transfers to Bob → stays waiting_client", in: held(waiting, "a"),
			do: transfer(superC, nil, &bob, nil), want: direct("b"), fx: toBob("c", "b", "a")},
		{name: "in_work held by a/b transfers → forbidden", in: held(inWork, "a"), do: transfer(otherB, nil, &cid, nil), code: apperr.Forbidden},
		{name: "offered alone to a/b transfers → forbidden", in: offered("a"), do: transfer(otherB, []string{"a"}, &cid, nil), code: apperr.Forbidden},
		{name: "in_work/transfer to an unknown user → not found", in: held(inWork, "a"),
			do: transfer(holderA, nil, &Person{ID: "x"}, nil), code: apperr.NotFound},
		{name: "in_work/transfer to a deactivated user → conflict", in: held(inWork, "a"),
			do: transfer(holderA, nil, &Person{ID: "b", Name: "Bob", Found: true}, nil), code: apperr.Conflict},
		{name: "in_work held by Bob/transfer to Bob → conflict", in: held(inWork, "b"),
			do: transfer(superC, nil, &bob, nil), code: apperr.Conflict},
		{name: "in_work/holder transfers to line Sales → queued there", in: held(inWork, "a"),
			do: transfer(holderA, nil, nil, sales), want: toSales,
			fx: []Effect{DropOffers{}, ev("a", "transferred_line", "name", "Sales"), ann(Requeued, "transferred", "a")}},
		{name: "offered alone/a transfers to line Sales → queued there, offer dropped", in: offered("a"),
			do: transfer(holderA, []string{"a"}, nil, sales), want: toSales,
			fx: []Effect{DropOffers{}, ev("a", "transferred_line", "name", "Sales"), ann(Requeued, "transferred")}},
		{name: "in_work/transfer to its own line → conflict", in: held(inWork, "a"),
			do: transfer(holderA, nil, nil, &LineTarget{ID: "l1", WorkspaceID: "w1", Found: true, Active: true}), code: apperr.Conflict},
		{name: "in_work/transfer to another workspace's line → not found", in: held(inWork, "a"),
			do: transfer(holderA, nil, nil, &LineTarget{ID: "l9", WorkspaceID: "w2", Found: true, Active: true}), code: apperr.NotFound},
		{name: "in_work/transfer to a missing line → not found", in: held(inWork, "a"),
			do: transfer(holderA, nil, nil, &LineTarget{ID: "l9"}), code: apperr.NotFound},
		{name: "in_work/transfer to an inactive line → conflict", in: held(inWork, "a"),
			do: transfer(holderA, nil, nil, &LineTarget{ID: "l3", WorkspaceID: "w1", Found: true}), code: apperr.Conflict},
		{name: "closing/transfer → conflict", in: held(closing, "a"), do: transfer(holderA, nil, &bob, nil), code: apperr.Conflict},
		{name: "closed/transfer → conflict", in: held(closed, "a"), do: transfer(superC, nil, nil, sales), code: apperr.Conflict},
	})
}

func TestOfferExpiry(t *testing.T) {
	due := t0 + sec(60) // offered()'s deadline
	aAtLimit := op("a", 1)
	aAtLimit.Counted = 1
	aAway := op("a", 1)
	aAway.Available = false
	off := routing.Operator{ID: "b"}
	runRows(t, []row{
		{name: "offer not due → nothing", in: offered("a"), do: expire(t0+sec(30), t0+sec(30), false, op("a", 1), op("b", 2))},
		{name: "queued with nobody offered → nothing", in: qd(), do: expire(T, T, false, op("a", 1))},
		{name: "taken meanwhile → nothing", in: with(held(inWork, "a"), func(s *State) { s.OfferDeadline = due }),
			do: expire(T, T, false, op("a", 1), op("b", 2))},
		{name: "evenly/expired → moved on to b from the deadline", in: offered("a"), do: expire(T, due, true, op("a", 1), op("b", 2)),
			want: offeredTo("b", due, ""), fx: offerFx("a", "b", due+1, "queue_time")},
		{name: "evenly/expired long ago → moved on from now", in: offered("a"), do: expire(due+sec(60), due+sec(60), true, op("a", 1), op("b", 2)),
			want: offeredTo("b", due+sec(60), ""), fx: offerFx("a", "b", due+sec(60)+1, "queue_time")},
		{name: "strictly/expired → next untried", in: with(offered("a"), func(s *State) { s.Tried = "a" }), set: strictly,
			do: expire(T, due, true, op("a", 0), op("b", 0)), want: offeredTo("b", due, "a,b"), fx: offerFx("a", "b", due+1, "queue_time")},
		{name: "evenly/nobody else → offered again to a", in: offered("a"), do: expire(T, due, true, op("a", 1), off),
			want: offeredTo("a", due, ""), fx: offerFx("a", "a", due+1, "queue_time_again")},
		{name: "strictly/nobody else → offered again, new round", in: with(offered("a"), func(s *State) { s.Tried = "a" }), set: strictly,
			do: expire(T, due, true, op("a", 0)), want: offeredTo("a", due, "a"), fx: offerFx("a", "a", due+1, "queue_time_again")},
		{name: "a deactivated, nobody else → requeued nobody_available", in: offered("a"),
			do: expire(T, due, true, routing.Operator{ID: "a"}, off), want: unoffered,
			fx: []Effect{DropOffers{}, ev("", "requeued", "reason", "nobody_available"), ann(Requeued, "nobody_available", "a")}},
		{name: "check_available, a went away, nobody else → requeued nobody_available", in: offered("a"),
			set: func(st *line.Settings) { st.CheckAvailable = true },
			do:  expire(T, due, true, aAway, off), want: unoffered,
			fx: []Effect{DropOffers{}, ev("", "requeued", "reason", "nobody_available"), ann(Requeued, "nobody_available", "a")}},
		{name: "a at its limit, b offline → requeued nobody_available", in: offered("a"), set: limit(1),
			do: expire(T, due, true, aAtLimit, off), want: unoffered,
			fx: []Effect{DropOffers{}, ev("", "requeued", "reason", "nobody_available"), ann(Requeued, "nobody_available", "a")}},

		{name: "mark offered evenly → b alone, deadline queue_time on", in: qd(), do: markOffered(false), want: offeredTo("b", T, "")},
		{name: "mark offered strictly → b added to the round", in: with(qd(), func(s *State) { s.Tried = "a" }), set: strictly,
			do: markOffered(false), want: offeredTo("b", T, "a,b")},
		{name: "mark offered strictly, wrapped → round restarts with b", in: with(qd(), func(s *State) { s.Tried = "a,b" }), set: strictly,
			do: markOffered(true), want: offeredTo("b", T, "b")},
		{name: "requeue → offers withdrawn, reason on the timeline", in: offered("a"),
			do: func(_ *testing.T, s State, _ line.Settings) (State, []Effect, error) {
				n, fx := Requeue(s, T, "queued")
				return n, fx, nil
			},
			want: unoffered, fx: []Effect{DropOffers{}, ev("", "requeued", "reason", "queued"), ann(Requeued, "queued", "a")}},
	})
}

func unoffered(s *State) { s.OfferedAlone, s.OfferDeadline = "", 0 }
