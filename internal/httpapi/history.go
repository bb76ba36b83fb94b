package httpapi

import (
	"net/http"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
)

// dialogHistory is the customer card beside the chat: who the customer is,
// the channel they write through, and the dialog's sessions, the latest
// first. Whoever may see the dialog may read it (seeDialog: 404 otherwise).
// Customers belong to one channel and have one dialog there, so these
// sessions are all the customer's history.
func (s *Server) dialogHistory(w http.ResponseWriter, r *http.Request, p principal) error {
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.seeDialog(r.Context(), p, id); err != nil {
		return err
	}
	d, err := s.store.GetDialog(r.Context(), p.ws(), id)
	if err != nil {
		return err
	}
	c, err := s.store.GetChannel(r.Context(), p.ws(), d.ChannelID)
	if err != nil {
		return err
	}
	ss, err := s.store.ListSessions(r.Context(), p.ws(), id, limit)
	if err != nil {
		return err
	}
	type channelView struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Name string `json:"name"`
	}
	writeJSON(w, http.StatusOK, struct {
		DialogID string           `json:"dialog_id"`
		Customer dialog.Customer  `json:"customer"`
		Channel  channelView      `json:"channel"`
		Sessions []dialog.Session `json:"sessions"`
	}{d.ID, d.Customer, channelView{c.ID, c.Type, c.Name}, ss})
	return nil
}

func (s *Server) listDialogs(w http.ResponseWriter, r *http.Request, p principal) error {
	f, err := listFilter(r, p)
	if err != nil {
		return err
	}
	if f.Limit, err = intParam(r.URL.Query().Get("limit"), "limit", 50, 1, 200); err != nil {
		return err
	}
	f.Cursor = r.URL.Query().Get("cursor")
	page, err := s.store.ListDialogs(r.Context(), p.ws(), f)
	if err == nil {
		err = s.store.FillUnread(r.Context(), p.User.ID, page.Dialogs)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// listFilter reads the dialog list's filters (the list and its CSV export)
// within the caller's dialogs.view scope.
func listFilter(r *http.Request, p principal) (dialog.ListFilter, error) {
	q := r.URL.Query()
	f := dialog.ListFilter{LineID: q.Get("line_id"), ChannelID: q.Get("channel_id"), OperatorID: q.Get("operator_id"), OfferedTo: q.Get("offered_to"), Status: q.Get("status")}
	if f.Status != "" && f.Status != dialog.StatusOpen && !validStatus(f.Status) {
		return f, apperr.FieldError("status", "%q is not one of open, %s", f.Status, strings.Join(dialog.Statuses, ", "))
	}
	var err error
	if f.From, err = timeParam(q.Get("from"), "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q.Get("to"), "to"); err != nil {
		return f, err
	}
	if f.Search, err = dialog.ParseSearch("q", q.Get("q")); err != nil {
		return f, err
	}
	if f.Rating, err = dialog.ParseRating("rating", q.Get("rating")); err != nil {
		return f, err
	}
	words, err := dialog.ParseText("text", q.Get("text"))
	if err != nil {
		return f, err
	}
	f.Text = strings.Join(words, " ")
	scope := p.Rights.ListScope()
	f.Scope = &scope
	return f, nil
}
