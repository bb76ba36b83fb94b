// Package quickanswer holds the rules of quick answers (SPEC §8): saved
// replies of a workspace filed in sections, optionally shared with chosen
// lines only, searched by substring, inserted with their placeholders
// filled. The store keeps them; this package decides what a valid answer
// is, how its title defaults, how text is folded for the search, when two
// texts are the same answer, and how placeholders are filled.
package quickanswer

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Limits, in characters.
const (
	MaxText        = 4000
	MaxTitle       = 200
	AutoTitleLen   = 100
	MaxSectionName = 100
	MaxQuery       = 100
	MaxLines       = 100
)

// Section files answers: Greeting, Payment, Delivery, Common by default.
type Section struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Position  int       `json:"position"`
	Answers   int       `json:"answers"` // how many answers it holds (filled by the store)
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Answer is one quick answer.
type Answer struct {
	ID        string `json:"id"`
	SectionID string `json:"section_id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	// LineIDs are the lines it is shared with; empty: every line.
	LineIDs []string `json:"line_ids"`
	Usage   int64    `json:"usage"`
	// SourceMessageID is the operator message it was saved from, if any.
	SourceMessageID *string   `json:"source_message_id"`
	CreatedBy       *string   `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedBy       *string   `json:"updated_by"`
	UpdatedAt       time.Time `json:"updated_at"`
	// Filled is the text with its placeholders filled for one dialog
	// (listed with ?dialog=); absent otherwise.
	Filled *string `json:"filled,omitempty"`
}

// defaultSections are the sections of a new workspace, by locale.
var defaultSections = map[string][]string{
	"en": {"Greeting", "Payment", "Delivery", "Common"},
	"ru": {"Приветствие", "Оплата", "Доставка", "Общие"},
}

// DefaultSections are the names of a new workspace's sections in locale
// (English for any locale but Russian).
func DefaultSections(locale string) []string {
	if names, ok := defaultSections[locale]; ok {
		return slices.Clone(names)
	}
	return slices.Clone(defaultSections["en"])
}

// ValidateSectionName trims and checks a section's name.
func ValidateSectionName(name string) (string, error) {
	if err := input.Text("name", name); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxSectionName {
		return "", apperr.FieldError("name", "is required, at most %d characters", MaxSectionName)
	}
	if strings.ContainsAny(name, "\r\n\t") {
		return "", apperr.FieldError("name", "must be on one line")
	}
	return name, nil
}

// Normalize is the form in which an answer's text is stored and compared:
// line ends as LF, surrounding white space dropped.
func Normalize(text string) string {
	return strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
}

// Key identifies a text for de-duplication: two answers of a workspace
// never have the same key. Texts that differ only in letter case are
// different answers; texts that differ only in line ends or surrounding
// white space are the same.
func Key(text string) string {
	sum := sha256.Sum256([]byte(Normalize(text)))
	return hex.EncodeToString(sum[:])
}

// AutoTitle is the title of an answer saved without one: the first
// AutoTitleLen characters of its text, on one line.
func AutoTitle(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) <= AutoTitleLen {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:AutoTitleLen]))
}

// Prepare validates an answer's fields and fills what defaults: the text
// normalized, the title from the text when empty, the lines sorted without
// repeats. autoTitle says the title follows the text (it was empty, or it
// was the old text's automatic title).
func Prepare(a *Answer, autoTitle bool) error {
	if err := input.Text("text", a.Text); err != nil {
		return err
	}
	a.Text = Normalize(a.Text)
	if a.Text == "" {
		return apperr.FieldError("text", "is required")
	}
	if n := utf8.RuneCountInString(a.Text); n > MaxText {
		return apperr.FieldError("text", "is longer than %d characters (%d)", MaxText, n)
	}
	if err := input.Text("title", a.Title); err != nil {
		return err
	}
	a.Title = strings.Join(strings.Fields(a.Title), " ")
	if a.Title == "" || autoTitle {
		a.Title = AutoTitle(a.Text)
	}
	if utf8.RuneCountInString(a.Title) > MaxTitle {
		return apperr.FieldError("title", "is longer than %d characters", MaxTitle)
	}
	if !input.ID(a.SectionID) {
		return apperr.FieldError("section_id", "is required: the id of a section")
	}
	if len(a.LineIDs) > MaxLines {
		return apperr.FieldError("line_ids", "names more than %d lines", MaxLines)
	}
	for _, id := range a.LineIDs {
		if !input.ID(id) {
			return apperr.FieldError("line_ids", "%q is not a line id", id)
		}
	}
	if a.LineIDs == nil {
		a.LineIDs = []string{}
	}
	slices.Sort(a.LineIDs)
	a.LineIDs = slices.Compact(a.LineIDs)
	return nil
}

// Fold is the form in which the search compares text with the term: lower
// case, accents dropped (é as e, ü as u), ё as е; й stays й, a letter of
// its own in Russian. The store keeps every answer's title and text folded
// and folds the term the same way, so both engines compare one form.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		r = unicode.ToLower(r)
		switch r {
		case 'й', 'ё':
			if r == 'ё' {
				r = 'е'
			}
			b.WriteRune(r)
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			if !unicode.Is(unicode.Mn, d) {
				b.WriteRune(d)
			}
		}
	}
	return b.String()
}

// SearchText is what the store keeps for an answer's search: its title and
// text folded, one per line.
func SearchText(a Answer) string { return Fold(a.Title) + "\n" + Fold(a.Text) }

// ParseQuery checks a search term: text on one line, at most MaxQuery
// characters; surrounding spaces are dropped.
func ParseQuery(s string) (string, error) {
	if err := input.Text("q", s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxQuery {
		return "", apperr.FieldError("q", "is longer than %d characters", MaxQuery)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", apperr.FieldError("q", "must be on one line")
	}
	return s, nil
}

// Values fill the placeholders of an answer's text.
type Values struct {
	Customer, Operator, Line string
}

// Placeholders are the names an answer's text may hold in braces.
var Placeholders = []string{"{customer.name}", "{operator.name}", "{line.name}"}

// Fill returns text with its placeholders replaced by v. A placeholder
// whose value is unknown ("") becomes empty rather than showing a brace to
// the customer; other braces are left as they are.
func Fill(text string, v Values) string {
	return strings.NewReplacer(
		"{customer.name}", v.Customer,
		"{operator.name}", v.Operator,
		"{line.name}", v.Line,
	).Replace(text)
}

// Filter selects answers for the search; empty fields select all.
type Filter struct {
	Query     string
	SectionID string
	// Lines: the answers shared with every line or with one of these.
	// AllLines lists every answer whatever its lines (editors).
	Lines    []string
	AllLines bool
	Cursor   string
	Limit    int
}

// Page is one page of the search, most used first.
type Page struct {
	Answers    []Answer `json:"answers"`
	NextCursor string   `json:"next_cursor,omitempty"`
}
