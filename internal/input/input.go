// Package input holds the rule every text from outside obeys before it is
// stored: valid UTF-8 without C0 control characters other than tab, line
// feed and carriage return. PostgreSQL refuses NUL in text, so a NUL that got
// past the boundary would fail later, far from its cause (a welcome text
// saved with a NUL broke every new dialog of its line); the other controls
// have no business in names or messages either. DEL (U+007F) and the C1
// controls are left alone: both engines store them and no client is hurt.
//
// The HTTP layer applies the rule to every string of every request body,
// query and path; the domain packages apply it again in their validation, so
// that other entry points (the CLI, connectors) cannot store such text.
package input

import (
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/openlines/openlines/internal/apperr"
)

// Allowed reports whether c is a control character that text may hold:
// tab, line feed and carriage return (CRLF text from Windows clients is
// ordinary).
func allowed(c byte) bool { return c == '\t' || c == '\n' || c == '\r' }

// Control returns the first forbidden control character of s and its byte
// offset, or -1 when there is none.
func Control(s string) (rune, int) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && !allowed(c) {
			return rune(c), i
		}
	}
	return 0, -1
}

// Problem describes what is wrong with s as outside text ("" when nothing is):
// invalid UTF-8 or a forbidden control character.
func Problem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if c, at := Control(s); at >= 0 {
		return fmt.Sprintf("contains the control character U+%04X at byte %d; only tab, line feed and carriage return are allowed", c, at)
	}
	return ""
}

// Text returns an Invalid error naming field when s breaks the rule.
func Text(field, s string) error {
	if p := Problem(s); p != "" {
		return apperr.FieldError(field, "%s", p)
	}
	return nil
}

// ID reports whether s is an id as the store makes them: a UUID in its
// canonical lower-case form (the engines compare ids as text, so no other
// spelling could match a record anyway).
func ID(s string) bool {
	if len(s) != 36 {
		return false
	}
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}
