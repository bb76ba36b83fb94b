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
// trigger, a generated column): each engine applies its own.
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
	// A shared file and an engine's file of one number are one migration,
	// the shared part first: the version is applied once, so a second
	// file of the same number would otherwise never run.
	engineFile := func(m migration) bool { return strings.Count(m.name, ".") > 1 }
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].version != ms[j].version {
			return ms[i].version < ms[j].version
		}
		return !engineFile(ms[i]) && engineFile(ms[j])
	})
	merged := ms[:0]
	for _, m := range ms {
		if n := len(merged); n > 0 && merged[n-1].version == m.version {
			merged[n-1].name += "+" + m.name
			merged[n-1].sql += ";\n" + m.sql
			continue
		}
		merged = append(merged, m)
	}
	return merged, nil
}

// SchemaVersion returns the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	return int(v.Int64), err
}

// Migrate applies every pending migration, each in its own transaction. On
// PostgreSQL an advisory lock keeps nodes starting together from racing.
func (s *Store) Migrate(ctx context.Context) error {
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
	for _, m := range ms {
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
