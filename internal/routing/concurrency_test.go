package routing_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store/storetest"
)

// In the all mode, 50 operators taking one session at once: exactly one wins.
func TestAllModeOneWinner(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 50, func(s *line.Settings) { s.Mode = line.ModeAll })
		for round := range 3 {
			s := e.customer()
			e.flush()
			if got := len(e.offeredTo(s)); got != 50 {
				t.Fatalf("offered to %d operators, want 50", got)
			}
			var ok, conflict atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					switch err := e.take(s, i); apperr.CodeOf(err) {
					case "":
						ok.Add(1)
					case apperr.Conflict:
						conflict.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if ok.Load() != 1 || conflict.Load() != 49 {
				t.Fatalf("round %d: %d took it, %d refused; want 1 and 49", round, ok.Load(), conflict.Load())
			}
			ses := e.session(s)
			if ses.OperatorID == nil || len(ses.OfferedTo) != 0 || ses.Status != "in_work" {
				t.Fatalf("after the race: %+v", ses)
			}
		}
	})
}

// Strict mode, three operators who never take: the offer visits 1, 2, 3, 1
// at exactly queue_time intervals, also across a restart of the store.
func TestOfferTimerSurvivesRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 3, func(s *line.Settings) { s.Mode, s.QueueTime = line.ModeStrictly, 45 })
		s := e.customer()
		e.flush()
		check := func(step int, op int) {
			t.Helper()
			ses := e.session(s)
			want(t, fmt.Sprint("step ", step), e.offeredTo(s), []int{op})
			next, ok, err := e.s.NextDeadline(ctx)
			if err != nil || !ok || !next.Equal(t0.Add(time.Duration(step+1)*45*time.Second)) {
				t.Fatalf("step %d: next deadline %v %v %v (session %+v)", step, next, ok, err, ses)
			}
		}
		check(0, 0)
		// A second early: nothing moves.
		e.advance(44 * time.Second)
		check(0, 0)
		e.advance(time.Second)
		check(1, 1)
		e.reopen() // the server restarts mid-timer
		e.advance(45 * time.Second)
		check(2, 2)
		e.reopen()
		e.clk.Advance(45 * time.Second)
		n, err := e.s.RunDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("fired %d timers (%v), want exactly 1", n, err)
		}
		if n, _ := e.s.RunDue(ctx); n != 0 {
			t.Fatalf("a timer fired twice")
		}
		check(3, 0)
	})
}

// The background scheduler fires a stored deadline when the clock reaches it.
func TestEngineRunFiresTimers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 2, func(s *line.Settings) { s.Mode, s.QueueTime = line.ModeStrictly, 10 })
		c, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { e.eng.Run(c); close(done) }()
		defer func() { cancel(); <-done }()
		s := e.customer()
		waitFor(t, func() bool { return len(e.offeredTo(s)) == 1 && e.offeredTo(s)[0] == 0 })
		// Keep advancing until the scheduler, sleeping on the fake clock, moves the offer.
		e.clk.Advance(10 * time.Second)
		waitFor(t, func() bool { return e.offeredTo(s)[0] == 1 })
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkInvariants verifies SPEC §5's guarantees straight from the tables:
// the counters equal what the sessions say, nobody is above the limit or
// the hard cap, and no session is held or offered alone by two operators.
func checkInvariants(t *testing.T, e *env, limit int) {
	t.Helper()
	db, err := sql.Open(map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[e.s.Engine()], dsnForRead(e))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	one := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// Counters equal the sessions they count.
	if n := one(`SELECT COUNT(*) FROM line_load ll WHERE ll.open_count <> (SELECT COUNT(*) FROM sessions s WHERE s.line_id = ll.line_id
		AND s.status NOT IN ('closed','spam') AND COALESCE(s.operator_id, s.offered_alone) = ll.user_id)`); n != 0 {
		t.Fatalf("%d line counters differ from the sessions", n)
	}
	if n := one(`SELECT COUNT(*) FROM operator_load ol WHERE ol.open_total <> (SELECT COUNT(*) FROM sessions s
		WHERE s.status NOT IN ('closed','spam') AND COALESCE(s.operator_id, s.offered_alone) = ol.user_id)`); n != 0 {
		t.Fatalf("%d operator counters differ from the sessions", n)
	}
	// The line's limit counts open sessions minus answered ones (the
	// default limit_excludes).
	if n := one(`SELECT COUNT(*) FROM line_load WHERE open_count - answered_count > $1`, limit); n != 0 {
		t.Fatalf("%d operators above the line limit %d", n, limit)
	}
	if n := one(`SELECT COUNT(*) FROM operator_load WHERE open_total > 1000`); n != 0 {
		t.Fatalf("%d operators above the hard cap", n)
	}
	if n := one(`SELECT COUNT(*) FROM sessions WHERE operator_id IS NOT NULL AND offered_alone IS NOT NULL`); n != 0 {
		t.Fatalf("%d sessions held and offered at once", n)
	}
	if n := one(`SELECT COUNT(*) FROM (SELECT session_id FROM session_offers GROUP BY session_id HAVING COUNT(*) > 1) x`); n != 0 {
		t.Fatalf("%d sessions offered to two operators", n)
	}
	if n := one(`SELECT COUNT(*) FROM session_offers o JOIN sessions s ON s.id = o.session_id WHERE s.operator_id IS NOT NULL OR s.offered_alone <> o.user_id`); n != 0 {
		t.Fatalf("%d offers disagree with their session", n)
	}
}

