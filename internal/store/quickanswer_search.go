package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/openlines/openlines/internal/quickanswer"
)

// SearchAnswers lists the answers f selects, most used first, a page at a
// time. The term is folded as the answers' search column is
// (quickanswer.Fold) and looked for as a substring: instr() on SQLite,
// strpos() on PostgreSQL, whose plain comparison of bytes both engines do
// alike and faster than LIKE with its escapes.
func (s *Store) SearchAnswers(ctx context.Context, wsID string, f quickanswer.Filter) (quickanswer.Page, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args := []any{wsID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var where strings.Builder
	where.WriteString(`a.workspace_id = $1`)
	if f.SectionID != "" {
		fmt.Fprintf(&where, ` AND a.section_id = %s`, arg(f.SectionID))
	}
	if term := quickanswer.Fold(f.Query); term != "" {
		fn := "instr"
		if s.engine == Postgres {
			fn = "strpos"
		}
		fmt.Fprintf(&where, ` AND %s(a.search, %s) > 0`, fn, arg(term))
	}
	if !f.AllLines {
		where.WriteString(` AND (a.all_lines`)
		if len(f.Lines) > 0 {
			fmt.Fprintf(&where, ` OR EXISTS (SELECT 1 FROM quick_answer_lines l WHERE l.answer_id = a.id AND l.line_id IN (%s))`, bind(&args, f.Lines))
		}
		where.WriteString(`)`)
	}
	if f.Cursor != "" {
		n, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return quickanswer.Page{}, err
		}
		u, i := arg(n), arg(id)
		fmt.Fprintf(&where, ` AND (a.use_count < %s OR (a.use_count = %s AND a.id > %s))`, u, u, i)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+prefixed("a.", answerCols)+` FROM quick_answers a WHERE `+where.String()+
		` ORDER BY a.use_count DESC, a.id LIMIT `+arg(f.Limit+1), args...)
	if err != nil {
		return quickanswer.Page{}, dbErr(err, "search quick answers")
	}
	as, err := collect(rows, scanAnswer)
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
