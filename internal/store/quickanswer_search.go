package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/quickanswer"
)

// The quick answers' search (SPEC §8: a substring of the title or text,
// most used first, ≤ 20 ms over 50,000 answers). Every answer keeps its
// title and text folded (quickanswer.SearchText) in quick_answers.search;
// the term is folded the same way in Go, so that both engines compare one
// form byte for byte. A page is found in one of two ways:
//
//   - the most used answers first: the first recentScan answers in usage
//     order (after the cursor) are checked for the substring. A common
//     term fills its page there at once, which no text index does faster
//     (its matches would all have to be sorted by usage);
//   - when they hold fewer than a page of matches, the term is rare among
//     the most used, and the engine's trigram index finds its candidates:
//     FTS5's trigram tokenizer on SQLite (quick_answers_fts), a pg_trgm GIN
//     index on PostgreSQL (LIKE). A term shorter than a trigram (one or two
//     characters: the first keys typed) cannot use them, and is looked for
//     among the most used only: reading every answer for it took 150–400 ms
//     over 50,000 when nothing matched.
//
// docs/ARCHITECTURE.md, "Quick answers", has the figures behind this.

// usageScan is how many of the most used answers the first way checks.
var usageScan = 1000

// SearchAnswers lists the answers f selects, most used first, a page at a
// time.
func (s *Store) SearchAnswers(ctx context.Context, wsID string, f quickanswer.Filter) (quickanswer.Page, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	term := quickanswer.Fold(f.Query)
	w := answerWhere{args: []any{wsID}}
	w.sql.WriteString(`a.workspace_id = $1`)
	if f.SectionID != "" {
		fmt.Fprintf(&w.sql, ` AND a.section_id = %s`, w.arg(f.SectionID))
	}
	if !f.AllLines {
		w.sql.WriteString(` AND (a.all_lines`)
		if len(f.Lines) > 0 {
			fmt.Fprintf(&w.sql, ` OR EXISTS (SELECT 1 FROM quick_answer_lines l WHERE l.answer_id = a.id AND l.line_id IN (%s))`, bind(&w.args, f.Lines))
		}
		w.sql.WriteString(`)`)
	}
	if f.Cursor != "" {
		n, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return quickanswer.Page{}, err
		}
		u, i := w.arg(n), w.arg(id)
		fmt.Fprintf(&w.sql, ` AND (a.use_count < %s OR (a.use_count = %s AND a.id > %s))`, u, u, i)
	}
	var as []quickanswer.Answer
	var err error
	if term == "" {
		as, err = s.answersWhere(ctx, w, f.Limit+1)
	} else {
		as, err = s.answersMatching(ctx, w, term, f.Limit+1)
	}
	if err != nil {
		return quickanswer.Page{}, dbErr(err, "search quick answers")
	}
	p := quickanswer.Page{Answers: as}
	if len(as) > f.Limit {
		p.Answers = as[:f.Limit]
		last := p.Answers[f.Limit-1]
		p.NextCursor = encodeCursor(last.Usage, last.ID)
	}
	return p, s.fillAnswerLines(ctx, p.Answers)
}

// answerWhere is a search's condition on quick_answers a, with its
// arguments.
type answerWhere struct {
	sql  strings.Builder
	args []any
}

func (w *answerWhere) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// with returns the condition and its arguments with more appended.
func (w *answerWhere) with(more string, args ...any) (string, []any) {
	all := append(append([]any{}, w.args...), args...)
	return w.sql.String() + more, all
}

// answersWhere reads up to limit answers of the condition, most used first.
func (s *Store) answersWhere(ctx context.Context, w answerWhere, limit int) ([]quickanswer.Answer, error) {
	cond, args := w.with("")
	return s.queryAnswers(ctx, `SELECT `+prefixed("a.", answerCols)+` FROM quick_answers a WHERE `+cond+
		fmt.Sprintf(` ORDER BY a.use_count DESC, a.id LIMIT %d`, limit), args)
}

