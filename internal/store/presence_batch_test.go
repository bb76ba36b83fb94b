package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// TouchPresence does for many users in one transaction what a heartbeat
// does for one: first seen → online; an explicit status is kept; a stale
// online user who is back gives their lines room.
func TestTouchPresence(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		var mu sync.Mutex
		var evs []events.Event
		s := storetest.Open(t, engine, store.Options{Clock: clk, OnCommit: func(e []events.Event) {
			mu.Lock()
			evs = append(evs, e...)
			mu.Unlock()
		}})
		ws, err := s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
		if err != nil {
			t.Fatal(err)
		}
		mk := func(email string) user.User {
			u, err := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: email, Name: email, Role: user.Manager, Active: true, PasswordHash: "x"})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		fresh, away, stale := mk("fresh@a.test"), mk("away@a.test"), mk("stale@a.test")
		set := quiet()
		set.Queue = []string{fresh.ID, away.ID, stale.ID}
		ln, err := s.CreateLine(ctx, ws.ID, "Support", set)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPresence(ctx, ws.ID, away.ID, "away"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPresence(ctx, ws.ID, stale.ID, "online"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * store.OnlineWindow) // stale is no longer online
		mu.Lock()
		evs = nil
		mu.Unlock()
		refs := []store.UserRef{{fresh.ID, ws.ID}, {away.ID, ws.ID}, {stale.ID, ws.ID}}
		if err := s.TouchPresence(ctx, refs); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			u      user.User
			status string
			online bool
		}{{fresh, "online", true}, {away, "away", false}, {stale, "online", true}} {
			p, err := s.GetPresence(ctx, c.u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != c.status || p.Online != c.online || !p.LastSeen.Equal(clk.Now()) {
				t.Errorf("%s: %+v, want %s online=%v seen now", c.u.Email, p, c.status, c.online)
			}
		}
		room := map[string]bool{}
		mu.Lock()
		for _, e := range evs {
			if e.Type == events.Capacity && e.LineID == ln.ID {
				room[e.UserIDs[0]] = true
			}
		}
		mu.Unlock()
		if !room[fresh.ID] || !room[stale.ID] || room[away.ID] {
			t.Fatalf("capacity events for %v; want fresh and stale, not away", room)
		}
		// A second touch changes nothing but the time: no events.
		mu.Lock()
		evs = nil
		mu.Unlock()
		if err := s.TouchPresence(ctx, refs); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(evs) != 0 {
			t.Fatalf("a repeated touch emitted %v", evs)
		}
	})
}

// The inbound target is cached, but a change of its line is seen at once.
func TestInboundTargetFollowsLineChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		for _, want := range []bool{true, false, true} {
			if _, err := f.s.UpdateLine(ctx, f.ws.ID, f.ln.ID, func(l *line.Line) error { l.Active = want; return nil }); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second answer comes from the cache
				_, active, err := f.s.InboundTarget(ctx, f.ws.ID, f.ch.ID)
				if err != nil || active != want {
					t.Fatalf("line active=%v: target says %v (%v)", want, active, err)
				}
			}
		}
		if err := f.s.DeleteLine(ctx, f.ws.ID, f.ln.ID, func(line.Line) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.InboundTarget(ctx, f.ws.ID, f.ch.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("the channel of a deleted line: %v", err)
		}
	})
}
