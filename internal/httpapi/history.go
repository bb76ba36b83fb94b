package httpapi

import (
	"net/http"

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
