package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the migrations of engine in order. A migration is one
// file of SQL both engines share, or a pair NNNN_name.sqlite.sql and
// NNNN_name.postgres.sql of the same number where the engines differ (a
// trigger, a generated column): each engine applies its own; or both, the
// shared file with the pair beside it, which each engine applies as one
// migration, the shared part first (0014: the quick answers' tables, then
// each engine's text index).
func migrations(engine string) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		if e := strings.TrimSuffix(base, ".sql"); strings.HasSuffix(e, "."+SQLite) || strings.HasSuffix(e, "."+Postgres) {
			if !strings.HasSuffix(e, "."+engine) {
				continue
			}
		}
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, base, string(b)})
	}
	own := func(m migration) bool { return strings.HasSuffix(m.name, "."+engine+".sql") }
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].version != ms[j].version {
			return ms[i].version < ms[j].version
		}
		return !own(ms[i]) && own(ms[j]) // the shared part first
	})
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && out[n-1].version == m.version {
			if own(out[n-1]) || !own(m) {
				return nil, fmt.Errorf("migrations %s and %s have the same number", out[n-1].name, m.name)
			}
			out[n-1].sql += "\n" + m.sql
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// SchemaVersion returns the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	return int(v.Int64), err
}

// NewerSchemaError means the database was migrated by a newer OpenLines
// than this binary: its schema has migrations this binary does not know,
// and running on it could corrupt what the newer version wrote.
type NewerSchemaError struct {
	Database, Binary int // the database's schema version and the newest this binary knows
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("the database is at schema version %d, newer than this binary's %d: it was migrated by a newer OpenLines. "+
		"Run that newer version, or restore the backup taken before the upgrade (see docs/OPERATIONS.md, Upgrades and rollbacks)",
		e.Database, e.Binary)
}

// LatestSchemaVersion is the newest migration this binary carries.
func LatestSchemaVersion() int {
	ms, err := migrations(SQLite)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate applies every pending migration, each in its own transaction. On
// PostgreSQL an advisory lock keeps nodes starting together from racing. A
// database already past this binary's newest migration is refused with a
// *NewerSchemaError before anything is touched.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrateTo(ctx, int(^uint(0)>>1))
}

// migrateTo applies the pending migrations up to version upTo (tests build
// an older release's schema with it).
func (s *Store) migrateTo(ctx context.Context, upTo int) error {
	ms, err := migrations(s.engine)
	if err != nil {
		return err
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.engine == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7318842017)"); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7318842017)")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if latest := ms[len(ms)-1].version; int(current.Int64) > latest {
		return &NewerSchemaError{Database: int(current.Int64), Binary: latest}
	}
	for _, m := range ms {
		if m.version > upTo {
			break
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			m.version, m.name, micros(s.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}
