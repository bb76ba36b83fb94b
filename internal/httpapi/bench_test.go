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
// (target ≤ 50 ms):
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
						if _, err := st.Ingest(ctx, dialog.Inbound{WorkspaceID: ws.ID, ChannelID: c.ID, LineID: c.LineID,
							Customer: dialog.Customer{ExternalID: fmt.Sprint("c", i), Name: "Customer"}, ExternalID: fmt.Sprint("m", i), Text: "Hello"}); err != nil {
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
				st.AddOperatorMessage(ctx, ws.ID, d.ID, admin.ID, "hi")
			}
			secret, hash, _ := user.NewSecret("olt_")
			st.CreateAPIToken(ctx, admin, "bench", hash, nil)
			h := httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}).Handler()
			for _, q := range []string{"", "status=queued", "line_id=" + chans[1].LineID, "channel_id=" + chans[2].ID, "operator_id=" + admin.ID,
				"status=waiting_client&line_id=" + chans[0].LineID, "from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z"} {
				name := q
				if name == "" {
					name = "all"
				}
				b.Run(name[:min(len(name), 20)], func(b *testing.B) {
					for b.Loop() {
						req := httptest.NewRequest("GET", "/api/v1/dialogs?limit=50&"+q, nil)
						req.Header.Set("Authorization", "Bearer "+secret)
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
