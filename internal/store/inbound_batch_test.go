package store_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// Many customers write at once — follow-ups in open sessions, each sent
// twice concurrently, renamed customers, new customers — so that batches
// mix messages that change nothing (PostgreSQL writes those together) with
// the rest: every message is stored once, a repeat gets the first ids, and
// each dialog holds its messages in order.
func TestConcurrentInboundBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		const customers, perCustomer = 40, 12
		first := map[string]dialog.InboundResult{}
		for c := range customers {
			r, err := f.s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-0"), "hello"))
			if err != nil {
				t.Fatal(err)
			}
			first[fmt.Sprint("c", c)] = r
		}
		type sent struct {
			ext string
			res dialog.InboundResult
		}
		var mu sync.Mutex
		got := map[string][]dialog.InboundResult{}
		var wg sync.WaitGroup
		for c := range customers + 8 { // the last 8 are new customers
			for copy := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for m := 1; m <= perCustomer; m++ {
						in := f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-", m), fmt.Sprint("message ", m))
						if c%7 == 0 && m == 5 {
							in.Customer.Name = "Renamed " + fmt.Sprint(c, copy)
						}
						r, err := f.s.Ingest(ctx, in)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got[in.ExternalID] = append(got[in.ExternalID], r)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for ext, rs := range got {
			if len(rs) != 2 {
				t.Fatalf("%s: %d answers", ext, len(rs))
			}
			a, b := rs[0], rs[1]
			if a.MessageID != b.MessageID || a.DialogID != b.DialogID || a.SessionID != b.SessionID || a.Duplicate == b.Duplicate {
				t.Fatalf("%s sent twice: %+v and %+v; want the same ids, one of them a duplicate", ext, a, b)
			}
		}
		for c := range customers + 8 {
			name := fmt.Sprint("c", c)
			dialogID := got[fmt.Sprint(name, "-1")][0].DialogID
			if r, ok := first[name]; ok && r.DialogID != dialogID {
				t.Fatalf("%s: a second dialog", name)
			}
			ms, err := f.s.ListMessages(ctx, f.ws.ID, dialogID, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			want := perCustomer
			if _, ok := first[name]; ok {
				want++
			}
			var texts []string
			for _, m := range ms {
				if m.Kind == dialog.KindText && m.Direction == dialog.In {
					texts = append(texts, m.Text)
				}
			}
			if len(texts) != want {
				t.Fatalf("%s: %d customer messages stored, want %d: %v", name, len(texts), want, texts)
			}
		}
	})
}

