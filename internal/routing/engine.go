package routing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
)

// Store is what the engine needs of the storage: the transactional decisions.
type Store interface {
	Distribute(ctx context.Context, lineID string) (int, error)
	RunDue(ctx context.Context) (int, error)
	NextDeadline(ctx context.Context) (time.Time, bool, error)
	WaitingLines(ctx context.Context) ([]string, error)
}

// Engine drives distribution by events, not by polling: a committed event
// that may give a line room (a new session, a session back in the queue, an
// operator coming online, a session closing, a setting changed) marks the
// line dirty, and one worker distributes dirty lines, coalescing bursts into
// one transaction per line. A scheduler sleeps until the earliest stored
// deadline and runs the timers that are due.
type Engine struct {
	store Store
	clock clock.Clock
	log   *slog.Logger

	mu    sync.Mutex
	dirty map[string]bool
	order []string
	busy  bool
	idle  *sync.Cond

	kick chan struct{} // a line became dirty
	wake chan struct{} // a deadline may have moved earlier
}

// NewEngine returns an engine; Run starts it.
func NewEngine(st Store, clk clock.Clock, log *slog.Logger) *Engine {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{store: st, clock: clk, log: log, dirty: map[string]bool{},
		kick: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	e.idle = sync.NewCond(&e.mu)
	return e
}

// OnEvents reacts to committed events; subscribe it to the bus. It never blocks.
func (e *Engine) OnEvents(evs []events.Event) {
	wake := false
	for _, ev := range evs {
		switch ev.Type {
		case events.SessionOpened, events.SessionRequeued, events.Capacity:
			e.Kick(ev.LineID)
		case events.SessionOffered, events.TimersChanged:
			wake = true
		}
	}
	if wake {
		signal(e.wake)
	}
}

// WakeScheduler makes the scheduler look at the deadlines again.
func (e *Engine) WakeScheduler() { signal(e.wake) }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Kick marks lines for distribution.
func (e *Engine) Kick(lineIDs ...string) {
	e.mu.Lock()
	for _, id := range lineIDs {
		if id != "" && !e.dirty[id] {
			e.dirty[id] = true
			e.order = append(e.order, id)
		}
	}
	e.mu.Unlock()
	signal(e.kick)
}

// Run distributes and runs timers until ctx ends. At start it distributes
// every line with waiting sessions, so a restart loses nothing.
func (e *Engine) Run(ctx context.Context) {
	if lines, err := e.store.WaitingLines(ctx); err != nil {
		e.log.Error("routing: list waiting lines", "error", err)
	} else {
		e.Kick(lines...)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.distributeLoop(ctx) }()
	go func() { defer wg.Done(); e.scheduleLoop(ctx) }()
	wg.Wait()
}

func (e *Engine) distributeLoop(ctx context.Context) {
	for {
		e.Flush(ctx)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		}
	}
}

// Flush distributes every dirty line now, until none is left.
func (e *Engine) Flush(ctx context.Context) {
	for {
		e.mu.Lock()
		for e.busy {
			e.idle.Wait()
		}
		if len(e.order) == 0 {
			e.mu.Unlock()
			return
		}
		id := e.order[0]
		e.order = e.order[1:]
		delete(e.dirty, id)
		e.busy = true
		e.mu.Unlock()

		_, err := e.store.Distribute(ctx, id)
		if err != nil && ctx.Err() == nil {
			e.log.Error("routing: distribute", "line_id", id, "error", err)
		}

		e.mu.Lock()
		e.busy = false
		e.idle.Broadcast()
		e.mu.Unlock()
		if err != nil {
			e.Kick(id) // not lost: tried again on the next round
			if ctx.Err() == nil {
				select { // do not spin on a failing database
				case <-ctx.Done():
				case <-e.clock.After(100 * time.Millisecond):
				}
			}
			return
		}
	}
}

func (e *Engine) scheduleLoop(ctx context.Context) {
	for {
		next, ok, err := e.store.NextDeadline(ctx)
		var timer <-chan time.Time
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			e.log.Error("routing: next deadline", "error", err)
			timer = e.clock.After(time.Second)
		case ok:
			if d := next.Sub(e.clock.Now()); d > 0 {
				timer = e.clock.After(d)
			} else {
				e.runDue(ctx)
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-timer:
			e.runDue(ctx)
		case <-e.wake:
		}
	}
}

func (e *Engine) runDue(ctx context.Context) {
	if _, err := e.store.RunDue(ctx); err != nil && ctx.Err() == nil {
		e.log.Error("routing: run timers", "error", err)
		select { // do not spin on a failing database
		case <-ctx.Done():
		case <-e.clock.After(time.Second):
		}
	}
}
