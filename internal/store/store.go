// Package store is the only package that speaks SQL. One Store API runs on
// two engines: SQLite (modernc.org/sqlite, the embedded default) and
// PostgreSQL (pgx/v5 through database/sql). Statements are written in the
// SQL both engines share; the few engine-specific bits live in dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
)

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	Clock clock.Clock // nil: the real clock
	// MaxBatch bounds how many inbound messages one transaction commits.
	MaxBatch int
	// OnCommit receives the events of every committed transaction, in the
	// committing goroutine, after the commit. It must not block for long.
	OnCommit func([]events.Event)
}

// Store is the storage of one OpenLines server.
type Store struct {
	engine   string
	write    *sql.DB // SQLite: the one write connection; PostgreSQL: the pool
	read     *sql.DB // SQLite: a read-only pool; PostgreSQL: the same pool
	path     string  // SQLite: the database file (for Backup)
	clock    clock.Clock
	onCommit func([]events.Event)
	// fastIngested counts the customer messages written by ingestFast.
	fastIngested atomic.Int64

	stmts    map[*query]*sql.Stmt // every registered query, prepared at open
	settings settingsCache
	targets  targetCache

	ingest *ingester
}

// Open opens the database named by dsn: a postgres:// or postgresql:// URL,
// or else a SQLite file path (its directory is created). It applies pending
// migrations before returning.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	s, err := open(ctx, dsn, opt)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.ingest = startIngester(s, opt.MaxBatch)
	return s, nil
}

// withConnectTimeout bounds how long a new PostgreSQL connection may take
// (5 s unless the DSN says otherwise), so that a database that does not
// answer turns into a prompt 503 instead of a request hanging on a dial.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("connect_timeout") {
		return dsn
	}
	qv := u.Query()
	qv.Set("connect_timeout", "5")
	u.RawQuery = qv.Encode()
	return u.String()
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	s := &Store{clock: opt.Clock, onCommit: opt.OnCommit, stmts: map[*query]*sql.Stmt{}}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if IsPostgresDSN(dsn) {
		s.engine = Postgres
		db, err := sql.Open("pgx", withConnectTimeout(dsn))
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
		db.SetMaxIdleConns(max(8, 4*runtime.NumCPU()))
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.write, s.read = db, db
	} else {
		s.engine, s.path = SQLite, dsn
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		common := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
		w, err := sql.Open("sqlite", "file:"+url.PathEscape(dsn)+"?"+common+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", "file:"+url.PathEscape(dsn)+"?"+common+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
		r.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
		s.write, s.read = w, r
	}
	if err := s.write.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("connect to %s database: %w", s.engine, err)
	}
	return s, nil
}

