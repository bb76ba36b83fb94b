package routing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
)

func want(t *testing.T, what string, got, exp any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("%s: got %v, want %v", what, got, exp)
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v, want code %s", err, code)
	}
}

// One test per rule of SPEC §5, each on every engine.
func TestRules(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, engine string)
	}{
		{"evenly offers the least recently offered, never-offered first in queue order", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 3, nil)
			var got [][]int
			for range 4 {
				s := e.customer()
				e.flush()
				got = append(got, e.offeredTo(s))
			}
			want(t, "offers", got, [][]int{{0}, {1}, {2}, {0}})
		}},
		{"strictly offers the first in queue order every time", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 3, func(s *line.Settings) { s.Mode = line.ModeStrictly })
			a, b := e.customer(), e.customer()
			e.flush()
			want(t, "offers", [][]int{e.offeredTo(a), e.offeredTo(b)}, [][]int{{0}, {0}})
		}},
		{"all offers every eligible operator at once", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 3, func(s *line.Settings) { s.Mode = line.ModeAll })
			s := e.customer()
			e.flush()
			want(t, "offers", e.offeredTo(s), []int{0, 1, 2})
			if err := e.take(s, 2); err != nil {
				t.Fatal(err)
			}
			ses := e.session(s)
			want(t, "after take", []any{ses.Status, len(ses.OfferedTo), *ses.OperatorID == e.ops[2]}, []any{"in_work", 0, true})
			wantCode(t, e.take(s, 0), apperr.Conflict)
		}},
		{"the line limit counts open sessions; waiting sessions get the freed room", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, func(s *line.Settings) { s.LimitEnabled, s.Limit = true, 1 })
			a, b, c := e.customer(), e.customer(), e.customer()
			e.flush()
			want(t, "offers", [][]int{e.offeredTo(a), e.offeredTo(b), e.offeredTo(c)}, [][]int{{0}, {1}, {}})
			if err := e.take(a, 0); err != nil {
				t.Fatal(err)
			}
			e.flush()
			want(t, "c still waits", e.offeredTo(c), []int{})
			if err := e.finish(a, 0); err != nil {
				t.Fatal(err)
			}
			e.flush()
			want(t, "c after a closed", e.offeredTo(c), []int{0})
		}},
		{"limit_excludes answered: an answered session leaves room", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) { s.LimitEnabled, s.Limit, s.LimitExcludes = true, 1, line.ExcludeAnswered })
			a, b := e.customer(), e.customer()
			e.flush()
			want(t, "b waits", e.offeredTo(b), []int{})
			e.take(a, 0)
			if _, err := e.s.AddOperatorMessage(ctx, e.ws.ID, e.session(a).DialogID, e.ops[0], "hi"); err != nil {
				t.Fatal(err)
			}
			e.flush()
			want(t, "b after a answered", e.offeredTo(b), []int{0})
		}},
		{"limit_excludes waiting_client: a session waiting for the customer leaves room until the customer writes", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) {
				s.LimitEnabled, s.Limit, s.LimitExcludes = true, 1, line.ExcludeWaitingClient
			})
			a := e.customer()
			e.flush()
			e.take(a, 0)
			b := e.customer()
			e.flush()
			want(t, "b waits while a is in work", e.offeredTo(b), []int{})
			e.s.AddOperatorMessage(ctx, e.ws.ID, e.session(a).DialogID, e.ops[0], "hi")
			e.flush()
			want(t, "b after a waits for the client", e.offeredTo(b), []int{0})
		}},
		{"the line limit does not apply in the all mode", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) { s.Mode, s.LimitEnabled, s.Limit = line.ModeAll, true, 1 })
			a := e.customer()
			e.flush()
			e.take(a, 0)
			b := e.customer()
			e.flush()
			want(t, "b", e.offeredTo(b), []int{0})
		}},
		{"check_available skips away, dnd, offline and stale operators", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 4, func(s *line.Settings) { s.CheckAvailable = true })
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "away")
			e.s.SetPresence(ctx, e.ws.ID, e.ops[1], "dnd")
			e.s.SetPresence(ctx, e.ws.ID, e.ops[2], "offline")
			a := e.customer()
			e.flush()
			want(t, "a", e.offeredTo(a), []int{3})
			// 61 s without a heartbeat: op3 is stale, so nobody is available.
			e.advance(61 * time.Second)
			b := e.customer()
			e.flush()
			want(t, "b", e.offeredTo(b), []int{})
			// A heartbeat brings op3 back and b is offered at once.
			e.s.SetPresence(ctx, e.ws.ID, e.ops[3], "")
			e.flush()
			want(t, "b after heartbeat", e.offeredTo(b), []int{3})
		}},
		{"without check_available presence does not matter", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, nil)
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "offline")
			a := e.customer()
			e.flush()
			want(t, "a", e.offeredTo(a), []int{0})
		}},
		{"an absence makes an operator unavailable until it ends", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) { s.CheckAvailable = true })
			if _, err := e.s.CreateAbsence(ctx, e.ws.ID, store.Absence{UserID: e.ops[0], Kind: "lunch", StartsAt: t0.Add(-time.Minute), EndsAt: t0.Add(30 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			a := e.customer()
			e.flush()
			want(t, "during lunch", e.offeredTo(a), []int{})
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "online") // still at lunch
			e.flush()
			want(t, "online but at lunch", e.offeredTo(a), []int{})
			next, ok, _ := e.s.NextDeadline(ctx)
			want(t, "next timer is the end of lunch", []any{ok, next.Equal(t0.Add(30 * time.Minute))}, []any{true, true})
			e.clk.Set(t0.Add(30 * time.Minute))
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "") // heartbeat, still online
			e.advance(0)
			want(t, "after lunch", e.offeredTo(a), []int{0})
		}},
		{"deactivated users and non-members are never offered", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, nil)
			if _, err := e.s.UpdateUser(ctx, e.ws.ID, e.ops[0], func(u *userT) error { u.Active = false; return nil }); err != nil {
				t.Fatal(err)
			}
			a, b := e.customer(), e.customer()
			e.flush()
			want(t, "offers", [][]int{e.offeredTo(a), e.offeredTo(b)}, [][]int{{1}, {1}})
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[:1] }) // op1 leaves, only inactive op0 remains
			c := e.customer()
			e.flush()
			want(t, "c", e.offeredTo(c), []int{})
		}},
		{"an offer whose operator was deactivated meanwhile is not renewed when it expires", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) { s.QueueTime = 30 })
			a := e.customer()
			e.flush()
			want(t, "offered", e.offeredTo(a), []int{0})
			if _, err := e.s.UpdateUser(ctx, e.ws.ID, e.ops[0], func(u *userT) error { u.Active = false; return nil }); err != nil {
				t.Fatal(err)
			}
			e.advance(30 * time.Second)
			want(t, "after the deadline", e.offeredTo(a), []int{})
			want(t, "requeued", e.session(a).Status, "queued")
		}},
		{"strictly wraps around to the top when everyone was tried", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 3, func(s *line.Settings) { s.Mode, s.QueueTime = line.ModeStrictly, 30 })
			a := e.customer()
			e.flush()
			var seq []int
			for range 5 {
				seq = append(seq, e.offeredTo(a)...)
				e.advance(30 * time.Second)
			}
			want(t, "visits", seq, []int{0, 1, 2, 0, 1})
		}},
		{"skip moves the offer on; the only eligible operator cannot skip", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, func(s *line.Settings) { s.Mode = line.ModeStrictly })
			a := e.customer()
			e.flush()
			if err := e.skip(a, 0); err != nil {
				t.Fatal(err)
			}
			want(t, "after skip", e.offeredTo(a), []int{1})
			wantCode(t, e.skip(a, 0), apperr.Conflict) // not offered to op0 any more
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[1:] })
			err := e.skip(a, 1)
			wantCode(t, err, apperr.Conflict)
			if apperr.MessageOf(err) != "you are the only operator who can take this session now; take it or transfer it" {
				t.Fatalf("message %q", apperr.MessageOf(err))
			}
			want(t, "still offered", e.offeredTo(a), []int{1})
		}},
		{"taking a session offered to someone else, or taken, is refused", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, nil)
			a := e.customer()
			e.flush()
			wantCode(t, e.take(a, 1), apperr.Conflict)
			if err := e.take(a, 0); err != nil {
				t.Fatal(err)
			}
			wantCode(t, e.take(a, 0), apperr.Conflict)
			wantCode(t, e.take(a, 1), apperr.Conflict)
			wantCode(t, e.s.Take(ctx, e.ws.ID, "no-such-session", e.ops[0]), apperr.NotFound)
		}},
		{"waiting sessions are offered first come, first served", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, func(s *line.Settings) { s.CheckAvailable, s.LimitEnabled, s.Limit = true, true, 1 })
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "away")
			var ss []string
			for range 4 {
				ss = append(ss, e.customer())
				e.clk.Advance(time.Second)
			}
			e.flush()
			e.s.SetPresence(ctx, e.ws.ID, e.ops[0], "online")
			e.flush()
			for i, s := range ss {
				want(t, fmt.Sprint("turn of session ", i), e.offeredTo(s), []int{0})
				e.take(s, 0)
				e.finish(s, 0)
				e.flush()
			}
		}},
		{"raising the limit and adding a queue member re-offer waiting sessions", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, func(s *line.Settings) { s.LimitEnabled, s.Limit = true, 1 })
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[:1] })
			a, b, c := e.customer(), e.customer(), e.customer()
			e.flush()
			want(t, "start", [][]int{e.offeredTo(a), e.offeredTo(b), e.offeredTo(c)}, [][]int{{0}, {}, {}})
			e.setLine(func(s *line.Settings) { s.Limit = 2 })
			want(t, "limit 2", e.offeredTo(b), []int{0})
			e.setLine(func(s *line.Settings) { s.Queue = append(s.Queue, e.ops[1]) })
			want(t, "member added", e.offeredTo(c), []int{1})
		}},
		{"the hard cap: 1000 open sessions per operator across lines, in every mode", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, nil)
			var last string
			for range 1000 {
				last = e.customer()
			}
			e.flush()
			want(t, "1000th", e.offeredTo(last), []int{0})
			extra := e.customer()
			e.flush()
			want(t, "1001st waits", e.offeredTo(extra), []int{})
			e.setLine(func(s *line.Settings) { s.Mode = line.ModeAll })
			want(t, "all mode respects the cap too", e.offeredTo(extra), []int{})
		}},
		{"a customer writing to a session whose operator left returns it to the queue", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, nil)
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[1:] })
			did := e.session(a).DialogID
			d, _ := e.s.GetDialog(ctx, e.ws.ID, did)
			if _, err := e.s.Ingest(ctx, inboundFor(e, d.Customer.ExternalID, "again")); err != nil {
				t.Fatal(err)
			}
			e.flush()
			ses := e.session(a)
			want(t, "requeued and offered to op1", []any{ses.Status, ses.OperatorID == nil, e.offeredTo(a)}, []any{"queued", true, []int{1}})
			ms, _ := e.s.ListMessages(ctx, e.ws.ID, did, "", 100)
			found := false
			for _, m := range ms {
				found = found || (m.Direction == "system" && m.Text == "Back in the queue: the operator left the line's queue" &&
					m.Event != nil && m.Event.Code == "requeued" && m.Event.Params["reason"] == "operator_left_queue")
			}
			if !found {
				t.Fatalf("no reason on the timeline: %+v", ms)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { storetest.Run(t, c.run) })
	}
}

func TestAllModeSkipIsRemembered(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 2, func(s *line.Settings) { s.Mode = line.ModeAll })
		a := e.customer()
		e.flush()
		if err := e.skip(a, 0); err != nil {
			t.Fatal(err)
		}
		e.flush()
		e.setLine(func(s *line.Settings) { s.QueueTime = 61 }) // any capacity event
		want(t, "after skip and redistribution", e.offeredTo(a), []int{1})
		wantCode(t, e.take(a, 0), apperr.Conflict)
		wantCode(t, e.skip(a, 1), apperr.Conflict) // the last one who sees it
		if err := e.take(a, 1); err != nil {
			t.Fatal(err)
		}
	})
}
