package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// Every start of the demo replaces its customers' API token instead of
// adding one, and the demo lines offer dialogs only to available operators.
func TestDemoRestartKeepsOneToken(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "demo.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var secrets []string
	for range 3 { // the first start and two restarts
		st, err := Start(ctx, db, StackOptions{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		secret, channels, err := seedDemo(ctx, st)
		if err != nil {
			st.Close()
			t.Fatal(err)
		}
		if len(channels) != len(demoLines) {
			t.Errorf("%d channels, want %d", len(channels), len(demoLines))
		}
		secrets = append(secrets, secret)
		st.Close()
	}
	st, err := Start(ctx, db, StackOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.Store.UserByEmail(ctx, "admin@demo.local")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := st.Store.ListAPITokens(ctx, admin.WorkspaceID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 || toks[0].Name != demoTokenName {
		t.Fatalf("after two restarts the demo administrator has tokens %+v, want one %q", toks, demoTokenName)
	}
	if secrets[0] == secrets[2] {
		t.Fatal("the token was not rotated")
	}
	lines, err := st.Store.ListLines(ctx, admin.WorkspaceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !l.CheckAvailable {
			t.Errorf("demo line %s offers to offline operators (check_available is off)", l.Name)
		}
	}
}