// Customers keep writing to sessions in work: while their operator still
// serves them the messages change nothing (and PostgreSQL writes them as a
// batch); once the operator is offline, the next message returns each
// session to the queue (SPEC §5).
func TestInboundToSessionsInWork(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		op, err := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@x.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UpdateLine(ctx, f.ws.ID, f.ln.ID, func(l *line.Line) error {
			l.Queue, l.CheckAvailable = []string{op.ID}, true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetPresence(ctx, f.ws.ID, op.ID, "online"); err != nil {
			t.Fatal(err)
		}
		const customers = 20
		dialogs := make([]string, customers)
		for c := range customers {
			r, err := f.s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-0"), "hello"))
			if err != nil {
				t.Fatal(err)
			}
			dialogs[c] = r.DialogID
			if _, err := f.s.AddOperatorReply(ctx, f.ws.ID, r.DialogID, store.Writer{UserID: op.ID, MayIntercept: true}, "hi"); err != nil {
				t.Fatal(err)
			}
		}
		write := func(round int) {
			var wg sync.WaitGroup
			for c := range customers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for m := range 5 {
						if _, err := f.s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-", round, "-", m), "more")); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
		}
		write(1)
		for _, id := range dialogs {
			d, err := f.s.GetDialog(ctx, f.ws.ID, id)
			if err != nil || d.Status != dialog.StatusInWork || d.OperatorID == nil || *d.OperatorID != op.ID {
				t.Fatalf("while the operator serves: %+v %v", d, err)
			}
		}
		if _, err := f.s.SetPresence(ctx, f.ws.ID, op.ID, "offline"); err != nil {
			t.Fatal(err)
		}
		write(2)
		for _, id := range dialogs {
			d, err := f.s.GetDialog(ctx, f.ws.ID, id)
			if err != nil || d.Status != dialog.StatusQueued || d.OperatorID != nil {
				t.Fatalf("after the operator went offline: %+v %v", d, err)
			}
			ms, _ := f.s.ListMessages(ctx, f.ws.ID, id, "", 1000)
			in, requeued := 0, 0
			for _, m := range ms {
				if m.Direction == dialog.In {
					in++
				}
				if m.Kind == dialog.KindEvent && m.Event != nil && m.Event.Code == "requeued" && m.Event.Params["reason"] == "operator_unavailable" {
					requeued++
				}
			}
			if in != 11 || requeued != 1 {
				t.Fatalf("dialog %s: %d customer messages (want 11), %d requeue events (want 1)", id, in, requeued)
			}
		}
	})
}

// Customers write concurrently to sessions that stay as they are — queued
// and offered to two operators at once, or in work with a supervisor who
// joined — so PostgreSQL writes them as batches that read the audience
// with the state: every message.created names who holds, is offered or
// joined its session, exactly as the audience query does.
func TestAudienceOfUnchangedSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		var mu sync.Mutex
		var evs []events.Event
		s := storetest.Open(t, engine, store.Options{OnCommit: func(e []events.Event) {
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
			if _, err := s.SetPresence(ctx, ws.ID, u.ID, "online"); err != nil {
				t.Fatal(err)
			}
			return u
		}
		a, b, sup := mk("a@a.test"), mk("b@a.test"), mk("sup@a.test")
		set := quiet()
		set.Mode, set.Queue, set.CheckAvailable = line.ModeAll, []string{a.ID, b.ID}, true
		ln, err := s.CreateLine(ctx, ws.ID, "Support", set)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
		if err != nil {
			t.Fatal(err)
		}
		f := fixture{s, ws, ln, ch}
		const customers = 16
		want := map[string][2]string{} // session → holders, audience (sorted, joined by ",")
		ab := strings.Join(sortedIDs(a.ID, b.ID), ",")
		for c := range customers {
			r, err := s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-0"), "hello"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Distribute(ctx, ln.ID); err != nil {
				t.Fatal(err)
			}
			want[r.SessionID] = [2]string{"", ab}
			if c%2 == 1 {
				if err := s.Take(ctx, ws.ID, r.SessionID, a.ID); err != nil {
					t.Fatal(err)
				}
				if err := s.Join(ctx, store.Action{WorkspaceID: ws.ID, SessionID: r.SessionID, UserID: sup.ID}); err != nil {
					t.Fatal(err)
				}
				want[r.SessionID] = [2]string{a.ID, strings.Join(sortedIDs(a.ID, sup.ID), ",")}
			}
		}
		mu.Lock()
		evs = nil
		mu.Unlock()
		before := s.FastIngested()
		var wg sync.WaitGroup
		for c := range customers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for m := 1; m <= 10; m++ {
					if _, err := s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-", m), "more")); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if engine == store.Postgres && s.FastIngested() == before {
			t.Fatal("no message took the batch path: the test checks nothing there")
		}
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ev := range evs {
			if ev.Type != events.MessageCreated {
				continue
			}
			n++
			w, ok := want[ev.SessionID]
			if !ok {
				t.Fatalf("a message of an unknown session %s", ev.SessionID)
			}
			if got := [2]string{strings.Join(ev.Holders, ","), strings.Join(ev.Audience, ",")}; got != w {
				t.Fatalf("session %s: holders, audience = %q, want %q", ev.SessionID, got, w)
			}
		}
		if n != customers*10 {
			t.Fatalf("%d message.created events, want %d", n, customers*10)
		}
	})
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}
