package store_test

import (
	"slices"
	"testing"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// TestDialogSearch: the list's q finds customers by name and external id,
// ignoring case in Latin and Cyrillic (ё as е), combined with the other
// filters and within a caller's scope, and follows a customer's rename.
func TestDialogSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		ch2, err := f.s.CreateChannel(ctx, channel.Channel{WorkspaceID: f.ws.ID, LineID: f.ln.ID, Type: channel.TypeAPI, Name: "second"})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{} // customer name → dialog id
		for i, c := range []struct{ ch, ext, name string }{
			{f.ch.ID, "tg-100", "John Smith"},
			{f.ch.ID, "tg-200", "Пётр Иванов"},
			{ch2.ID, "MAIL-300", "ИВАНОВА Анна"},
			{ch2.ID, "x_1%", "Bob"},
		} {
			res, err := f.s.Ingest(ctx, dialog.Inbound{WorkspaceID: f.ws.ID, ChannelID: c.ch, LineID: f.ln.ID,
				Customer: dialog.Customer{ExternalID: c.ext, Name: c.name}, ExternalID: "m" + string(rune('a'+i)), Text: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			ids[c.name] = res.DialogID
		}
		find := func(lf dialog.ListFilter) []string {
			t.Helper()
			p, err := f.s.ListDialogs(ctx, f.ws.ID, lf)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range p.Dialogs {
				got = append(got, d.Customer.Name)
			}
			slices.Sort(got)
			return got
		}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"smith", []string{"John Smith"}},
			{"JOHN S", []string{"John Smith"}},
			{"иванов", []string{"ИВАНОВА Анна", "Пётр Иванов"}},
			{"ИВАНОВА", []string{"ИВАНОВА Анна"}},
			{"петр", []string{"Пётр Иванов"}}, // ё as е
			{"ПЁТР", []string{"Пётр Иванов"}},
			{"mail-3", []string{"ИВАНОВА Анна"}}, // external id, any case
			{"TG-", []string{"John Smith", "Пётр Иванов"}},
			{"%", []string{"Bob"}}, // LIKE's wildcards are literal
			{"_", []string{"Bob"}},
			{"nobody", nil},
		} {
			if got := find(dialog.ListFilter{Search: c.q}); !slices.Equal(got, c.want) {
				t.Errorf("q=%q: %v, want %v", c.q, got, c.want)
			}
			// The other way, for a term more customers match than are
			// looked up by customer: the same answer.
			restore := store.SetSearchHitsMax(0)
			if got := find(dialog.ListFilter{Search: c.q}); !slices.Equal(got, c.want) {
				t.Errorf("q=%q walking the dialogs: %v, want %v", c.q, got, c.want)
			}
			restore()
		}
		// Combined with filters.
		if got := find(dialog.ListFilter{Search: "иванов", ChannelID: ch2.ID}); !slices.Equal(got, []string{"ИВАНОВА Анна"}) {
			t.Errorf("q + channel: %v", got)
		}
		if got := find(dialog.ListFilter{Search: "иванов", Status: dialog.StatusClosed}); got != nil {
			t.Errorf("q + status closed: %v", got)
		}
		if got := find(dialog.ListFilter{Search: "иванов", Status: dialog.StatusOpen, LineID: f.ln.ID}); len(got) != 2 {
			t.Errorf("q + open + line: %v", got)
		}
		// A rename is found by its new name only.
		if _, err := f.s.Ingest(ctx, dialog.Inbound{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, LineID: f.ln.ID,
			Customer: dialog.Customer{ExternalID: "tg-100", Name: "Jane Doe"}, ExternalID: "m-rename", Text: "new name"}); err != nil {
			t.Fatal(err)
		}
		if got := find(dialog.ListFilter{Search: "smith"}); got != nil {
			t.Errorf("old name still found: %v", got)
		}
		if got := find(dialog.ListFilter{Search: "jane"}); !slices.Equal(got, []string{"Jane Doe"}) {
			t.Errorf("new name: %v", got)
		}
		// Within a caller's scope (own): only the dialogs they hold.
		op, err := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@acme.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddOperatorReply(ctx, f.ws.ID, ids["Пётр Иванов"], store.Writer{UserID: op.ID, MayIntercept: true}, "hello"); err != nil {
			t.Fatal(err)
		}
		own := &access.DialogScope{Holders: []string{op.ID}, Me: op.ID}
		if got := find(dialog.ListFilter{Search: "иванов", Scope: own}); !slices.Equal(got, []string{"Пётр Иванов"}) {
			t.Errorf("own scope: %v", got)
		}
		if got := find(dialog.ListFilter{Search: "jane", Scope: own}); got != nil {
			t.Errorf("own scope finds another's dialog: %v", got)
		}
		// Another workspace's customers are never found.
		ws2, _ := f.s.CreateWorkspace(ctx, "Other", workspace.Enterprise)
		if p, err := f.s.ListDialogs(ctx, ws2.ID, dialog.ListFilter{Search: "иванов"}); err != nil || len(p.Dialogs) != 0 {
			t.Errorf("other workspace: %v %v", p.Dialogs, err)
		}
	})
}

// TestListSessions: a dialog's sessions, the latest first, with their
// operators and times; an unknown dialog is not found.
func TestListSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		op, _ := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@acme.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "x"})
		res, err := f.s.Ingest(ctx, f.inbound("c1", "m1", "first"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddOperatorReply(ctx, f.ws.ID, res.DialogID, store.Writer{UserID: op.ID, MayIntercept: true}, "hi"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Spam(ctx, store.Action{WorkspaceID: f.ws.ID, SessionID: res.SessionID, UserID: op.ID}); err != nil {
			t.Fatal(err)
		}
		res2, err := f.s.Ingest(ctx, f.inbound("c1", "m2", "again"))
		if err != nil {
			t.Fatal(err)
		}
		if res2.SessionID == res.SessionID {
			t.Fatal("no new session after spam")
		}
		ss, err := f.s.ListSessions(ctx, f.ws.ID, res.DialogID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != 2 || ss[0].ID != res2.SessionID || ss[1].ID != res.SessionID {
			t.Fatalf("sessions %+v", ss)
		}
		if ss[0].Status != dialog.StatusQueued || ss[0].ClosedAt != nil || ss[0].OperatorID != nil {
			t.Errorf("open session %+v", ss[0])
		}
		if ss[1].Status != dialog.StatusSpam || ss[1].ClosedAt == nil || ss[1].OperatorID == nil || *ss[1].OperatorID != op.ID || ss[1].FirstResponseAt == nil {
			t.Errorf("closed session %+v", ss[1])
		}
		if one, _ := f.s.ListSessions(ctx, f.ws.ID, res.DialogID, 1); len(one) != 1 || one[0].ID != res2.SessionID {
			t.Errorf("limit 1: %+v", one)
		}
		_, err = f.s.ListSessions(ctx, f.ws.ID, "01900000-0000-7000-8000-000000000000", 0)
		mustCode(t, err, apperr.NotFound)
		ws2, _ := f.s.CreateWorkspace(ctx, "Other", workspace.Enterprise)
		_, err = f.s.ListSessions(ctx, ws2.ID, res.DialogID, 0)
		mustCode(t, err, apperr.NotFound)
	})
}
