package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/quickanswer"
)

// Quick answers (SPEC §8). The rules are package quickanswer's; this file
// keeps the records. Each answer stores its title and text folded
// (quickanswer.SearchText) in quick_answers.search, and the search is a
// substring test on that column (instr on SQLite, strpos on PostgreSQL)
// over one workspace's answers walked most used first: see
// docs/ARCHITECTURE.md, "Quick answers", for why no text index.

var (
	qSeeded        = q(`SELECT quick_sections_seeded FROM workspaces WHERE id = $1{{FOR_UPDATE}}`)
	qSetSeeded     = q(`UPDATE workspaces SET quick_sections_seeded = TRUE WHERE id = $1`)
	qInsertSection = q(`INSERT INTO quick_sections (id, workspace_id, name, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`)
	qNextSection   = q(`SELECT COALESCE(MAX(position), -1) + 1 FROM quick_sections WHERE workspace_id = $1`)
	qLockSection   = q(`SELECT id, name, position, created_at, updated_at FROM quick_sections WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qUpdateSection = q(`UPDATE quick_sections SET name = $3, position = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2`)
	qDeleteSection = q(`DELETE FROM quick_sections WHERE workspace_id = $1 AND id = $2`)
	qSectionCount  = q(`SELECT COUNT(*) FROM quick_answers WHERE section_id = $1`)
	qMoveAnswers   = q(`UPDATE quick_answers SET section_id = $2 WHERE section_id = $1`)

	qAnswerByKey    = q(`SELECT id FROM quick_answers WHERE workspace_id = $1 AND text_key = $2`)
	qAnswerBySource = q(`SELECT id FROM quick_answers WHERE workspace_id = $1 AND source_message_id = $2`)
	qLockAnswer     = q(`SELECT ` + answerCols + ` FROM quick_answers WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qInsertAnswer   = q(`INSERT INTO quick_answers (id, workspace_id, section_id, title, text, search, text_key, all_lines, use_count,
		source_message_id, created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $10, $11)`)
	qUpdateAnswer = q(`UPDATE quick_answers SET section_id = $3, title = $4, text = $5, search = $6, text_key = $7, all_lines = $8,
		updated_by = $9, updated_at = $10 WHERE workspace_id = $1 AND id = $2`)
	qDeleteAnswer     = q(`DELETE FROM quick_answers WHERE workspace_id = $1 AND id = $2`)
	qUseAnswer        = q(`UPDATE quick_answers SET use_count = use_count + 1 WHERE workspace_id = $1 AND id = $2 RETURNING use_count`)
	qAnswerLines      = q(`SELECT line_id FROM quick_answer_lines WHERE answer_id = $1 ORDER BY line_id`)
	qClearAnswerLines = q(`DELETE FROM quick_answer_lines WHERE answer_id = $1`)
	qInsertAnswerLine = q(`INSERT INTO quick_answer_lines (answer_id, line_id) VALUES ($1, $2)`)
	qLineInWS         = q(`SELECT COUNT(*) FROM lines WHERE workspace_id = $1 AND id = $2`)
	qSavedMessage     = q(`SELECT direction, kind, author_id, text FROM messages WHERE workspace_id = $1 AND id = $2`)
)

const answerCols = `id, section_id, title, text, all_lines, use_count, source_message_id, created_by, created_at, updated_by, updated_at`

func scanAnswer(sc interface{ Scan(...any) error }) (quickanswer.Answer, error) {
	var a quickanswer.Answer
	var all bool
	var src, cby, uby sql.NullString
	var c, u int64
	err := sc.Scan(&a.ID, &a.SectionID, &a.Title, &a.Text, &all, &a.Usage, &src, &cby, &c, &uby, &u)
	a.SourceMessageID, a.CreatedBy, a.UpdatedBy = fromNullString(src), fromNullString(cby), fromNullString(uby)
	a.CreatedAt, a.UpdatedAt = fromMicros(c), fromMicros(u)
	a.LineIDs = []string{}
	return a, err
}

func scanSection(sc interface{ Scan(...any) error }) (quickanswer.Section, error) {
	var s quickanswer.Section
	var c, u int64
	err := sc.Scan(&s.ID, &s.Name, &s.Position, &c, &u)
	s.CreatedAt, s.UpdatedAt = fromMicros(c), fromMicros(u)
	return s, err
}

func sectionNameTaken(name string) error {
	return &apperr.Error{Code: apperr.Conflict, Field: "name", Message: "name: a section named " + name + " exists"}
}

// EnsureSections makes the workspace's default sections (Greeting,
// Payment, Delivery, Common) in locale the first time anyone of it opens
// quick answers; later calls change nothing, even after the sections were
// renamed or deleted.
func (s *Store) EnsureSections(ctx context.Context, wsID, locale string) error {
	var seeded bool
	err := s.read.QueryRowContext(ctx, `SELECT quick_sections_seeded FROM workspaces WHERE id = $1`, wsID).Scan(&seeded)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf("workspace %s not found", wsID)
	}
	if err != nil || seeded {
		return dbErr(err, "read quick answer sections")
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		if err := t.row(qSeeded, []any{wsID}, &seeded); err != nil || seeded {
			return err
		}
		now := micros(s.now())
		for i, name := range quickanswer.DefaultSections(locale) {
			if _, err := t.exec(qInsertSection, newID(), wsID, name, i, now); err != nil {
				if isUniqueViolation(err) {
					continue // made by hand before: kept as it is
				}
				return err
			}
		}
		_, err := t.exec(qSetSeeded, wsID)
		return err
	}), "make quick answer sections")
}

