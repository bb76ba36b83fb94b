package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/workspace"
)

// What backup and restore refuse: an existing output, a file that is not
// a database, a backup of a newer schema, an existing database without
// replace, and PostgreSQL (pg_dump's work). Replacing removes the old WAL.
func TestBackupRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	st, err := store.Open(ctx, src, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.CreateWorkspace(ctx, "Kept", workspace.Basic)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "b.db")
	if v, err := st.Backup(ctx, out); err != nil || v != store.LatestSchemaVersion() {
		t.Fatalf("backup: %d %v", v, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if _, err := st.Backup(ctx, out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if _, err := store.BackupSQLite(ctx, "postgres://x@127.0.0.1/none", out+"2"); !errors.Is(err, store.ErrBackupPostgres) {
		t.Fatalf("backup of PostgreSQL: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database at all, just words"), 0o600)
	if _, err := store.RestoreSQLite(ctx, junk, filepath.Join(dir, "r1.db"), false); err == nil {
		t.Fatal("restored a file that is no database")
	}
	target := filepath.Join(dir, "r.db")
	if _, err := store.RestoreSQLite(ctx, out, target, false); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RestoreSQLite(ctx, out, target, false); err == nil {
		t.Fatal("restored over an existing database without replace")
	}
	os.WriteFile(target+"-wal", []byte("stale"), 0o600)
	if _, err := store.RestoreSQLite(ctx, out, target, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the replaced database's WAL is still there: %v", err)
	}
	r, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetWorkspace(ctx, ws.ID); err != nil || got.Name != "Kept" {
		t.Fatalf("restored workspace: %+v %v", got, err)
	}
	// A newer schema is copied, but this binary does not restore it.
	if err := r.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	if v, err := r.Backup(ctx, newer); err != nil || v != 9999 {
		t.Fatalf("backup of a newer schema: %d %v", v, err)
	}
	r.Close()
	var ns *store.NewerSchemaError
	if _, err := store.RestoreSQLite(ctx, newer, filepath.Join(dir, "r2.db"), false); !errors.As(err, &ns) {
		t.Fatalf("restore of a newer schema: %v", err)
	}
}
