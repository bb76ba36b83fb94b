package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"slices"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
	"github.com/openlines/openlines/internal/quickanswer"
)

// Quick answers (SPEC §8). Reading is for everyone who can answer on a
// line: the answers shared with every line, and those shared with a line
// the caller works on (its queue), or with any line for whoever can act on
// any line's dialogs (lines.view, dialogs.intercept) or edits answers
// (quick_answers.edit). Editing answers and sections needs
// quick_answers.edit.
func (s *Server) registerQuickAnswers() {
	edit := needs(access.QuickAnswersEdit)
	s.handle("GET /api/v1/quick-answers", member, s.listQuickAnswers)
	s.handle("POST /api/v1/quick-answers", edit, s.createQuickAnswer)
	s.handle("GET /api/v1/quick-answers/{id}", member, s.getQuickAnswer)
	s.handle("PATCH /api/v1/quick-answers/{id}", edit, s.patchQuickAnswer)
	s.handle("DELETE /api/v1/quick-answers/{id}", edit, s.deleteQuickAnswer)
	s.handle("POST /api/v1/quick-answers/{id}/uses", member, s.useQuickAnswer)
	s.handle("POST /api/v1/messages/{id}/quick-answer", edit, s.saveMessageAnswer)
	s.handle("GET /api/v1/quick-answer-sections", member, s.listQuickSections)
	s.handle("POST /api/v1/quick-answer-sections", edit, s.createQuickSection)
	s.handle("PATCH /api/v1/quick-answer-sections/{id}", edit, s.patchQuickSection)
	s.handle("DELETE /api/v1/quick-answer-sections/{id}", edit, s.deleteQuickSection)
}

// answerReach is which lines' answers the caller reads: every line's, or
// those of lines (its queues).
func (s *Server) answerReach(ctx context.Context, p principal) (all bool, lines []string, err error) {
	r := p.Rights
	if r.Can(access.QuickAnswersEdit) || r.Can(access.LinesView) || r.Can(access.DialogsIntercept) {
		return true, nil, nil
	}
	ts, err := s.store.LineNames(ctx, p.ws(), p.User.ID)
	for _, t := range ts {
		lines = append(lines, t.ID)
	}
	return false, lines, err
}

// readsAnswer reports whether the caller reads a.
func (s *Server) readsAnswer(ctx context.Context, p principal, a quickanswer.Answer) error {
	all, lines, err := s.answerReach(ctx, p)
	if err != nil || all || len(a.LineIDs) == 0 {
		return err
	}
	for _, l := range a.LineIDs {
		if slices.Contains(lines, l) {
			return nil
		}
	}
	return apperr.NotFoundf("quick answer %s not found", a.ID)
}

// answerOfDialog checks that a is listed for a dialog the caller sees:
// shared with every line or with the dialog's.
func (s *Server) answerOfDialog(ctx context.Context, p principal, a quickanswer.Answer, dialogID string) error {
	if _, err := s.seeDialog(ctx, p, dialogID); err != nil {
		return err
	}
	d, err := s.store.GetDialog(ctx, p.ws(), dialogID)
	if err != nil || len(a.LineIDs) == 0 || slices.Contains(a.LineIDs, d.LineID) {
		return err
	}
	return apperr.NotFoundf("quick answer %s not found", a.ID)
}

// idQuery is an optional id of the query (its own name, not *_id).
func idQuery(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v != "" && !input.ID(v) {
		return "", apperr.FieldError(name, "%q is not a well-formed id", v)
	}
	return v, nil
}