// prepare prepares every registered query on the write pool. It runs after
// migrations, before any transaction: on SQLite the one write connection
// cannot prepare while a transaction holds it.
func (s *Store) prepare(ctx context.Context) error {
	for _, q := range registry {
		if _, ok := s.stmts[q]; ok {
			continue
		}
		st, err := s.write.PrepareContext(ctx, s.sqlOf(q))
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q.sql, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// query is a statement known at start, prepared once per store.
type query struct{ sql string }

var registry []*query

// q registers a statement. "{{FOR_UPDATE}}" in it becomes the engine's row
// lock: PostgreSQL locks the rows read; SQLite needs none because its write
// transactions are exclusive (BEGIN IMMEDIATE on the one write connection).
func q(sql string) *query {
	x := &query{sql: sql}
	registry = append(registry, x)
	return x
}

// lockMarker matches "{{FOR_UPDATE}}", "{{FOR_UPDATE OF alias}}" and
// "{{FOR_UPDATE SKIP_LOCKED}}" (claimers skip rows another one locked).
var lockMarker = regexp.MustCompile(`{{FOR_UPDATE( OF \w+)?( SKIP_LOCKED)?}}`)

// idsMarker, "{{IDS $n}}", is the rows of a JSON array of text given as
// parameter $n, so that a statement over any number of ids is prepared once.
var idsMarker = regexp.MustCompile(`{{IDS (\$\d+)}}`)

func (s *Store) sqlOf(q *query) string {
	out := lockMarker.ReplaceAllStringFunc(q.sql, func(m string) string {
		if s.engine != Postgres {
			return ""
		}
		return " " + strings.Replace(strings.Replace(strings.Trim(m, "{}"), "_", " ", 1), "SKIP_LOCKED", "SKIP LOCKED", 1)
	})
	return idsMarker.ReplaceAllStringFunc(out, func(m string) string {
		p := idsMarker.FindStringSubmatch(m)[1]
		if s.engine == Postgres {
			return "SELECT jsonb_array_elements_text(" + p + "::jsonb)"
		}
		return "SELECT value FROM json_each(" + p + ")"
	})
}

// Engine returns SQLite or Postgres.
func (s *Store) Engine() string { return s.engine }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.clock.Now() }

// now is the clock's time as stored: UTC, whole microseconds.
func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Stats returns the connection pool statistics of the write and read pools
// (the same pool twice on PostgreSQL).
func (s *Store) Stats() (write, read sql.DBStats) { return s.write.Stats(), s.read.Stats() }

// Pools returns the write and the read pool, for the metrics' pool
// statistics collector only: every query goes through the Store's methods.
func (s *Store) Pools() (write, read *sql.DB) { return s.write, s.read }

// Close finishes the inbound batches in flight and closes the database.
func (s *Store) Close() error {
	if s.ingest != nil {
		s.ingest.stop()
	}
	for _, st := range s.stmts {
		st.Close()
	}
	if s.engine == SQLite {
		// Fold the WAL back into the database file so a clean stop leaves one file.
		s.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// newID returns a UUIDv7: time-ordered, so new rows land at the end of indexes.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// micros converts a time to the stored form (the store's short name for
// clock.MicrosOf: the conversions live in package clock).
func micros(t time.Time) int64 { return clock.MicrosOf(t) }

// fromMicros converts a stored time back, in UTC (clock.TimeOf).
func fromMicros(us int64) time.Time { return clock.TimeOf(us) }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func fromNullString(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	return &n.String
}

// tx is a write transaction whose statements are prepared once per store.
type tx struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
	evs []events.Event // published after commit
	// lost: who stopped holding or being offered a session (audience.go)
	lost map[string]*lost
	// known: the indexes in evs of events that came with their audience
	known map[int]bool
	// zones: the workspaces' statistics time zones read (stats.go)
	zones map[string]*time.Location
}

// emit collects an event to publish once the transaction has committed.
func (t *tx) emit(e events.Event) {
	if e.At.IsZero() {
		e.At = t.s.now()
	}
	t.evs = append(t.evs, e)
}

func (t *tx) stmt(q *query) *sql.Stmt {
	st, ok := t.s.stmts[q]
	if !ok {
		panic("store: query not prepared: " + q.sql)
	}
	return t.tx.StmtContext(t.ctx, st)
}

func (t *tx) exec(q *query, args ...any) (sql.Result, error) {
	return t.stmt(q).ExecContext(t.ctx, args...)
}

func (t *tx) query(q *query, args ...any) (*sql.Rows, error) {
	return t.stmt(q).QueryContext(t.ctx, args...)
}

// row runs a single-row query and scans it; no row is sql.ErrNoRows.
func (t *tx) row(q *query, args []any, dest ...any) error {
	return t.stmt(q).QueryRowContext(t.ctx, args...).Scan(dest...)
}

// inTx runs fn in a write transaction, committing when it returns nil. On
// PostgreSQL a serialization failure or deadlock is retried a few times.
func (s *Store) inTx(ctx context.Context, fn func(*tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.inTxOnce(ctx, fn)
		if err != nil && attempt < 4 && isRetryable(err) {
			continue
		}
		return err
	}
}

func (s *Store) inTxOnce(ctx context.Context, fn func(*tx) error) error {
	sqltx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(err, "begin transaction")
	}
	t := &tx{s: s, tx: sqltx, ctx: ctx}
	if err := fn(t); err != nil {
		sqltx.Rollback()
		return err
	}
	if err := t.fillAudience(); err != nil {
		sqltx.Rollback()
		return dbErr(err, "read the events' audience")
	}
	if err := sqltx.Commit(); err != nil {
		return dbErr(err, "commit")
	}
	if len(t.evs) > 0 && s.onCommit != nil {
		s.onCommit(t.evs)
	}
	return nil
}

// dbErr turns a driver error into an apperr: unavailable when the database
// cannot be reached, internal otherwise.
func dbErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if cause := UnavailableCause(err); cause != "" {
		return Unavailable(err, cause)
	}
	return &apperr.Error{Code: apperr.Internal, Message: what, Err: err}
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// prefixed qualifies each column of a comma-separated list: prefixed("u.", "a, b") = "u.a, u.b".
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