// ListSections returns the workspace's sections in order, each with how
// many answers it holds.
func (s *Store) ListSections(ctx context.Context, wsID string) ([]quickanswer.Section, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT s.id, s.name, s.position, s.created_at, s.updated_at,
		(SELECT COUNT(*) FROM quick_answers a WHERE a.section_id = s.id)
		FROM quick_sections s WHERE s.workspace_id = $1 ORDER BY s.position, s.name, s.id`, wsID)
	if err != nil {
		return nil, dbErr(err, "list quick answer sections")
	}
	ss, err := collect(rows, func(sc interface{ Scan(...any) error }) (quickanswer.Section, error) {
		var s quickanswer.Section
		var c, u int64
		err := sc.Scan(&s.ID, &s.Name, &s.Position, &c, &u, &s.Answers)
		s.CreatedAt, s.UpdatedAt = fromMicros(c), fromMicros(u)
		return s, err
	})
	return ss, dbErr(err, "list quick answer sections")
}

// CreateSection adds a section at the end.
func (s *Store) CreateSection(ctx context.Context, wsID, name string) (quickanswer.Section, error) {
	name, err := quickanswer.ValidateSectionName(name)
	if err != nil {
		return quickanswer.Section{}, err
	}
	sec := quickanswer.Section{ID: newID(), Name: name, CreatedAt: s.now()}
	sec.UpdatedAt = sec.CreatedAt
	err = s.inTx(ctx, func(t *tx) error {
		if err := t.row(qNextSection, []any{wsID}, &sec.Position); err != nil {
			return err
		}
		if _, err := t.exec(qInsertSection, sec.ID, wsID, sec.Name, sec.Position, micros(sec.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return sectionNameTaken(name)
			}
			return err
		}
		return t.audit(wsID, "quick_section", sec.ID, "create", nil, sec)
	})
	return sec, dbErr(err, "create quick answer section")
}

func (t *tx) section(wsID, id string) (quickanswer.Section, error) {
	sec, err := scanSection(t.stmt(qLockSection).QueryRowContext(t.ctx, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sec, apperr.NotFoundf("section %s not found", id)
	}
	return sec, err
}

// UpdateSection renames or moves a section (nil keeps the field).
func (s *Store) UpdateSection(ctx context.Context, wsID, id string, name *string, position *int) (quickanswer.Section, error) {
	var out quickanswer.Section
	err := s.inTx(ctx, func(t *tx) error {
		old, err := t.section(wsID, id)
		if err != nil {
			return err
		}
		sec := old
		if name != nil {
			if sec.Name, err = quickanswer.ValidateSectionName(*name); err != nil {
				return err
			}
		}
		if position != nil {
			if *position < 0 || *position > 10000 {
				return apperr.FieldError("position", "is not a number in 0..10000")
			}
			sec.Position = *position
		}
		sec.UpdatedAt = s.now()
		if _, err := t.exec(qUpdateSection, wsID, id, sec.Name, sec.Position, micros(sec.UpdatedAt)); err != nil {
			if isUniqueViolation(err) {
				return sectionNameTaken(sec.Name)
			}
			return err
		}
		if err := t.row(qSectionCount, []any{id}, &sec.Answers); err != nil {
			return err
		}
		out = sec
		return t.audit(wsID, "quick_section", id, "update", old, sec)
	})
	return out, dbErr(err, "update quick answer section")
}

// DeleteSection deletes a section. One that holds answers is deleted only
// with moveTo, another section of the workspace, which takes its answers.
func (s *Store) DeleteSection(ctx context.Context, wsID, id, moveTo string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		old, err := t.section(wsID, id)
		if err != nil {
			return err
		}
		if err := t.row(qSectionCount, []any{id}, &old.Answers); err != nil {
			return err
		}
		if old.Answers > 0 {
			if moveTo == "" {
				return &apperr.Error{Code: apperr.Conflict, Field: "move_to",
					Message: "section " + old.Name + " holds answers: name the section that takes them (move_to), or delete them first"}
			}
			if moveTo == id {
				return apperr.FieldError("move_to", "is the section being deleted")
			}
			if _, err := t.section(wsID, moveTo); err != nil {
				return apperr.FieldError("move_to", "section %s not found", moveTo)
			}
			if _, err := t.exec(qMoveAnswers, id, moveTo); err != nil {
				return err
			}
		}
		if _, err := t.exec(qDeleteSection, wsID, id); err != nil {
			return err
		}
		return t.audit(wsID, "quick_section", id, "delete", old, map[string]any{"answers_moved_to": moveTo})
	}), "delete quick answer section")
}

func (t *tx) answer(wsID, id string) (quickanswer.Answer, error) {
	a, err := scanAnswer(t.stmt(qLockAnswer).QueryRowContext(t.ctx, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFoundf("quick answer %s not found", id)
	}
	if err != nil {
		return a, err
	}
	a.LineIDs, err = queryStrings(t, qAnswerLines, id)
	return a, err
}

// checkRefs refuses a section or a line that is not the workspace's.
func (t *tx) checkRefs(wsID string, a quickanswer.Answer) error {
	if _, err := t.section(wsID, a.SectionID); err != nil {
		return apperr.FieldError("section_id", "section %s not found", a.SectionID)
	}
	for _, l := range a.LineIDs {
		var n int
		if err := t.row(qLineInWS, []any{wsID, l}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.FieldError("line_ids", "line %s not found", l)
		}
	}
	return nil
}

func (t *tx) setAnswerLines(id string, lines []string) error {
	if _, err := t.exec(qClearAnswerLines, id); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := t.exec(qInsertAnswerLine, id, l); err != nil {
			return err
		}
	}
	return nil
}

// idByKey returns the id of the workspace's answer with text's key ("" when none).
func (t *tx) idByKey(wsID, text string) (string, error) {
	var id string
	err := t.row(qAnswerByKey, []any{wsID, quickanswer.Key(text)}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// insertAnswer stores a prepared new answer with its lines.
func (t *tx) insertAnswer(wsID string, a *quickanswer.Answer) error {
	if err := t.checkRefs(wsID, *a); err != nil {
		return err
	}
	actor := actorOf(t.ctx)
	a.ID, a.CreatedAt = newID(), t.s.now()
	a.UpdatedAt = a.CreatedAt
	if actor.ID != "" {
		a.CreatedBy, a.UpdatedBy = &actor.ID, &actor.ID
	}
	if _, err := t.exec(qInsertAnswer, a.ID, wsID, a.SectionID, a.Title, a.Text, quickanswer.SearchText(*a), quickanswer.Key(a.Text),
		len(a.LineIDs) == 0, a.SourceMessageID, a.CreatedBy, micros(a.CreatedAt)); err != nil {
		return err
	}
	if err := t.setAnswerLines(a.ID, a.LineIDs); err != nil {
		return err
	}
	return t.audit(wsID, "quick_answer", a.ID, "create", nil, a)
}

// CreateAnswer stores a new answer. When the workspace has an answer with
// the same text (quickanswer.Key), that one is returned instead and
// created is false: identical texts are never duplicated.
func (s *Store) CreateAnswer(ctx context.Context, wsID string, a quickanswer.Answer) (out quickanswer.Answer, created bool, err error) {
	if err := quickanswer.Prepare(&a, false); err != nil {
		return a, false, err
	}
	err = s.inTx(ctx, func(t *tx) error {
		created = false
		id, err := t.idByKey(wsID, a.Text)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = t.answer(wsID, id)
			return err
		}
		out, created = a, true
		return t.insertAnswer(wsID, &out)
	})
	return out, created, dbErr(err, "create quick answer")
}

// GetAnswer returns one answer with its lines.
func (s *Store) GetAnswer(ctx context.Context, wsID, id string) (quickanswer.Answer, error) {
	a, err := scanAnswer(s.read.QueryRowContext(ctx, `SELECT `+answerCols+` FROM quick_answers WHERE workspace_id = $1 AND id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFoundf("quick answer %s not found", id)
	}
	if err != nil {
		return a, dbErr(err, "get quick answer")
	}
	as := []quickanswer.Answer{a}
	err = s.fillAnswerLines(ctx, as)
	return as[0], err
}

