package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
)

// MaxTextSearchLen bounds the history's full-text term, in characters.
const MaxTextSearchLen = 200

// Ratings are the values of the list's rating filter: like and dislike
// (the like scale), 1..5 (stars), any rating, or none.
var Ratings = []string{"like", "dislike", "1", "2", "3", "4", "5", "any", "none"}

// ParseRating checks the rating filter; "" is no filter.
func ParseRating(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, r := range Ratings {
		if s == r {
			return s, nil
		}
	}
	return "", apperr.FieldError(field, "%q is not one of %s", s, strings.Join(Ratings, ", "))
}

// ParseText checks the full-text term: text on one line of at most
// MaxTextSearchLen characters with at least one letter or digit. It
// returns the words to look for, folded (Fold); none for "".
func ParseText(field, s string) ([]string, error) {
	s, err := ParseSearch(field, s)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(s) > MaxTextSearchLen {
		return nil, apperr.FieldError(field, "is longer than %d characters", MaxTextSearchLen)
	}
	words := TextWords(s)
	if len(words) == 0 {
		return nil, apperr.FieldError(field, "has no letter or digit to search for")
	}
	return words, nil
}

// TextWords splits a text into its words as the full-text search sees them:
// runs of letters and digits, folded.
func TextWords(s string) []string {
	words := strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > 16 {
		words = words[:16]
	}
	return words
}
