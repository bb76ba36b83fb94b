package quickanswer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/input"
)

// FuzzPrepare: whatever text and title come from outside, Prepare either
// refuses them or leaves a valid answer: text within its limit and of the
// input rule, a one-line title within its own, the search form folded once
// for all (folding again changes nothing), and the text's key that of its
// normalized self.
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{"Hello {customer.name}", "Ёлки\r\n", "Café  ÜBER", "\x00", "\xff", " ", strings.Repeat("й", 120)} {
		f.Add(s, "")
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, title string) {
		a := Answer{SectionID: "01890000-0000-7000-8000-000000000001", Text: text, Title: title}
		if err := Prepare(&a, false); err != nil {
			return
		}
		if input.Problem(a.Text) != "" || a.Text == "" || utf8.RuneCountInString(a.Text) > MaxText {
			t.Fatalf("text %q passed", a.Text)
		}
		if a.Title == "" || strings.ContainsAny(a.Title, "\r\n\t") || utf8.RuneCountInString(a.Title) > MaxTitle {
			t.Fatalf("title %q passed", a.Title)
		}
		if s := SearchText(a); Fold(s) != s || !utf8.ValidString(s) {
			t.Fatalf("search text %q is not folded once for all", s)
		}
		if Key(a.Text) != Key(text) {
			t.Fatal("the key of the stored text differs from the key of the text sent")
		}
	})
}
