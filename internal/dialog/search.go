package dialog

import (
	"strings"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// MaxSearchLen bounds the dialog list's search term, in characters.
const MaxSearchLen = 100

// ParseSearch checks the dialog list's search term (q): at most
// MaxSearchLen characters, text (input.Text) and on one line. Surrounding
// spaces are dropped; "" is no search.
func ParseSearch(field, s string) (string, error) {
	if err := input.Text(field, s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxSearchLen {
		return "", apperr.FieldError(field, "is longer than %d characters", MaxSearchLen)
	}
	if strings.ContainsAny(s, "\t\r\n") {
		return "", apperr.FieldError(field, "must be on one line")
	}
	return s, nil
}

// Fold is the form in which the search compares a customer's name and
// external id with the term: lower case by Unicode's simple mapping, and ё
// as е (Russian writes either). The store keeps each customer's folded
// name and id (customers.search) and folds the term the same way.
func Fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}