func dsnForRead(e *env) string {
	if e.s.Engine() == "sqlite" {
		return "file:" + e.dsn + "?_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	}
	return e.dsn
}

// 32 goroutines create 5,000 sessions on a line of 20 operators with limit
// 3, while operators take, finish and skip concurrently. The invariants
// hold throughout and at the end no session waits while someone has room.
func TestInvariantStress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		const ops, limit, sessions, creators = 20, 3, 5000, 32
		e := newEnv(t, engine, ops, func(s *line.Settings) { s.LimitEnabled, s.Limit = true, limit })
		c, cancel := context.WithCancel(ctx)
		engineDone := make(chan struct{})
		go func() { e.eng.Run(c); close(engineDone) }()

		var created atomic.Int32
		var wg sync.WaitGroup
		for range creators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for created.Add(1) <= sessions {
					e.customer()
				}
			}()
		}
		// Operators: take what is offered to them, finish what they hold,
		// sometimes skip; conflicts are expected and fine.
		stop := make(chan struct{})
		var opsWG sync.WaitGroup
		var taken, finished, skipped, repliedIn atomic.Int32
		for i := range ops {
			opsWG.Add(1)
			go func() {
				defer opsWG.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					mine, err := e.s.ListDialogs(ctx, e.ws.ID, dialogFilter(e.ops[i]))
					if err != nil {
						t.Error(err)
						return
					}
					offered, err := e.s.ListDialogs(ctx, e.ws.ID, dialog.ListFilter{OfferedTo: e.ops[i], Limit: 50})
					if err != nil {
						t.Error(err)
						return
					}
					// Replying into a waiting dialog offered to someone else (or
					// nobody) must be refused: a reply takes only what a take
					// could (SPEC §4).
					waiting, err := e.s.ListDialogs(ctx, e.ws.ID, dialog.ListFilter{Status: dialog.StatusQueued, Limit: 5})
					if err != nil {
						t.Error(err)
						return
					}
					for _, d := range waiting.Dialogs {
						if _, err := e.s.AddOperatorMessage(ctx, e.ws.ID, d.ID, e.ops[i], "grabbing"); err == nil {
							repliedIn.Add(1) // it was offered to me at that moment
						} else if c := apperr.CodeOf(err); c != apperr.Forbidden && c != apperr.Conflict {
							t.Errorf("reply into a waiting dialog: %v", err)
						}
					}
					for _, d := range append(mine.Dialogs, offered.Dialogs...) {
						if d.Session == nil {
							continue
						}
						sid := d.Session.ID
						switch {
						case d.Session.OperatorID != nil && *d.Session.OperatorID == e.ops[i]:
							if e.finish(sid, i) == nil {
								finished.Add(1)
							}
						case rng.IntN(5) == 0:
							if e.skip(sid, i) == nil {
								skipped.Add(1)
							}
						case rng.IntN(4) == 0: // take it by replying
							if _, err := e.s.AddOperatorMessage(ctx, e.ws.ID, d.ID, e.ops[i], "hello"); err == nil {
								repliedIn.Add(1)
							}
						default:
							if e.take(sid, i) == nil {
								taken.Add(1)
							}
						}
					}
				}
			}()
		}
		checks := 0
		for created.Load() < sessions {
			time.Sleep(100 * time.Millisecond)
			checkInvariants(t, e, limit)
			checks++
		}
		wg.Wait()
		close(stop)
		opsWG.Wait()
		cancel()
		<-engineDone
		e.flush()
		checkInvariants(t, e, limit)
		// Quiescent: no session may wait unoffered while an operator has room.
		db, _ := sql.Open(map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[engine], dsnForRead(e))
		defer db.Close()
		var waiting, roomy int
		db.QueryRow(`SELECT COUNT(*) FROM sessions WHERE status = 'queued' AND operator_id IS NULL AND offered_alone IS NULL`).Scan(&waiting)
		db.QueryRow(`SELECT COUNT(*) FROM line_queue q LEFT JOIN line_load l ON l.line_id = q.line_id AND l.user_id = q.user_id
			WHERE COALESCE(l.open_count - l.answered_count, 0) < $1`, limit).Scan(&roomy)
		if waiting > 0 && roomy > 0 {
			t.Fatalf("%d sessions wait while %d operators have room", waiting, roomy)
		}
		if taken.Load() == 0 || finished.Load() == 0 || skipped.Load() == 0 || repliedIn.Load() == 0 {
			t.Fatalf("the operators did not work: %d taken, %d finished, %d skipped, %d taken by a reply", taken.Load(), finished.Load(), skipped.Load(), repliedIn.Load())
		}
		t.Logf("%s: %d invariant checks during the run; %d taken, %d finished, %d skipped, %d taken by a reply", engine, checks, taken.Load(), finished.Load(), skipped.Load(), repliedIn.Load())
	})
}

// In evenly mode with every operator eligible, offers are spread so that
// no operator has more than one offer more than another.
func TestEvenlyBalance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 20, nil)
		c, cancel := context.WithCancel(ctx)
		engineDone := make(chan struct{})
		go func() { e.eng.Run(c); close(engineDone) }()
		var wg sync.WaitGroup
		var created atomic.Int32
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for created.Add(1) <= 2000 {
					e.customer()
				}
			}()
		}
		wg.Wait()
		cancel()
		<-engineDone
		e.flush()
		e.mu.Lock()
		defer e.mu.Unlock()
		lo, hi, total := 1<<30, 0, 0
		for _, id := range e.ops {
			n := e.offered[id]
			lo, hi, total = min(lo, n), max(hi, n), total+n
		}
		if total != 2000 || hi-lo > 1 {
			t.Fatalf("offers per operator range %d..%d (total %d); want a spread of at most 1 over 2000", lo, hi, total)
		}
	})
}
