package input

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
)

func TestText(t *testing.T) {
	for _, s := range []string{"", "hello", "line 1\nline 2", "a\tb", "windows\r\n", "DEL \x7f stays", "C1 \u0085 stays", "Здравствуйте", "emoji 🙂"} {
		if err := Text("f", s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, s := range []string{"\x00", "a\x00b", "\x01", "bell\x07", "\x0b", "\x0c", "esc\x1b[31m", "\x1f", "\xff", "ok\xc3"} {
		err := Text("message.text", s)
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%q: %v, want invalid", s, err)
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Field != "message.text" {
			t.Errorf("%q: error %v does not name the field", s, err)
		}
	}
	if c, at := Control("ab\x00"); c != 0 || at != 2 {
		t.Errorf("Control: %U at %d", c, at)
	}
	if _, at := Control("fine\r\n"); at != -1 {
		t.Errorf("Control found one in CRLF text at %d", at)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a\x00", "\r\n", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Text("f", s)
		_, at := Control(s)
		if (err == nil) == (at >= 0 || !utf8.ValidString(s)) {
			t.Fatalf("%q: error %v, control at %d", s, err, at)
		}
	})
}

func TestID(t *testing.T) {
	for _, s := range []string{"01890a5d-ac96-774b-bcce-b302099a8057", "00000000-0000-0000-0000-000000000000"} {
		if !ID(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "\xff", "\x00", "not-a-uuid", "01890A5D-AC96-774B-BCCE-B302099A8057", "{01890a5d-ac96-774b-bcce-b302099a8057}",
		"01890a5dac96774bbccee302099a8057", "urn:uuid:01890a5d-ac96-774b-bcce-b302099a8057", "01890a5d-ac96-774b-bcce-b302099a805\x00"} {
		if ID(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
