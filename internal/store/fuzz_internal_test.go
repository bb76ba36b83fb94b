package store

import (
	"testing"

	"github.com/google/uuid"
)

// FuzzCursor: any cursor a client sends is refused cleanly or decoded, and
// a decoded one holds a well-formed id; the cursors the server makes (of its
// UUIDs) round-trip.
func FuzzCursor(f *testing.F) {
	f.Add("", int64(0), "id")
	f.Add("MTIzOmFiYw", int64(1700000000000000), "01a21a7c-7863-712c-96b6-09e6b845c30e")
	f.Add("!!!", int64(-5), ":")
	f.Fuzz(func(t *testing.T, c string, at int64, id string) {
		if _, got, err := decodeCursor(c); err == nil && uuid.Validate(got) != nil {
			t.Fatalf("cursor %q decoded to the id %q", c, got)
		}
		if u, err := uuid.Parse(id); err != nil || u.String() != id {
			return // not an id the server makes
		}
		gotAt, gotID, err := decodeCursor(encodeCursor(at, id))
		if err != nil || gotAt != at || gotID != id {
			t.Fatalf("round trip of (%d, %q): (%d, %q, %v)", at, id, gotAt, gotID, err)
		}
	})
}
