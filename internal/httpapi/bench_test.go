package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// BenchmarkDialogList100k: the first page of the dialog list of a workspace
// with 100,000 dialogs over 4 lines, through the HTTP handler (server time:
// authentication, query, JSON), unfiltered and with each indexed filter
// (target ≤ 50 ms), and for callers whose scope narrows it in SQL (target
// ≤ 15 ms): a manager holding 2,000 dialogs (own scope), one holding 100,
// and the head of their team of five (team scope, 2,400 dialogs); and the
// search (q) by customer name or external id (target ≤ 50 ms):
//
//	go test -run '^$' -bench DialogList100k -benchtime 200x ./internal/httpapi/
func BenchmarkDialogList100k(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st := storetest.Open(b, engine, store.Options{})
			ws, _ := st.CreateWorkspace(ctx, "Big", workspace.Enterprise)
			admin, _ := st.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "a@big.io", Name: "A", Role: user.Administrator, Active: true, PasswordHash: "x"})
			set := line.Defaults()
			set.WelcomeEnabled = false
			var chans []channel.Channel
			for i := range 4 {
				l, _ := st.CreateLine(ctx, ws.ID, fmt.Sprint("Line ", i), set)
				c, _ := st.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: l.ID, Type: channel.TypeAPI, Name: "api"})
				chans = append(chans, c)
			}
			const total = 100_000
			var wg sync.WaitGroup
			for w := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < total; i += 64 {
						c := chans[i%4]
						name := "Customer"
						if i%1000 == 500 { // 100 customers the search below finds by a Cyrillic name
							name = "Пётр Иванов"
						}
						if _, err := st.Ingest(ctx, dialog.Inbound{WorkspaceID: ws.ID, ChannelID: c.ID, LineID: c.LineID,
							Customer: dialog.Customer{ExternalID: fmt.Sprint("c", i), Name: name}, ExternalID: fmt.Sprint("m", i), Text: "Hello"}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			// Some dialogs held by the admin, so the operator filter has rows.
			p, _ := st.ListDialogs(ctx, ws.ID, dialog.ListFilter{Limit: 200})
			for _, d := range p.Dialogs[:100] {
				if _, err := st.AddOperatorReply(ctx, ws.ID, d.ID, store.Writer{UserID: admin.ID, MayIntercept: true}, "hi"); err != nil {
					b.Fatal(err)
				}
			}
			token := func(u user.User) string {
				secret, hash, _ := user.NewSecret("olt_")
				st.CreateAPIToken(ctx, u, "bench", hash, nil)
				return secret
			}
			secret := token(admin)
			// The team: five managers and their head (a custom role with
			// dialogs.view at team scope).
			role, err := st.CreateRole(ctx, ws.ID, "Head", access.Grants{access.DialogsView: access.Team})
			if err != nil {
				b.Fatal(err)
			}
			head, _ := st.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "head@big.io", Name: "Head", Role: user.Role(role.Key), Active: true, PasswordHash: "x"})
			team := access.Department{Name: "Team", Members: []access.TeamMember{{UserID: head.ID, Head: true}}}
			var mgrs []user.User
			for i, n := range []int{2000, 100, 100, 100, 100} {
				m, _ := st.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: fmt.Sprint("m", i, "@big.io"), Name: "M", Role: user.Manager, Active: true, PasswordHash: "x"})
				mgrs = append(mgrs, m)
				team.Members = append(team.Members, access.TeamMember{UserID: m.ID})
				for cursor := ""; n > 0; {
					p, err := st.ListDialogs(ctx, ws.ID, dialog.ListFilter{Limit: 200, Cursor: cursor, Status: dialog.StatusQueued})
					if err != nil || len(p.Dialogs) == 0 {
						b.Fatal("not enough queued dialogs", err)
					}
					for _, d := range p.Dialogs[:min(n, len(p.Dialogs))] {
						if _, err := st.AddOperatorReply(ctx, ws.ID, d.ID, store.Writer{UserID: m.ID, MayIntercept: true}, "hi"); err != nil {
							b.Fatal(err)
						}
						if n > 500 { // history: closed as spam, still the manager's (an operator may hold 1,000 open)
							if err := st.Spam(ctx, store.Action{WorkspaceID: ws.ID, SessionID: d.Session.ID, UserID: m.ID}); err != nil {
								b.Fatal(err)
							}
						}
						n--
					}
					cursor = p.NextCursor
				}
			}
			if _, err := st.CreateTeam(ctx, ws.ID, team); err != nil {
				b.Fatal(err)
			}
			callers := map[string]string{"admin": secret, "manager2000": token(mgrs[0]), "manager100": token(mgrs[1]), "teamhead": token(head)}
			h := httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}).Handler()
			type probe struct{ who, q string }
			var probes []probe
			for _, q := range []string{"", "status=queued", "line_id=" + chans[1].LineID, "channel_id=" + chans[2].ID, "operator_id=" + admin.ID,
				"status=waiting_client&line_id=" + chans[0].LineID, "from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z",
				// The search (q): a term every customer matches, one that 100
				// match (Cyrillic, another case), an external id that one
				// matches, one nobody matches (the whole workspace's keys read),
				// and a rare term with a filter.
				"q=customer", "q=%D0%98%D0%92%D0%90%D0%9D%D0%9E%D0%92", "q=c99999", "q=nobody", "q=%D0%B8%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2&status=queued"} {
				probes = append(probes, probe{"admin", q})
			}
			for _, who := range []string{"manager2000", "manager100", "teamhead"} {
				probes = append(probes, probe{who, ""}, probe{who, "status=open"}, probe{who, "line_id=" + chans[1].LineID})
			}
			probes = append(probes, probe{"manager2000", "q=customer"}, probe{"manager2000", "q=nobody"}, probe{"teamhead", "q=nobody"})
			for _, pr := range probes {
				q := pr.q
				name := q
				if name == "" {
					name = "all"
				}
				if pr.who != "admin" {
					name = pr.who + "/" + name
				}
				b.Run(name[:min(len(name), 32)], func(b *testing.B) {
					for b.Loop() {
						req := httptest.NewRequest("GET", "/api/v1/dialogs?limit=50&"+q, nil)
						req.Header.Set("Authorization", "Bearer "+callers[pr.who])
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("%d %s", rec.Code, rec.Body.String())
						}
					}
				})
			}
		})
	}
}
