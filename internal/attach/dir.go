package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir keeps files in a local directory: each under two levels named by
// the key's last characters (ids are time-ordered, so their ends spread),
// written to a temporary name, synced and renamed into place, so a crash
// leaves either the whole file or none.
type Dir struct{ root string }

// NewDir opens (creating it when needed) a directory of files.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("attach: the files directory: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root is the directory.
func (d *Dir) Root() string { return d.root }

// validKey: ids only (letters, digits, '-'), so a key never leaves the root.
func validKey(key string) bool {
	if len(key) < 4 || len(key) > 64 {
		return false
	}
	for _, c := range []byte(key) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

func (d *Dir) path(key string) string {
	n := len(key)
	return filepath.Join(d.root, key[n-2:], key[n-4:n-2], key)
}

// Put implements Blobs.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) error {
	if !validKey(key) {
		return fmt.Errorf("attach: invalid key %q", key)
	}
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), key+".*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	final := d.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	done = true
	return syncDir(filepath.Dir(final))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open implements Blobs.
func (d *Dir) Open(ctx context.Context, key string) (File, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete implements Blobs.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return nil
	}
	err := os.Remove(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