// UpdateAnswer applies change to an answer in one transaction. A title
// that followed the text (left empty) follows the new text. Changing the
// text to another answer's is refused (409), naming that answer.
func (s *Store) UpdateAnswer(ctx context.Context, wsID, id string, change func(*quickanswer.Answer) error) (quickanswer.Answer, error) {
	var out quickanswer.Answer
	err := s.inTx(ctx, func(t *tx) error {
		old, err := t.answer(wsID, id)
		if err != nil {
			return err
		}
		a := old
		a.LineIDs = slices.Clone(old.LineIDs)
		if err := change(&a); err != nil {
			return err
		}
		out, err = t.updateAnswer(wsID, old, a)
		return err
	})
	return out, dbErr(err, "update quick answer")
}

func (t *tx) updateAnswer(wsID string, old, a quickanswer.Answer) (quickanswer.Answer, error) {
	auto := a.Title == old.Title && old.Title == quickanswer.AutoTitle(old.Text)
	if err := quickanswer.Prepare(&a, auto); err != nil {
		return a, err
	}
	if err := t.checkRefs(wsID, a); err != nil {
		return a, err
	}
	if other, err := t.idByKey(wsID, a.Text); err != nil {
		return a, err
	} else if other != "" && other != a.ID {
		return a, &apperr.Error{Code: apperr.Conflict, Field: "text", Message: "text: quick answer " + other + " has this text already"}
	}
	actor := actorOf(t.ctx)
	a.UpdatedAt = t.s.now()
	if actor.ID != "" {
		a.UpdatedBy = &actor.ID
	}
	if _, err := t.exec(qUpdateAnswer, wsID, a.ID, a.SectionID, a.Title, a.Text, quickanswer.SearchText(a), quickanswer.Key(a.Text),
		len(a.LineIDs) == 0, a.UpdatedBy, micros(a.UpdatedAt)); err != nil {
		return a, err
	}
	if !slices.Equal(old.LineIDs, a.LineIDs) {
		if err := t.setAnswerLines(a.ID, a.LineIDs); err != nil {
			return a, err
		}
	}
	return a, t.audit(wsID, "quick_answer", a.ID, "update", old, a)
}

