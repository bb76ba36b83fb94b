package routing_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

var ctx = context.Background()

// t0 is a Monday morning.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// env is a workspace with one line of n operators, all online, on a store
// with a fake clock; the routing engine is driven synchronously by Flush.
type env struct {
	t    testing.TB
	dsn  string
	s    *store.Store
	clk  *clock.Fake
	bus  *events.Local
	eng  *routing.Engine
	ws   workspace.Workspace
	ln   line.Line
	ch   channel.Channel
	ops  []string // user ids in queue order
	name map[string]int

	mu      sync.Mutex
	offered map[string]int // offers per operator, from the events
	n       int
}

func newEnv(t testing.TB, engine string, n int, set func(*line.Settings)) *env {
	t.Helper()
	e := &env{t: t, dsn: storetest.DSN(t, engine), clk: clock.NewFake(t0), offered: map[string]int{}, name: map[string]int{}}
	e.open()
	var err error
	if e.ws, err = e.s.CreateWorkspace(ctx, "Acme", workspace.Enterprise); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		u, err := e.s.CreateUser(ctx, user.User{WorkspaceID: e.ws.ID, Email: fmt.Sprintf("op%d@acme.io", i), Name: fmt.Sprintf("op%d", i),
			Role: user.Manager, Active: true, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		e.ops = append(e.ops, u.ID)
		e.name[u.ID] = i
		if _, err := e.s.SetPresence(ctx, e.ws.ID, u.ID, "online"); err != nil {
			t.Fatal(err)
		}
	}
	st := line.Defaults()
	// Routing tests look at distribution alone: finishing closes at once and
	// no auto-replies are written. The lifecycle tests turn them on.
	st.WelcomeEnabled, st.CloseRule, st.RatingEnabled, st.AutoCloseEnabled = false, line.RuleNone, false, false
	st.Queue = slices.Clone(e.ops)
	if set != nil {
		set(&st)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.ln, err = e.s.CreateLine(ctx, e.ws.ID, "Support", st); err != nil {
		t.Fatal(err)
	}
	if e.ch, err = e.s.CreateChannel(ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: e.ln.ID, Type: channel.TypeAPI, Name: "api"}); err != nil {
		t.Fatal(err)
	}
	e.flush()
	return e
}

// open (re)opens the store on the env's database, with a fresh bus and engine.
func (e *env) open() {
	e.bus = events.NewLocal()
	s, err := store.Open(ctx, e.dsn, store.Options{Clock: e.clk, OnCommit: e.bus.Publish})
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = s
	e.eng = routing.NewEngine(s, e.clk, nil)
	e.bus.Subscribe(e.eng.OnEvents)
	e.bus.Subscribe(func(evs []events.Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, ev := range evs {
			if ev.Type == events.SessionOffered && ev.Reason != "all" {
				e.offered[ev.UserIDs[0]]++
			}
		}
	})
	e.t.Cleanup(func() { s.Close() })
}

// reopen closes the store and opens it again, as a restarted server would.
func (e *env) reopen() {
	e.s.Close()
	e.open()
}

func (e *env) flush() {
	e.eng.Flush(ctx)
}

// customer sends a message of a new customer and returns the session id.
func (e *env) customer() string {
	e.t.Helper()
	e.mu.Lock()
	e.n++
	n := e.n
	e.mu.Unlock()
	r, err := e.s.Ingest(ctx, dialog.Inbound{WorkspaceID: e.ws.ID, ChannelID: e.ch.ID, LineID: e.ln.ID,
		Customer: dialog.Customer{ExternalID: fmt.Sprint("c", n)}, ExternalID: fmt.Sprint("m", n), Text: "hello"})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.SessionID
}

func (e *env) session(id string) dialog.Session {
	e.t.Helper()
	did, err := e.s.DialogOfSession(ctx, e.ws.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.s.GetDialog(ctx, e.ws.ID, did)
	if err != nil {
		e.t.Fatal(err)
	}
	return *d.Session
}

// offeredTo returns the queue indexes of the operators a session is offered to.
func (e *env) offeredTo(id string) []int {
	e.t.Helper()
	var out []int
	for _, u := range e.session(id).OfferedTo {
		out = append(out, e.name[u])
	}
	return out
}

func (e *env) take(session string, op int) error { return e.s.Take(ctx, e.ws.ID, session, e.ops[op]) }
func (e *env) skip(session string, op int) error { return e.s.Skip(ctx, e.ws.ID, session, e.ops[op]) }

func (e *env) setLine(change func(*line.Settings)) {
	e.t.Helper()
	_, err := e.s.UpdateLine(ctx, e.ws.ID, e.ln.ID, func(l *line.Line) error {
		change(&l.Settings)
		return l.Settings.Validate()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.flush()
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.clk.Advance(d)
	if _, err := e.s.RunDue(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.flush()
}

type userT = user.User

func inboundFor(e *env, customer, ext string, text ...string) dialog.Inbound {
	in := dialog.Inbound{WorkspaceID: e.ws.ID, ChannelID: e.ch.ID, LineID: e.ln.ID,
		Customer: dialog.Customer{ExternalID: customer}, ExternalID: ext, Text: "hello"}
	if len(text) > 0 {
		in.Text = text[0]
	}
	return in
}

func dialogFilter(operator string) dialog.ListFilter {
	return dialog.ListFilter{OperatorID: operator, Limit: 200}
}

func (e *env) finish(session string, op int) error {
	return e.s.Finish(ctx, store.Action{WorkspaceID: e.ws.ID, SessionID: session, UserID: e.ops[op]})
}
