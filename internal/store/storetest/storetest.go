// Package storetest opens fresh stores on every engine for tests: SQLite
// always, PostgreSQL when OPENLINES_TEST_POSTGRES holds a DSN. Under CI
// (CI=true) a missing DSN fails the test instead of skipping PostgreSQL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/openlines/openlines/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test DSN.
const EnvPostgres = "OPENLINES_TEST_POSTGRES"

// Engines returns the engines this run tests.
func Engines(t testing.TB) []string {
	t.Helper()
	engines := []string{store.SQLite}
	if os.Getenv(EnvPostgres) != "" {
		engines = append(engines, store.Postgres)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is not set: the PostgreSQL suite must run in CI", EnvPostgres)
	}
	return engines
}

// Run runs f as one subtest per engine.
func Run(t *testing.T, f func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}

// DSN returns the DSN of a fresh, empty database on engine: a file in a
// temporary directory, or a new schema of the PostgreSQL test database
// (dropped when the test ends).
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == store.SQLite {
		return filepath.Join(t.TempDir(), "openlines.db")
	}
	schema := "t_" + randomName()
	return onTestServer(t, "CREATE SCHEMA "+schema, "DROP SCHEMA "+schema+" CASCADE", func(u *url.URL) {
		qv := u.Query()
		qv.Set("search_path", schema)
		u.RawQuery = qv.Encode()
	})
}

// Open opens a fresh, migrated store on engine, closed when the test ends.
func Open(t testing.TB, engine string, opt store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), DSN(t, engine), opt)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OwnDatabase creates a fresh PostgreSQL database on the test server and
// returns its DSN; it is dropped when the test ends. Tests that read
// database-wide statistics (pg_stat_database) use one so that other
// packages running at the same time do not show in them.
func OwnDatabase(t testing.TB) string {
	t.Helper()
	name := "ol_" + randomName()
	return onTestServer(t, "CREATE DATABASE "+name, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", func(u *url.URL) { u.Path = "/" + name })
}

// onTestServer runs create on the PostgreSQL test server, and drop when the
// test ends, and returns the server's DSN as edit changes it.
func onTestServer(t testing.TB, create, drop string, edit func(*url.URL)) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("%s is not set", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	admin := adminExec(t, base, create)
	t.Cleanup(func() {
		admin.Exec(drop)
		admin.Close()
	})
	edit(u)
	return u.String()
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// adminExec runs a statement on the test server and returns the open
// connection pool for the caller's cleanup.
func adminExec(t testing.TB, dsn, stmt string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, stmt); err != nil {
		admin.Close()
		t.Fatalf("%s: %v", stmt, err)
	}
	return admin
}