// DeleteAnswer deletes an answer.
func (s *Store) DeleteAnswer(ctx context.Context, wsID, id string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		old, err := t.answer(wsID, id)
		if err != nil {
			return err
		}
		if _, err := t.exec(qClearAnswerLines, id); err != nil {
			return err
		}
		if _, err := t.exec(qDeleteAnswer, wsID, id); err != nil {
			return err
		}
		return t.audit(wsID, "quick_answer", id, "delete", old, nil)
	}), "delete quick answer")
}

// UseAnswer counts one more use of an answer (a message sent with it) and
// returns the new count.
func (s *Store) UseAnswer(ctx context.Context, wsID, id string) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(t *tx) error {
		err := t.row(qUseAnswer, []any{wsID, id}, &n)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("quick answer %s not found", id)
		}
		return err
	})
	return n, dbErr(err, "count a quick answer's use")
}

// SaveMessage saves an operator's message as a quick answer in sectionID
// (title "" follows the text). Saving the same message again updates the
// answer saved from it (section, title, text as the message has it); a
// message whose text an answer has already returns that answer. created
// says a new answer was made.
func (s *Store) SaveMessage(ctx context.Context, wsID, messageID, sectionID, title string) (out quickanswer.Answer, created bool, err error) {
	err = s.inTx(ctx, func(t *tx) error {
		created = false
		var dir, kind, text string
		var author sql.NullString
		err := t.row(qSavedMessage, []any{wsID, messageID}, &dir, &kind, &author, &text)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("message %s not found", messageID)
		}
		if err != nil {
			return err
		}
		if dir != "out" || !author.Valid || (kind != dialog.KindText && kind != dialog.KindNote) {
			return apperr.New(apperr.Invalid, "message %s is not an operator's message: only those are saved as quick answers", messageID)
		}
		var id string
		switch err := t.row(qAnswerBySource, []any{wsID, messageID}, &id); {
		case err == nil:
			old, err := t.answer(wsID, id)
			if err != nil {
				return err
			}
			a := old
			a.Text, a.SectionID = text, sectionID
			if strings.TrimSpace(title) != "" {
				a.Title = title
			}
			out, err = t.updateAnswer(wsID, old, a)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		a := quickanswer.Answer{SectionID: sectionID, Title: title, Text: text, SourceMessageID: &messageID}
		if err := quickanswer.Prepare(&a, false); err != nil {
			return err
		}
		if id, err = t.idByKey(wsID, a.Text); err != nil {
			return err
		} else if id != "" {
			out, err = t.answer(wsID, id)
			return err
		}
		out, created = a, true
		return t.insertAnswer(wsID, &out)
	})
	return out, created, dbErr(err, "save a message as a quick answer")
}