// listQuickAnswers is the search: ?q= (a substring of title or text),
// ?section=, ?line= (the answers that line's operators read), ?dialog=
// (the line of a dialog the caller sees, with each answer's placeholders
// filled for it), ?cursor=, ?limit=; most used first.
func (s *Server) listQuickAnswers(w http.ResponseWriter, r *http.Request, p principal) error {
	var f quickanswer.Filter
	var err error
	qv := r.URL.Query()
	if f.Query, err = quickanswer.ParseQuery(qv.Get("q")); err != nil {
		return err
	}
	if f.Limit, err = intParam(qv.Get("limit"), "limit", 50, 1, 200); err != nil {
		return err
	}
	f.Cursor = qv.Get("cursor")
	var lineID, dialogID string
	if f.SectionID, err = idQuery(r, "section"); err == nil {
		if lineID, err = idQuery(r, "line"); err == nil {
			dialogID, err = idQuery(r, "dialog")
		}
	}
	if err != nil {
		return err
	}
	var fill *quickanswer.Values
	if dialogID != "" {
		if _, err := s.seeDialog(r.Context(), p, dialogID); err != nil {
			return err
		}
		d, err := s.store.GetDialog(r.Context(), p.ws(), dialogID)
		if err != nil {
			return err
		}
		l, err := s.store.GetLine(r.Context(), p.ws(), d.LineID)
		if err != nil {
			return err
		}
		if lineID != "" && lineID != d.LineID {
			return apperr.FieldError("line", "is not the dialog's line")
		}
		lineID = d.LineID
		fill = &quickanswer.Values{Customer: d.Customer.Name, Operator: p.User.Name, Line: l.Name}
	}
	all, lines, err := s.answerReach(r.Context(), p)
	if err != nil {
		return err
	}
	switch {
	case lineID != "":
		if !all && !slices.Contains(lines, lineID) && dialogID == "" {
			return apperr.NotFoundf("line %s not found", lineID)
		}
		if _, err := s.store.GetLine(r.Context(), p.ws(), lineID); err != nil {
			return err
		}
		f.Lines = []string{lineID}
	case all:
		f.AllLines = true
	default:
		f.Lines = lines
	}
	if err := s.store.EnsureSections(r.Context(), p.ws(), callerLocale(r, p)); err != nil {
		return err
	}
	page, err := s.store.SearchAnswers(r.Context(), p.ws(), f)
	if err != nil {
		return err
	}
	if fill != nil {
		for i := range page.Answers {
			t := quickanswer.Fill(page.Answers[i].Text, *fill)
			page.Answers[i].Filled = &t
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// answerRequest is an answer's JSON with every field optional.
type answerRequest struct {
	SectionID *string   `json:"section_id"`
	Title     *string   `json:"title"`
	Text      *string   `json:"text"`
	LineIDs   *[]string `json:"line_ids"`
}

func (req answerRequest) apply(a *quickanswer.Answer) {
	if req.SectionID != nil {
		a.SectionID = *req.SectionID
	}
	if req.Title != nil {
		a.Title = *req.Title
	}
	if req.Text != nil {
		a.Text = *req.Text
	}
	if req.LineIDs != nil {
		a.LineIDs = *req.LineIDs
	}
}

// createQuickAnswer answers 201 with a new answer, or 200 with the
// existing one whose text is the same.
func (s *Server) createQuickAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	var req answerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return apperr.FieldError("text", "is required")
	}
	var a quickanswer.Answer
	req.apply(&a)
	if a.SectionID == "" {
		id, err := s.lastSection(r, p)
		if err != nil {
			return err
		}
		a.SectionID = id
	}
	a, created, err := s.store.CreateAnswer(r.Context(), p.ws(), a)
	if err != nil {
		return err
	}
	writeJSON(w, createdOr(created), a)
	return nil
}

func createdOr(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// lastSection is where an answer goes when no section is named: the last
// one (Common among the defaults).
func (s *Server) lastSection(r *http.Request, p principal) (string, error) {
	if err := s.store.EnsureSections(r.Context(), p.ws(), callerLocale(r, p)); err != nil {
		return "", err
	}
	ss, err := s.store.ListSections(r.Context(), p.ws())
	if err != nil {
		return "", err
	}
	if len(ss) == 0 {
		return "", apperr.FieldError("section_id", "is required: the workspace has no section yet, create one first")
	}
	return ss[len(ss)-1].ID, nil
}

func (s *Server) getQuickAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := s.store.GetAnswer(r.Context(), p.ws(), r.PathValue("id"))
	if err == nil {
		err = s.readsAnswer(r.Context(), p, a)
	}
	return writeResult(w, http.StatusOK, a, err)
}

func (s *Server) patchQuickAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	var req answerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.store.UpdateAnswer(r.Context(), p.ws(), r.PathValue("id"), func(a *quickanswer.Answer) error {
		req.apply(a)
		return nil
	})
	return writeResult(w, http.StatusOK, a, err)
}