// answersMatching reads up to limit answers of the condition whose search
// holds term (folded), most used first: among the most used, then through
// the trigram index.
func (s *Store) answersMatching(ctx context.Context, w answerWhere, term string, limit int) ([]quickanswer.Answer, error) {
	contains := "instr(a.search, $%d) > 0"
	if s.engine == Postgres {
		contains = "strpos(a.search, $%d) > 0"
	}
	n := len(w.args) + 1
	cond, args := w.with("", term)
	as, err := s.queryAnswers(ctx, `SELECT `+answerCols+` FROM (SELECT `+prefixed("a.", answerCols+", search")+` FROM quick_answers a WHERE `+cond+
		fmt.Sprintf(` ORDER BY a.use_count DESC, a.id LIMIT %d) a WHERE %s ORDER BY a.use_count DESC, a.id LIMIT %d`, usageScan, fmt.Sprintf(contains, n), limit), args)
	if err != nil || len(as) >= limit || utf8.RuneCountInString(term) < 3 {
		return as, err // a term of one or two characters has no trigram: the most used only
	}
	from := `quick_answers a`
	switch {
	case s.engine == Postgres:
		// Written so that only the trigram index serves the workspace and
		// the section: with statistics, the planner walked the usage index
		// instead, filtering row by row (84 ms for a term of 75 answers
		// among 50,000, against 4 ms from the trigram index).
		cond, args = w.with(fmt.Sprintf(` AND a.search LIKE $%d ESCAPE '\'`, n), "%"+likeEscape(term)+"%")
		cond = strings.NewReplacer("a.workspace_id =", "a.workspace_id || '' =", "a.section_id =", "a.section_id || '' =").Replace(cond)
	default:
		// CROSS JOIN keeps SQLite's planner to this order: the index's
		// candidates first, each then checked.
		from = `quick_answers_fts f CROSS JOIN quick_answers a`
		cond, args = w.with(fmt.Sprintf(` AND quick_answers_fts MATCH $%d AND a.num = f.rowid AND instr(a.search, $%d) > 0`, n, n+1), trigramQuery(term), term)
	}
	return s.queryAnswers(ctx, `SELECT `+prefixed("a.", answerCols)+` FROM `+from+` WHERE `+cond+
		fmt.Sprintf(` ORDER BY a.use_count DESC, a.id LIMIT %d`, limit), args)
}

func (s *Store) queryAnswers(ctx context.Context, query string, args []any) ([]quickanswer.Answer, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAnswer)
}

// trigramQuery is the FTS5 query of the rows that hold some trigrams of
// term (three characters or more): each trigram a string of its own, since
// the index keeps no positions to match a phrase with. The rows it finds
// are then checked for the substring itself, so a few trigrams spread over
// the term do: each one more makes FTS5 read another list of rows, which
// cost more than checking the few more candidates that fewer let through
// (with every trigram of a two-word term, 21 ms over 50,000 answers).
func trigramQuery(term string) string {
	r := []rune(term)
	n := len(r) - 2 // trigrams
	seen := map[string]bool{}
	var b strings.Builder
	for k := range min(n, maxTrigrams) {
		i := 0
		if k > 0 {
			i = k * (n - 1) / (min(n, maxTrigrams) - 1)
		}
		g := string(r[i : i+3])
		if seen[g] {
			continue
		}
		seen[g] = true
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(g, `"`, `""`) + `"`)
	}
	return b.String()
}

// maxTrigrams is how many trigrams of a term the SQLite search asks FTS5 for.
const maxTrigrams = 4

// fillAnswerLines reads the lines each answer is shared with.
func (s *Store) fillAnswerLines(ctx context.Context, as []quickanswer.Answer) error {
	if len(as) == 0 {
		return nil
	}
	byID := map[string]*quickanswer.Answer{}
	ids := make([]string, len(as))
	for i := range as {
		byID[as[i].ID] = &as[i]
		ids[i] = as[i].ID
	}
	args := []any{}
	rows, err := s.read.QueryContext(ctx, `SELECT answer_id, line_id FROM quick_answer_lines WHERE answer_id IN (`+bind(&args, ids)+`) ORDER BY line_id`, args...)
	if err != nil {
		return dbErr(err, "read quick answers' lines")
	}
	defer rows.Close()
	for rows.Next() {
		var a, l string
		if err := rows.Scan(&a, &l); err != nil {
			return dbErr(err, "read quick answers' lines")
		}
		byID[a].LineIDs = append(byID[a].LineIDs, l)
	}
	return dbErr(rows.Err(), "read quick answers' lines")
}
