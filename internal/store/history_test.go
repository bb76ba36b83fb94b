package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// listCustomers lists every dialog of f, a page of two at a time, as customers'
// external ids, sorted.
func listCustomers(t *testing.T, s *store.Store, wsID string, f dialog.ListFilter) []string {
	t.Helper()
	var got []string
	f.Limit = 2
	for {
		p, err := s.ListDialogs(ctx, wsID, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Dialogs {
			got = append(got, d.Customer.ExternalID)
		}
		if p.NextCursor == "" {
			break
		}
		f.Cursor = p.NextCursor
	}
	slices.Sort(got)
	return got
}

func TestHistoryFullText(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		texts := map[string]string{
			"c1": "Где мой заказ? Жду доставку",
			"c2": "My orders are late",
			"c3": "Ёлка не пришла",
			"c4": `=HYPERLINK("x")`,
			"c5": "Номер заказа 123",
		}
		dialogs := map[string]string{}
		for c, text := range texts {
			r, err := f.s.Ingest(ctx, f.inbound(c, "m-"+c, text))
			if err != nil {
				t.Fatal(err)
			}
			dialogs[c] = r.DialogID
		}
		op, err := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@acme.io", Name: "Op", Role: user.Administrator, Active: true, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		// An operator's message is searched too.
		if _, err := f.s.AddOperatorReply(ctx, f.ws.ID, dialogs["c2"], store.Writer{UserID: op.ID, MayIntercept: true}, "Ваш заказ отправлен"); err != nil {
			t.Fatal(err)
		}
		// Another workspace's dialog with the same words is never found.
		other, err := f.s.CreateWorkspace(ctx, "Other", workspace.Enterprise)
		if err != nil {
			t.Fatal(err)
		}
		ol, err := f.s.CreateLine(ctx, other.ID, "L", quiet())
		if err != nil {
			t.Fatal(err)
		}
		och, err := f.s.CreateChannel(ctx, channel.Channel{WorkspaceID: other.ID, LineID: ol.ID, Type: channel.TypeAPI, Name: "api"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Ingest(ctx, dialog.Inbound{WorkspaceID: other.ID, ChannelID: och.ID, LineID: ol.ID,
			Customer: dialog.Customer{ExternalID: "x1", Name: "X"}, ExternalID: "xm", Text: "заказ orders ёлка"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			text string
			want []string
		}{
			{"заказ", []string{"c1", "c2", "c5"}},
			{"ЗАКАЗ", []string{"c1", "c2", "c5"}},
			{"order", []string{"c2"}},
			{"orders", []string{"c2"}},
			{"елка", []string{"c3"}},
			{"ЁЛКА", []string{"c3"}},
			{"123", []string{"c5"}},
			{"late orders", []string{"c2"}},
			{"заказ late", nil},
			{"hyperlink", []string{"c4"}},
			{`"quoted`, nil},
			{"nothing-here", nil},
		} {
			words, err := dialog.ParseText("text", c.text)
			if err != nil {
				t.Fatal(err)
			}
			got := listCustomers(t, f.s, f.ws.ID, dialog.ListFilter{Text: strings.Join(words, " ")})
			if fmt.Sprint(got) != fmt.Sprint(c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("text %q: %v, want %v", c.text, got, c.want)
			}
		}
		// With the other filters and within a scope (the operator holds c2).
		if got := listCustomers(t, f.s, f.ws.ID, dialog.ListFilter{Text: "заказ", OperatorID: op.ID}); fmt.Sprint(got) != "[c2]" {
			t.Errorf("text and operator: %v", got)
		}
		scope := access.DialogScope{Me: op.ID, Holders: []string{op.ID}}
		if got := listCustomers(t, f.s, f.ws.ID, dialog.ListFilter{Text: "заказ", Scope: &scope}); fmt.Sprint(got) != "[c2]" {
			t.Errorf("text within the operator's scope: %v", got)
		}
		if got := listCustomers(t, f.s, f.ws.ID, dialog.ListFilter{Text: "заказ", Search: "c5"}); fmt.Sprint(got) != "[c5]" {
			t.Errorf("text and customer: %v", got)
		}
	})
}

func TestHistoryRatingFilter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := seedStats(t, engine)
		for rating, want := range map[string]string{
			"5": "[c1]", "any": "[c1]", "4": "[]", "like": "[]", "dislike": "[]", "none": "[c2 c3 c4 c5]",
		} {
			got := listCustomers(t, w.s, w.ws.ID, dialog.ListFilter{Rating: rating})
			if fmt.Sprint(got) != want && !(want == "[]" && len(got) == 0) {
				t.Errorf("rating %s: %v, want %s", rating, got, want)
			}
		}
	})
}
