package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/openlines/openlines/internal/store"
)

func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	db := dbFlag(fs)
	out := fs.String("out", "", "file to write the copy to; must not exist (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out: is required")
	}
	if store.IsPostgresDSN(*db) {
		return usageErr("--db: %v", store.ErrBackupPostgres)
	}
	v, err := store.BackupSQLite(ctx, *db, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s (schema version %d) to %s\n", *db, v, *out)
	fmt.Fprintf(stdout, "keep the server key (%s, unless serve's --secret-key-file names another) and the attachments' files directory with it: the database does not hold them\n",
		filepath.Join(filepath.Dir(*db), "secret.key"))
	return nil
}

func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	db := dbFlag(fs)
	from := fs.String("from", "", "backup file written by openlines backup (required)")
	force := fs.Bool("force", false, "replace an existing database (stop the server first)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usageErr("--from: is required")
	}
	if store.IsPostgresDSN(*db) {
		return usageErr("--db: a PostgreSQL database is restored with pg_restore, see docs/OPERATIONS.md")
	}
	v, err := store.RestoreSQLite(ctx, *from, *db, *force)
	var newer *store.NewerSchemaError
	if errors.As(err, &newer) {
		return fmt.Errorf("%w (restore it with the binary that took it)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (schema version %d) to %s; `openlines serve --db %s` migrates it if it is older\n", *from, v, *db, *db)
	return nil
}
