package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// seedOld writes a workspace's rows with the columns of the first
// migration only (every later column has a default), as a release at
// schema version at left them: a workspace, an administrator, a line, an
// API channel, a customer, a dialog with its queued session and two
// messages, and from the outbox's migration (9) on, an answer waiting in it.
func seedOld(t *testing.T, ctx context.Context, s *store.Store, at int, hash string) {
	t.Helper()
	settings, _ := json.Marshal(line.Defaults())
	const t0 = 1_780_000_000_000_000
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO workspaces (id, name, plan, created_at) VALUES ('w1', 'Old Acme', 'enterprise', $1)`, []any{t0}},
		{`INSERT INTO users (id, workspace_id, email, name, role, password_hash, active, server_admin, created_at, updated_at)
			VALUES ('u1', 'w1', 'boss@old.test', 'Boss', 'administrator', $1, TRUE, TRUE, $2, $2)`, []any{hash, t0}},
		{`INSERT INTO lines (id, workspace_id, name, active, settings, created_at, updated_at) VALUES ('l1', 'w1', 'Support', TRUE, $1, $2, $2)`, []any{string(settings), t0}},
		{`INSERT INTO line_queue (line_id, user_id, position) VALUES ('l1', 'u1', 0)`, nil},
		{`INSERT INTO channels (id, workspace_id, line_id, type, name, active, created_at) VALUES ('c1', 'w1', 'l1', 'api', 'site', TRUE, $1)`, []any{t0}},
		{`INSERT INTO customers (id, workspace_id, channel_id, external_id, name, created_at) VALUES ('k1', 'w1', 'c1', 'cust-7', 'Zinaida Oldtimer', $1)`, []any{t0}},
		{`INSERT INTO dialogs (id, workspace_id, line_id, channel_id, customer_id, status, operator_id, session_id, created_at, last_message_at)
			VALUES ('d1', 'w1', 'l1', 'c1', 'k1', 'in_work', 'u1', 's1', $1, $2)`, []any{t0, t0 + 2}},
		{`INSERT INTO sessions (id, workspace_id, dialog_id, line_id, status, operator_id, answered, opened_at, first_response_at)
			VALUES ('s1', 'w1', 'd1', 'l1', 'in_work', 'u1', TRUE, $1, $2)`, []any{t0, t0 + 2}},
		{`INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at)
			VALUES ('m1', 'w1', 'd1', 's1', 'c1', 'in', NULL, 'ext-1', 'my order is late', $1)`, []any{t0 + 1}},
		{`INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at)
			VALUES ('m2', 'w1', 'd1', 's1', 'c1', 'out', 'u1', NULL, 'looking into it', $1)`, []any{t0 + 2}},
	}
	if at >= 9 {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{`INSERT INTO outbox (message_id, workspace_id, channel_id, dialog_id, state, next_at, give_up_at, created_at, updated_at)
			VALUES ('m2', 'w1', 'c1', 'd1', 'sent', $1, $2, $1, $1)`, []any{t0 + 2, t0 + 3_600_000_000}})
	}
	for _, st := range stmts {
		if err := s.Exec(ctx, st.q, st.args...); err != nil {
			t.Fatalf("seed at schema %d: %v\n%s", at, err, st.q)
		}
	}
}

// Every migration is applied to the schema the release before it left,
// with that release's rows in it: the rows survive, the store reads them
// (the customer search a later migration backfilled finds the old
// customer), a sign-in's password still checks, and the old dialog takes
// the customer's next message.
func TestUpgradeFromEachPreviousSchema(t *testing.T) {
	hash, err := user.HashPassword("an old password")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, engine string) {
		versions := store.MigrationVersions()
		for _, to := range versions[1:] {
			from := to - 1
			t.Run(fmt.Sprintf("from_%04d", from), func(t *testing.T) {
				ctx := context.Background()
				dsn := storetest.DSN(t, engine)
				old, err := store.OpenAt(ctx, dsn, from)
				if err != nil {
					t.Fatal(err)
				}
				seedOld(t, ctx, old, from, hash)
				old.CloseRaw()

				st, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatalf("upgrade from schema %d: %v", from, err)
				}
				defer st.Close()
				if v, _ := st.SchemaVersion(ctx); v != store.LatestSchemaVersion() {
					t.Fatalf("schema version %d after the upgrade, want %d", v, store.LatestSchemaVersion())
				}
				ws, err := st.GetWorkspace(ctx, "w1")
				if err != nil || ws.Name != "Old Acme" {
					t.Fatalf("workspace: %+v %v", ws, err)
				}
				u, err := st.UserByEmail(ctx, "boss@old.test")
				if err != nil || !u.ServerAdmin {
					t.Fatalf("user: %+v %v", u, err)
				}
				if !user.CheckPassword(u.PasswordHash, "an old password") {
					t.Fatal("the old password no longer checks")
				}
				if _, err := st.GetLine(ctx, "w1", "l1"); err != nil {
					t.Fatalf("line: %v", err)
				}
				q, err := dialog.ParseSearch("q", "Zinaida")
				if err != nil {
					t.Fatal(err)
				}
				page, err := st.ListDialogs(ctx, "w1", dialog.ListFilter{Search: q, Limit: 10})
				if err != nil || len(page.Dialogs) != 1 || page.Dialogs[0].ID != "d1" {
					t.Fatalf("search for the old customer: %+v %v", page, err)
				}
				ms, err := st.ListMessages(ctx, "w1", "d1", "", 10)
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				for _, m := range ms {
					texts = append(texts, m.Text)
				}
				if got := strings.Join(texts, "|"); got != "my order is late|looking into it" {
					t.Fatalf("messages after the upgrade: %q", got)
				}
				res, err := st.Ingest(ctx, dialog.Inbound{WorkspaceID: "w1", ChannelID: "c1", LineID: "l1",
					Customer: dialog.Customer{ExternalID: "cust-7"}, ExternalID: "ext-2", Text: "any news?"})
				if err != nil || res.DialogID != "d1" || res.Duplicate {
					t.Fatalf("the next message: %+v %v", res, err)
				}
				if res, err := st.Ingest(ctx, dialog.Inbound{WorkspaceID: "w1", ChannelID: "c1", LineID: "l1",
					Customer: dialog.Customer{ExternalID: "cust-7"}, ExternalID: "ext-1", Text: "my order is late"}); err != nil || !res.Duplicate {
					t.Fatalf("the old message again is not a duplicate: %+v %v", res, err)
				}
			})
		}
	})
}

// A binary refuses a database a newer OpenLines migrated, naming both
// schema versions, and leaves it as it was.
func TestRefusesNewerSchema(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, engine)
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		latest := store.LatestSchemaVersion()
		future := latest + 7
		if err := st.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, future); err != nil {
			t.Fatal(err)
		}
		st.Close()
		_, err = store.Open(ctx, dsn, store.Options{})
		var newer *store.NewerSchemaError
		if !errors.As(err, &newer) || newer.Database != future || newer.Binary != latest {
			t.Fatalf("open a newer schema: %v", err)
		}
		for _, want := range []string{fmt.Sprintf("schema version %d", future), fmt.Sprintf("this binary's %d", latest)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
	})
}
