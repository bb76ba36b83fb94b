package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
)

// ErrBackupPostgres: PostgreSQL is backed up with its own tools.
var ErrBackupPostgres = errors.New("a PostgreSQL database is backed up with pg_dump (or continuous archiving for point-in-time recovery), see docs/OPERATIONS.md")

// Backup writes a consistent copy of a SQLite database to out while the
// server keeps running: VACUUM INTO reads one snapshot (WAL lets writers
// go on meanwhile) into a temporary file beside out, which is checked and
// then renamed, so out is either the whole copy or absent. out must not
// exist. It returns the copy's schema version.
func (s *Store) Backup(ctx context.Context, out string) (int, error) {
	if s.engine != SQLite {
		return 0, ErrBackupPostgres
	}
	return BackupSQLite(ctx, s.path, out)
}

// BackupSQLite is Backup of the SQLite file path without opening a Store,
// so that a backup never migrates the database (the running server may be
// older than the binary taking the backup).
func BackupSQLite(ctx context.Context, path, out string) (int, error) {
	if IsPostgresDSN(path) {
		return 0, ErrBackupPostgres
	}
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("backup: %s exists; name a new file", out)
	}
	tmp, err := tempPath(out)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	// A connection of its own: the read pool is query_only, which forbids
	// VACUUM INTO, and the write connection must stay free for the server.
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(0)")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO $1", tmp); err != nil {
		return 0, fmt.Errorf("backup: %w", dbErr(err, "copy the database"))
	}
	v, err := CheckSQLiteCopy(ctx, tmp)
	if err != nil {
		return 0, fmt.Errorf("backup: the copy is not sound: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // it holds everything the database does
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return v, syncDir(filepath.Dir(out))
}

// CheckSQLiteCopy opens a SQLite file read-only, runs SQLite's integrity
// check and returns its schema version.
func CheckSQLiteCopy(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil {
		return 0, fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	if check != "ok" {
		return 0, fmt.Errorf("%s fails SQLite's integrity check: %s", path, check)
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("%s is not an OpenLines database: %w", path, err)
	}
	return int(v.Int64), nil
}

// RestoreSQLite puts the backup from in place of the database file db,
// which must not exist unless replace is set (and then the server must be
// stopped: its open connections would keep the old file). The backup is
// checked first (a backup of a schema newer than this binary's is a
// *NewerSchemaError), copied beside db and renamed over it; a stale WAL and
// shared-memory file of the replaced database are removed, since SQLite
// would otherwise replay the old WAL into the restored file.
func RestoreSQLite(ctx context.Context, from, db string, replace bool) (int, error) {
	v, err := CheckSQLiteCopy(ctx, from)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	if latest := LatestSchemaVersion(); v > latest {
		return 0, fmt.Errorf("restore: %w", &NewerSchemaError{Database: v, Binary: latest})
	}
	if _, err := os.Lstat(db); err == nil && !replace {
		return 0, fmt.Errorf("restore: %s exists; stop the server and pass --force to replace it", db)
	}
	if err := os.MkdirAll(filepath.Dir(db), 0o750); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	tmp, err := tempPath(db)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp)
	if err := copyFile(from, tmp); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	for _, side := range []string{db + "-wal", db + "-shm"} {
		if err := os.Remove(side); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	return v, syncDir(filepath.Dir(db))
}

// tempPath names a file that does not exist yet beside path.
func tempPath(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	return name, os.Remove(name) // VACUUM INTO wants a file that does not exist
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Sync() // not every file system syncs a directory; the rename stands either way
	return nil
}
