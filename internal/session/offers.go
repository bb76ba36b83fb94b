package session

import (
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
)

// Offers (SPEC §5). Whom to offer is routing's decision (routing.Rules);
// what an offer does to a session is here. The store's distribution drains
// a line's queue with MarkOffered; a skip and an expired offer move one
// session's offer on.

// Queue is a line's operators as a decision sees them, in queue order,
// with their names for the timeline.
type Queue struct {
	Rules routing.Rules
	Ops   []routing.Operator
	Names []string
}

// MarkOffered offers s to op alone, with a deadline of queue_time from at;
// strictly remembers whom its round tried (wrapped: the round started
// again). It sets op's evenly mark to seq.
func MarkOffered(s *State, st line.Settings, op *routing.Operator, wrapped bool, at, seq int64) {
	s.OfferedAlone = op.ID
	s.OfferDeadline = at + clock.Seconds(st.QueueTime)
	if st.Mode == line.ModeStrictly {
		if wrapped {
			s.Tried = ""
		}
		s.addTried(op.ID)
	}
	op.LastOfferedAt = seq
}

// offerTo offers s (as it was: old) to op of the queue.
func offerTo(old State, st line.Settings, q Queue, pick int, wrapped bool, at, seq int64, why string, fx []Effect) (State, []Effect) {
	next := old
	op := &q.Ops[pick]
	MarkOffered(&next, st, op, wrapped, at, seq)
	if old.OfferedAlone != "" && old.OfferedAlone != op.ID {
		fx = append(fx, DropOffers{User: old.OfferedAlone})
	}
	return next, append(fx, Offer{User: op.ID, Seq: seq, Again: old.OfferedAlone == op.ID},
		Event{Event: dialog.Ev("offered", "name", q.Names[pick], "reason", why)},
		Announce{Kind: Offered, Reason: why, Users: []string{op.ID}})
}

// moveOffer offers s to the next eligible operator other than from. With
// nobody else eligible it returns false.
func moveOffer(s State, st line.Settings, q Queue, from string, at, now int64, why string, fx []Effect) (State, []Effect, bool) {
	saved, was := -1, false
	for j := range q.Ops {
		if q.Ops[j].ID == from {
			saved, was = j, q.Ops[j].Active
			q.Ops[j].Active = false // not eligible for this decision
		}
	}
	pick, wrapped := q.Rules.Choose(q.Ops, func(j int) bool { return s.TriedHas(q.Ops[j].ID) })
	if saved >= 0 {
		q.Ops[saved].Active = was // as it was: a deactivated operator stays so
	}
	if pick < 0 {
		return s, nil, false
	}
	next, fx := offerTo(s, st, q, pick, wrapped, at, LastOffer(q.Ops, now)+1, why, fx)
	return next, fx, true
}

// LastOffer is the latest evenly mark among ops, or now if later: offer
// marks are distinct and increasing.
func LastOffer(ops []routing.Operator, now int64) int64 {
	for i := range ops {
		now = max(now, ops[i].LastOfferedAt)
	}
	return now
}

var errOnlyEligible = apperr.New(apperr.Conflict, "you are the only operator who can take this session now; take it or transfer it")

// Skip passes user's offer on (offered: who sees it now). An operator who
// is the only eligible one cannot skip: the session would come straight
// back. In the all mode the offer is withdrawn from the skipper alone and
// remembered so that it is not offered back.
func Skip(s State, st line.Settings, q Queue, at clock.Micros, user string, offered []string) (State, []Effect, error) {
	if s.OperatorID != "" || !dialog.IsOpen(s.Status) {
		return s, nil, apperr.New(apperr.Conflict, "the session is no longer offered: it was taken or closed")
	}
	if !contains(offered, user) {
		return s, nil, errNotOffered
	}
	skipped := Event{Author: user, Event: dialog.Ev("skipped")}
	if q.Rules.Mode == line.ModeAll {
		others := len(offered) > 1
		for _, j := range q.Rules.ChooseAll(q.Ops) {
			others = others || (q.Ops[j].ID != user && !s.TriedHas(q.Ops[j].ID))
		}
		if !others {
			return s, nil, errOnlyEligible
		}
		next := s
		next.addTried(user)
		return next, []Effect{DropOffers{User: user}, skipped, Announce{Kind: Requeued, Reason: "skipped", Users: []string{user}}}, nil
	}
	next, fx, moved := moveOffer(s, st, q, user, at, at, "skipped", []Effect{skipped})
	if !moved {
		return s, nil, errOnlyEligible
	}
	return next, fx, nil
}

// OfferExpired moves an offer whose queue_time passed by now to the next
// eligible operator; with nobody else, it is offered again to the same one
// if still eligible, or else waits (SPEC §5). at is when that happened;
// fired is false when the offer had been taken or moved meanwhile.
func OfferExpired(s State, st line.Settings, q Queue, now clock.Micros) (next State, fx []Effect, at clock.Micros, fired bool) {
	if s.OfferDeadline == 0 || s.OfferDeadline > now || s.OperatorID != "" {
		return s, nil, now, false
	}
	// The next offer starts when this one expired, so offers follow each
	// other at exactly queue_time; after a long outage, from now.
	at = s.OfferDeadline
	if now-at >= clock.Seconds(st.QueueTime) {
		at = now
	}
	from := s.OfferedAlone
	if next, fx, moved := moveOffer(s, st, q, from, at, at, "queue_time", nil); moved {
		return next, fx, at, true
	}
	for j := range q.Ops {
		if q.Ops[j].ID == from && q.Rules.Eligible(&q.Ops[j]) {
			next, fx := offerTo(s, st, q, j, true, at, LastOffer(q.Ops, at)+1, "queue_time_again", nil)
			return next, fx, at, true
		}
	}
	next, fx = Requeue(s, at, "nobody_available")
	return next, fx, at, true
}

// Requeue withdraws a session's offers: it waits for capacity again.
func Requeue(s State, at clock.Micros, why string) (State, []Effect) {
	next := s
	next.OfferedAlone, next.OfferDeadline = "", 0
	return next, []Effect{DropOffers{}, Event{Event: dialog.Ev("requeued", "reason", why)},
		Announce{Kind: Requeued, Reason: why, Users: nonEmpty(s.OfferedAlone)}}
}
