package store

import (
	"fmt"
	"strings"

	"github.com/openlines/openlines/internal/dialog"
)

// The dialog history's filters beyond the list's (issue 15): the latest
// session's rating and a full-text term over the customers' and operators'
// messages. PostgreSQL matches the expression of the messages_fts index
// (migration 0015) against the term parsed by both the Russian and the
// English configs; SQLite looks the words up in the FTS5 table
// messages_fts, each as a prefix (it stems English only, so a prefix stands
// in for Russian endings).

const ftsVector = `(to_tsvector('russian', translate(m.text, 'ёЁ', 'еЕ')) || to_tsvector('english', translate(m.text, 'ёЁ', 'еЕ')))`

// filterHistory appends the rating and text filters of f.
func (s *Store) filterHistory(where *strings.Builder, args *[]any, f dialog.ListFilter) {
	switch r := f.Rating; r {
	case "":
	case "any", "none":
		not := ""
		if r == "none" {
			not = "NOT "
		}
		fmt.Fprintf(where, " AND %sEXISTS (SELECT 1 FROM ratings r WHERE r.session_id = d.session_id)", not)
	default:
		scale, value := "stars", r
		switch r {
		case "like":
			scale, value = "like", "1"
		case "dislike":
			scale, value = "like", "0"
		}
		*args = append(*args, scale, value)
		fmt.Fprintf(where, " AND EXISTS (SELECT 1 FROM ratings r WHERE r.session_id = d.session_id AND r.scale = $%d AND r.value = CAST($%d AS INTEGER))",
			len(*args)-1, len(*args))
	}
	words := dialog.TextWords(f.Text)
	if len(words) == 0 {
		return
	}
	if s.engine == Postgres {
		*args = append(*args, strings.Join(words, " "))
		n := len(*args)
		// OFFSET 0 keeps the planner from turning the lookup into a join
		// driven from the recent dialogs, which recomputed the vector of
		// every message of every dialog it walked (1.8 s for a rare word
		// among 50,000 messages): the index finds the matches once.
		fmt.Fprintf(where, ` AND d.id IN (SELECT m.dialog_id FROM messages m WHERE m.kind = 'text' AND %s @@ (plainto_tsquery('russian', $%d) || plainto_tsquery('english', $%d)) OFFSET 0)`,
			ftsVector, n, n)
		return
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"*`
	}
	*args = append(*args, strings.Join(terms, " "))
	fmt.Fprintf(where, ` AND d.id IN (SELECT dialog_id FROM messages_fts WHERE messages_fts MATCH $%d)`, len(*args))
}
