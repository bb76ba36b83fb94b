package routing_test

import (
	"context"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store/storetest"
)

// A backlog drains in transactions of at most 256 offers, so that other
// writers get the database between them (issue: one transaction held the
// SQLite writer for ~1.9 s over 20,000 sessions).
func TestBacklogDrainsInBoundedTransactions(t *testing.T) {
	for _, mode := range []string{line.ModeEvenly, line.ModeAll} {
		t.Run(mode, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, engine string) {
				const backlog = 700
				e := newEnv(t, engine, 4, func(s *line.Settings) { s.Mode, s.Queue = mode, nil })
				for range backlog {
					e.customer()
				}
				e.flush()
				var mu sync.Mutex
				var perCommit []int
				e.bus.Subscribe(func(evs []events.Event) {
					n := 0
					for _, ev := range evs {
						if ev.Type == events.SessionOffered {
							n += len(ev.UserIDs)
						}
					}
					if n > 0 {
						mu.Lock()
						perCommit = append(perCommit, n)
						mu.Unlock()
					}
				})
				if _, err := e.s.UpdateLine(ctx, e.ws.ID, e.ln.ID, func(l *line.Line) error { l.Queue = e.ops; return nil }); err != nil {
					t.Fatal(err)
				}
				e.flush()
				mu.Lock()
				defer mu.Unlock()
				total := 0
				for _, n := range perCommit {
					total += n
					// all mode: a session's offers to every operator stay in one
					// transaction, so a batch may end a few past the bound.
					if n > 256+len(e.ops) {
						t.Fatalf("a transaction made %d offers; batches %v", n, perCommit)
					}
				}
				want := backlog
				if mode == line.ModeAll {
					want = backlog * len(e.ops)
				}
				if total != want || len(perCommit) < 3 {
					t.Fatalf("%d offers in %d transactions %v; want %d in at least 3", total, len(perCommit), perCommit, want)
				}
			})
		})
	}
}

// A drain cut short (the server stopping) says so, so the line stays dirty
// and the next round offers the rest.
func TestInterruptedDrainReportsTheRest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, 4, func(s *line.Settings) { s.Queue = nil })
		for range 600 {
			e.customer()
		}
		e.flush()
		if _, err := e.s.UpdateLine(ctx, e.ws.ID, e.ln.ID, func(l *line.Line) error { l.Queue = e.ops; return nil }); err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		var once sync.Once
		e.bus.Subscribe(func(evs []events.Event) {
			for _, ev := range evs {
				if ev.Type == events.SessionOffered {
					once.Do(cancel) // stop after the first batch commits
				}
			}
		})
		n, err := e.s.Distribute(c, e.ln.ID)
		if err == nil || n != 256 {
			t.Fatalf("interrupted drain: %d offers, error %v; want 256 and an error", n, err)
		}
		if n, err := e.s.Distribute(ctx, e.ln.ID); err != nil || n != 600-256 {
			t.Fatalf("the next round: %d offers (%v), want %d", n, err, 600-256)
		}
	})
}
