package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

var ctx = context.Background()

// fixture is a workspace with one line and one api channel.
type fixture struct {
	s  *store.Store
	ws workspace.Workspace
	ln line.Line
	ch channel.Channel
}

func newFixture(t testing.TB, engine string, plan workspace.Plan) fixture {
	t.Helper()
	s := storetest.Open(t, engine, store.Options{})
	ws, err := s.CreateWorkspace(ctx, "Acme", plan)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.CreateLine(ctx, ws.ID, "Support", quiet())
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{s, ws, ln, ch}
}

// quiet is a line's default settings without auto-replies, so tests count
// only the messages they write.
func quiet() line.Settings {
	st := line.Defaults()
	st.WelcomeEnabled = false
	return st
}

func (f fixture) inbound(customer, ext, text string) dialog.Inbound {
	return dialog.Inbound{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, LineID: f.ln.ID,
		Customer: dialog.Customer{ExternalID: customer, Name: "Customer " + customer}, ExternalID: ext, Text: text}
}

func mustCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got error %v (code %q), want code %q", err, apperr.CodeOf(err), code)
	}
}

func TestPlanLimits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Free)
		_, err := f.s.CreateLine(ctx, f.ws.ID, "Second", quiet())
		mustCode(t, err, apperr.PlanLimit)
		if got := apperr.MessageOf(err); got != "the free plan allows 1 active line(s); upgrade the plan or deactivate a line" {
			t.Fatalf("message %q", got)
		}
		if _, err := f.s.SetPlan(ctx, f.ws.ID, workspace.Standard); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 5 {
			l, err := f.s.CreateLine(ctx, f.ws.ID, fmt.Sprintf("L%d", i), quiet())
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, l.ID)
		}
		off, err := f.s.SetPlan(ctx, f.ws.ID, workspace.Basic)
		if err != nil {
			t.Fatal(err)
		}
		// The oldest two (the fixture's line and L0) stay active.
		if fmt.Sprint(off) != fmt.Sprint(ids[1:]) {
			t.Fatalf("deactivated %v, want %v", off, ids[1:])
		}
		ls, _ := f.s.ListLines(ctx, f.ws.ID)
		if len(ls) != 6 || !ls[0].Active || !ls[1].Active || ls[2].Active {
			t.Fatalf("lines after downgrade: %+v", ls)
		}
		// Reactivating beyond the limit is refused; nothing changes.
		_, err = f.s.UpdateLine(ctx, f.ws.ID, ids[2], func(l *line.Line) error { l.Active = true; return nil })
		mustCode(t, err, apperr.PlanLimit)
		if l, _ := f.s.GetLine(ctx, f.ws.ID, ids[2]); l.Active {
			t.Fatal("line activated despite the plan limit")
		}
	})
}

func TestConcurrentLineCreateRespectsPlan(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine, store.Options{})
		ws, _ := s.CreateWorkspace(ctx, "Acme", workspace.Basic)
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.CreateLine(ctx, ws.ID, fmt.Sprint("L", i), quiet())
				if err == nil {
					mu.Lock()
					created++
					mu.Unlock()
				} else if apperr.CodeOf(err) != apperr.PlanLimit {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if created != 2 {
			t.Fatalf("created %d lines on the basic plan, want 2", created)
		}
	})
}

func TestUsersAndAuth(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		admin, err := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "a@x.io", Name: "A", Role: user.Administrator, Active: true, PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "a@x.io", Name: "B", Role: user.Manager, Active: true, PasswordHash: "h"})
		mustCode(t, err, apperr.Conflict) // 409: the e-mail is taken
		// The last administrator can be neither demoted nor deactivated.
		_, err = f.s.UpdateUser(ctx, f.ws.ID, admin.ID, func(u *user.User) error { u.Role = user.Manager; return nil })
		mustCode(t, err, apperr.Conflict)
		_, err = f.s.UpdateUser(ctx, f.ws.ID, admin.ID, func(u *user.User) error { u.Active = false; return nil })
		mustCode(t, err, apperr.Conflict)

		if _, err := f.s.CreateAuthSession(ctx, admin.ID, "hash1", time.Hour); err != nil {
			t.Fatal(err)
		}
		if u, err := f.s.UserBySession(ctx, "hash1"); err != nil || u.ID != admin.ID {
			t.Fatalf("session lookup: %v %v", u, err)
		}
		_, err = f.s.UserBySession(ctx, "nope")
		mustCode(t, err, apperr.Unauthorized)
		if _, err := f.s.CreateAuthSession(ctx, admin.ID, "expired", -time.Second); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.UserBySession(ctx, "expired")
		mustCode(t, err, apperr.Unauthorized)
		if err := f.s.DeleteAuthSession(ctx, "hash1"); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.UserBySession(ctx, "hash1")
		mustCode(t, err, apperr.Unauthorized)
	})
}

func TestIngestIdempotentAndSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		r1, err := f.s.Ingest(ctx, f.inbound("c1", "m1", "hello"))
		if err != nil || r1.Duplicate {
			t.Fatal(r1, err)
		}
		r2, err := f.s.Ingest(ctx, f.inbound("c1", "m1", "hello again?"))
		if err != nil || !r2.Duplicate || r2.MessageID != r1.MessageID || r2.DialogID != r1.DialogID || r2.SessionID != r1.SessionID || r2.CustomerID != r1.CustomerID {
			t.Fatalf("duplicate: %+v vs %+v (%v)", r2, r1, err)
		}
		r3, _ := f.s.Ingest(ctx, f.inbound("c1", "m2", "second"))
		if r3.Duplicate || r3.DialogID != r1.DialogID || r3.SessionID != r1.SessionID || r3.MessageID == r1.MessageID {
			t.Fatalf("second message: %+v", r3)
		}
		ms, err := f.s.ListMessages(ctx, f.ws.ID, r1.DialogID, "", 0)
		if err != nil || len(ms) != 2 || ms[0].Text != "hello" || ms[1].Text != "second" {
			t.Fatalf("messages %+v %v", ms, err)
		}
		// An operator reply moves the session to waiting_client; the customer's
		// next message puts it back to work.
		op, _ := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@x.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "h"})
		if _, err := f.s.UpdateLine(ctx, f.ws.ID, f.ln.ID, func(l *line.Line) error { l.Queue = []string{op.ID}; return nil }); err != nil {
			t.Fatal(err)
		}
		// Nothing offered it (no routing runs here): a supervisor's reply takes it.
		if _, err := f.s.AddOperatorReply(ctx, f.ws.ID, r1.DialogID, store.Writer{UserID: op.ID, MayIntercept: true}, "hi!"); err != nil {
			t.Fatal(err)
		}
		d, _ := f.s.GetDialog(ctx, f.ws.ID, r1.DialogID)
		if d.Status != dialog.StatusWaitingClient || !d.Session.Answered || d.Session.FirstResponseAt == nil || *d.OperatorID != op.ID {
			t.Fatalf("after reply: %+v %+v", d, d.Session)
		}
		if _, err := f.s.Ingest(ctx, f.inbound("c1", "m3", "thanks")); err != nil {
			t.Fatal(err)
		}
		d, _ = f.s.GetDialog(ctx, f.ws.ID, r1.DialogID)
		if d.Status != dialog.StatusInWork {
			t.Fatalf("after customer message: %s", d.Status)
		}
		// Another customer gets another dialog.
		r4, _ := f.s.Ingest(ctx, f.inbound("c2", "m1-of-c2", "hi"))
		if r4.DialogID == r1.DialogID || r4.CustomerID == r1.CustomerID {
			t.Fatalf("second customer shares the dialog: %+v", r4)
		}
	})
}

// Many goroutines delivering overlapping messages (each sent three times)
// end with exactly one row per external id.
func TestIngestConcurrentDuplicates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		const workers, perWorker = 16, 60
		var wg sync.WaitGroup
		ids := sync.Map{}
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					n := (w*perWorker + i) / 3 // each message id three times
					in := f.inbound(fmt.Sprint("c", n%7), fmt.Sprint("m", n), "text")
					r, err := f.s.Ingest(ctx, in)
					if err != nil {
						t.Error(err)
						return
					}
					if prev, loaded := ids.LoadOrStore(in.ExternalID, r.MessageID); loaded && prev != r.MessageID {
						t.Errorf("message %s stored twice: %s and %s", in.ExternalID, prev, r.MessageID)
					}
				}
			}()
		}
		wg.Wait()
		total := 0
		p, err := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Dialogs) != 7 {
			t.Fatalf("%d dialogs, want 7", len(p.Dialogs))
		}
		for _, d := range p.Dialogs {
			ms, _ := f.s.ListMessages(ctx, f.ws.ID, d.ID, "", 1000)
			total += len(ms)
		}
		if total != workers*perWorker/3 {
			t.Fatalf("%d messages stored, want %d", total, workers*perWorker/3)
		}
	})
}

func TestDialogListPagingAndFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 25 {
			in := f.inbound(fmt.Sprint("c", i), fmt.Sprint("m", i), "x")
			in.At = base.Add(time.Duration(i%5) * time.Minute) // ties on purpose
			if _, err := f.s.Ingest(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		var prev *dialog.Dialog
		cursor := ""
		pages := 0
		for {
			p, err := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Limit: 4, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for i := range p.Dialogs {
				d := p.Dialogs[i]
				if seen[d.ID] {
					t.Fatalf("dialog %s on two pages", d.ID)
				}
				seen[d.ID] = true
				if prev != nil && (d.LastMessageAt.After(prev.LastMessageAt) || (d.LastMessageAt.Equal(prev.LastMessageAt) && d.ID > prev.ID)) {
					t.Fatal("dialogs not newest first")
				}
				prev = &d
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if len(seen) != 25 || pages != 7 {
			t.Fatalf("saw %d dialogs in %d pages", len(seen), pages)
		}
		p, _ := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{From: base.Add(3 * time.Minute), To: base.Add(4 * time.Minute)})
		if len(p.Dialogs) != 5 {
			t.Fatalf("period filter: %d dialogs, want 5", len(p.Dialogs))
		}
		p, _ = f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Status: dialog.StatusQueued, LineID: f.ln.ID, ChannelID: f.ch.ID})
		if len(p.Dialogs) != 25 {
			t.Fatalf("status filter: %d", len(p.Dialogs))
		}
		p, _ = f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Status: dialog.StatusInWork})
		if len(p.Dialogs) != 0 {
			t.Fatalf("in_work filter: %d", len(p.Dialogs))
		}
		p, _ = f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Status: dialog.StatusOpen, Limit: 100})
		if len(p.Dialogs) != 25 || p.Dialogs[0].LastMessage == nil || p.Dialogs[0].LastMessage.Text != "x" || p.Dialogs[0].LastMessage.Direction != "in" {
			t.Fatalf("open filter / last message: %d %+v", len(p.Dialogs), p.Dialogs[0].LastMessage)
		}
		_, err := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Cursor: "garbage!"})
		mustCode(t, err, apperr.Invalid)
	})
}

func TestDeleteLineCascade(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		other, _ := f.s.CreateLine(ctx, f.ws.ID, "Sales", quiet())
		och, _ := f.s.CreateChannel(ctx, channel.Channel{WorkspaceID: f.ws.ID, LineID: other.ID, Type: channel.TypeAPI, Name: "api"})
		r, _ := f.s.Ingest(ctx, f.inbound("c1", "m1", "x"))
		// A widget channel of the line with a visitor: the visitor goes too.
		wch, err := f.s.CreateChannel(ctx, channel.Channel{WorkspaceID: f.ws.ID, LineID: f.ln.ID, Type: channel.TypeWidget, Name: "site"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateVisitor(ctx, store.Visitor{WorkspaceID: f.ws.ID, ChannelID: wch.ID, Customer: "v:1"}, "hash-of-a-visitor-token", dialog.Customer{Name: "Vera"}); err != nil {
			t.Fatal(err)
		}
		keep, _ := f.s.Ingest(ctx, dialog.Inbound{WorkspaceID: f.ws.ID, ChannelID: och.ID, LineID: other.ID, Customer: dialog.Customer{ExternalID: "c1"}, ExternalID: "m1", Text: "y"})

		// A refused confirmation changes nothing.
		err = f.s.DeleteLine(ctx, f.ws.ID, f.ln.ID, func(line.Line) error { return apperr.FieldError("confirm", "no") })
		mustCode(t, err, apperr.Invalid)
		if _, err := f.s.GetDialog(ctx, f.ws.ID, r.DialogID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteLine(ctx, f.ws.ID, f.ln.ID, func(line.Line) error { return nil }); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.GetDialog(ctx, f.ws.ID, r.DialogID)
		mustCode(t, err, apperr.NotFound)
		_, err = f.s.GetChannel(ctx, f.ws.ID, f.ch.ID)
		mustCode(t, err, apperr.NotFound)
		_, err = f.s.GetLine(ctx, f.ws.ID, f.ln.ID)
		mustCode(t, err, apperr.NotFound)
		_, err = f.s.VisitorByToken(ctx, "hash-of-a-visitor-token")
		mustCode(t, err, apperr.Unauthorized)
		if ms, err := f.s.ListMessages(ctx, f.ws.ID, keep.DialogID, "", 0); err != nil || len(ms) != 1 {
			t.Fatalf("the other line's dialog was touched: %v %v", ms, err)
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		s, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := s.CreateWorkspace(ctx, "Acme", workspace.Free)
		s.Close()
		s, err = store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got, err := s.GetWorkspace(ctx, ws.ID); err != nil || got != ws {
			t.Fatalf("after reopen: %+v %v, want %+v", got, err, ws)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v < 1 {
			t.Fatalf("schema version %d %v", v, err)
		}
	})
}