func (s *Server) deleteQuickAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.DeleteAnswer(r.Context(), p.ws(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// useQuickAnswer counts a message sent with the answer; ?dialog= names the
// dialog it was sent in, whose line's answers the caller reads (as the
// search with ?dialog= lists them).
func (s *Server) useQuickAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	dialogID, err := idQuery(r, "dialog")
	if err != nil {
		return err
	}
	a, err := s.store.GetAnswer(r.Context(), p.ws(), r.PathValue("id"))
	if err == nil && dialogID != "" {
		err = s.answerOfDialog(r.Context(), p, a, dialogID)
	} else if err == nil {
		err = s.readsAnswer(r.Context(), p, a)
	}
	if err != nil {
		return err
	}
	n, err := s.store.UseAnswer(r.Context(), p.ws(), a.ID)
	return writeResult(w, http.StatusOK, map[string]int64{"usage": n}, err)
}

// saveMessageAnswer saves an operator's message of a dialog the caller
// sees as a quick answer: 201 when new, 200 when the message was saved
// before (that answer, updated) or an answer has its text already. The
// body is optional: the message is the whole of "one action".
func (s *Server) saveMessageAnswer(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		SectionID *string `json:"section_id"`
		Title     string  `json:"title"`
	}
	body, err := readBody(r)
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		err = decodeInto(body, &req)
	}
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	d, err := s.store.MessageDialog(r.Context(), p.ws(), id)
	if err != nil {
		return err
	}
	if _, err := s.seeDialog(r.Context(), p, d); err != nil {
		return apperr.NotFoundf("message %s not found", id)
	}
	var section string
	if req.SectionID != nil {
		section = *req.SectionID
	} else if section, err = s.lastSection(r, p); err != nil {
		return err
	}
	a, created, err := s.store.SaveMessage(r.Context(), p.ws(), id, section, req.Title)
	if err != nil {
		return err
	}
	writeJSON(w, createdOr(created), a)
	return nil
}

func (s *Server) listQuickSections(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.EnsureSections(r.Context(), p.ws(), callerLocale(r, p)); err != nil {
		return err
	}
	ss, err := s.store.ListSections(r.Context(), p.ws())
	return writeList(w, "sections", ss, err)
}

func (s *Server) createQuickSection(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.store.EnsureSections(r.Context(), p.ws(), callerLocale(r, p)); err != nil {
		return err
	}
	sec, err := s.store.CreateSection(r.Context(), p.ws(), req.Name)
	return writeResult(w, http.StatusCreated, sec, err)
}

func (s *Server) patchQuickSection(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Name     *string `json:"name"`
		Position *int    `json:"position"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	sec, err := s.store.UpdateSection(r.Context(), p.ws(), r.PathValue("id"), req.Name, req.Position)
	return writeResult(w, http.StatusOK, sec, err)
}

// deleteQuickSection deletes a section; ?move_to= names the section that
// takes its answers (required when it has any).
func (s *Server) deleteQuickSection(w http.ResponseWriter, r *http.Request, p principal) error {
	moveTo, err := idQuery(r, "move_to")
	if err != nil {
		return err
	}
	if err := s.store.DeleteSection(r.Context(), p.ws(), r.PathValue("id"), moveTo); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
