// Package attach keeps the bytes of the files messages carry (SPEC §11,
// dialog.Attachment) behind a small interface — a local directory by
// default; an S3-compatible store can implement the same three methods —
// and the rules of taking one in: the size limit, the content type sniffed
// from the bytes, the hash. It also signs the links a customer opens a
// file with (link.go).
package attach

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Blobs keeps files' bytes by key (an attachment's id).
type Blobs interface {
	// Put stores what r yields under key; the bytes are durable once it
	// returns nil. An error leaves nothing under key.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open reads a file back (ErrNotFound when there is none).
	Open(ctx context.Context, key string) (File, error)
	// Delete removes a file; a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// File is a stored file, readable from any offset (ranges).
type File interface {
	io.ReadSeekCloser
}

// ErrNotFound: no file under the key.
var ErrNotFound = errors.New("attach: no such file")

// ErrTooLarge: the file is over the limit given to Receive.
var ErrTooLarge = errors.New("attach: the file is over the size limit")

// ErrEmpty: the file has no bytes.
var ErrEmpty = errors.New("attach: the file is empty")

// ErrCutShort: reading the file failed before its end (the client went
// away or stopped sending); nothing is stored.
var ErrCutShort = errors.New("attach: the file was cut short")

// DefaultMaxSize is the default limit on one file: 20 MiB.
const DefaultMaxSize = 20 << 20

// Info is what Receive learnt of a file from its bytes.
type Info struct {
	Size        int64
	ContentType string // sniffed (http.DetectContentType), never the client's
	SHA256      string // hex
}

// Receive stores the bytes r yields under key, at most max of them, and
// tells their size, sniffed content type and hash. Over max it stores
// nothing and returns ErrTooLarge; an empty file is ErrEmpty.
func Receive(ctx context.Context, b Blobs, key string, r io.Reader, max int64) (Info, error) {
	// The first 512 bytes decide the type (all DetectContentType reads).
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Info{}, cutShort(err)
	}
	head = head[:n]
	if n == 0 {
		return Info{}, ErrEmpty
	}
	if int64(n) > max {
		return Info{}, ErrTooLarge
	}
	h := sha256.New()
	c := &counter{r: io.MultiReader(bytes.NewReader(head), r), max: max}
	if err := b.Put(ctx, key, io.TeeReader(c, h)); err != nil {
		switch {
		case c.over:
			return Info{}, ErrTooLarge
		case c.failed:
			return Info{}, cutShort(err)
		}
		return Info{}, err
	}
	return Info{Size: c.n, ContentType: http.DetectContentType(head), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// cutShort is a failed read of the file, an http.MaxBytesError (the
// body's own limit) kept as it is for the caller.
func cutShort(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return ErrTooLarge
	}
	return fmt.Errorf("%w: %v", ErrCutShort, err)
}

// counter counts what passes and fails past max bytes.
type counter struct {
	r      io.Reader
	n      int64
	max    int64
	over   bool
	failed bool // reading failed (not the store)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.failed = err != nil && err != io.EOF
	c.n += int64(n)
	if c.n > c.max {
		c.over = true
		return n, ErrTooLarge
	}
	return n, err
}
