package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
)

func (s *Server) registerRouting() {
	s.handle("PUT /api/v1/me/status", member, s.setStatus)
	s.handle("POST /api/v1/me/heartbeat", member, s.heartbeat)
	s.handle("GET /api/v1/users/{id}/absences", member, s.listAbsences)
	s.handle("POST /api/v1/users/{id}/absences", member, s.createAbsence)
	s.handle("DELETE /api/v1/users/{id}/absences/{absence_id}", member, s.deleteAbsence)
	s.handle("POST /api/v1/sessions/{id}/take", member, s.take)
	s.handle("POST /api/v1/sessions/{id}/skip", member, s.skip)
	s.handle("POST /api/v1/sessions/{id}/finish", member, s.finish)
	s.handle("POST /api/v1/sessions/{id}/spam", member, s.spam)
	s.handle("POST /api/v1/sessions/{id}/transfer", member, s.transfer)
	s.handle("POST /api/v1/sessions/{id}/intercept", member, s.intercept)
	s.handle("POST /api/v1/sessions/{id}/join", member, s.join)
	s.handle("POST /api/v1/sessions/{id}/pin", member, s.pin)
	s.handle("POST /api/v1/sessions/{id}/unpin", member, s.unpin)
	s.handle("POST /api/v1/sessions/{id}/vote", member, s.vote)
	s.handle("POST /api/v1/dialogs/{id}/notes", member, s.note)
	s.handle("GET /api/v1/transfer-targets", member, s.transferTargets)
	s.handle("POST /api/v1/ratings/{token}", public, s.rate)
	s.handle("GET /api/v1/ws", member, s.websocket)
	s.handle("POST /api/v1/channels/{id}/typing", inboundOf, s.customerTyping)
}

// websocket is the operator's real-time connection (events, typing).
func (s *Server) websocket(w http.ResponseWriter, r *http.Request, p principal) error {
	if s.cfg.Hub == nil {
		return apperr.New(apperr.Unavailable, "real-time updates are not enabled on this server")
	}
	s.cfg.Hub.Serve(w, r, realtime.Client{
		UserID: p.User.ID, WorkspaceID: p.ws(), AuthSession: user.SessionKey(p.credHash), Expires: p.expires,
		Online: func(ctx context.Context) error {
			_, err := s.store.SetPresence(ctx, p.ws(), p.User.ID, "")
			return err
		},
		Recheck: func(ctx context.Context) (bool, error) {
			var err error
			if p.ViaCookie {
				_, _, err = s.store.AuthSession(ctx, p.credHash)
			} else {
				_, err = s.store.UserByAPIToken(ctx, p.credHash)
			}
			if apperr.Is(err, apperr.Unauthorized) {
				return false, nil
			}
			return err == nil, err
		},
		Sees: p.Rights.SeesEvent,
		Typing: func(ctx context.Context, ev *events.Event) bool {
			return s.typingAudience(ctx, p, ev, false) == nil
		},
	})
	return nil
}

// typingAudience gives a typing event its dialog's audience, so that the
// hub's rights filter routes it like the dialog's other events; an error
// when the typer may not see the dialog.
func (s *Server) typingAudience(ctx context.Context, p principal, ev *events.Event, customer bool) error {
	var f access.Session
	var err error
	if customer { // from a connector: any dialog of the workspace
		f, err = s.store.DialogFacts(ctx, ev.WorkspaceID, ev.DialogID)
	} else {
		f, err = s.seeDialog(ctx, p, ev.DialogID)
	}
	if err != nil {
		return err
	}
	if f.Holder != "" {
		ev.Holders = []string{f.Holder}
	}
	ev.Audience = append(append(append([]string{}, ev.Holders...), f.Offered...), f.Joined...)
	return nil
}

// customerTyping lets a connector show operators that the customer types.
func (s *Server) customerTyping(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Customer struct {
			ExternalID string `json:"external_id"`
		} `json:"customer"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Customer.ExternalID == "" {
		return apperr.FieldError("customer.external_id", "is required")
	}
	channelID, err := channelOf(r, p)
	if err != nil {
		return err
	}
	dialogID, err := s.store.DialogOfCustomer(r.Context(), p.ws(), channelID, req.Customer.ExternalID)
	if err != nil {
		return err
	}
	if err := s.publishCustomerTyping(r.Context(), p.ws(), dialogID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Status string `json:"status"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Status == "" {
		return apperr.FieldError("status", "is required: online, away, dnd or offline")
	}
	pr, err := s.store.SetPresence(r.Context(), p.ws(), p.User.ID, req.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, p principal) error {
	pr, err := s.store.SetPresence(r.Context(), p.ws(), p.User.ID, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// mayManageAbsences: settings.edit for anyone, others for themselves.
func (s *Server) mayManageAbsences(r *http.Request, p principal, userID string) error {
	if err := s.seeUser(r.Context(), p, userID); err != nil {
		return err
	}
	if p.User.ID != userID && !p.Rights.Can(access.SettingsEdit) {
		return apperr.New(apperr.Forbidden, "managing other users' absences needs the settings.edit permission")
	}
	return nil
}

func (s *Server) listAbsences(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.seeUser(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	as, err := s.store.ListAbsences(r.Context(), p.ws(), r.PathValue("id"))
	return writeList(w, "absences", as, err)
}

func (s *Server) createAbsence(w http.ResponseWriter, r *http.Request, p principal) error {
	id := r.PathValue("id")
	if err := s.mayManageAbsences(r, p, id); err != nil {
		return err
	}
	var req struct {
		Kind     string    `json:"kind"`
		StartsAt time.Time `json:"starts_at"`
		EndsAt   time.Time `json:"ends_at"`
		Note     string    `json:"note"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.store.CreateAbsence(r.Context(), p.ws(), store.Absence{UserID: id, Kind: req.Kind, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Note: req.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) deleteAbsence(w http.ResponseWriter, r *http.Request, p principal) error {
	id := r.PathValue("id")
	if err := s.mayManageAbsences(r, p, id); err != nil {
		return err
	}
	if err := s.store.DeleteAbsence(r.Context(), p.ws(), id, r.PathValue("absence_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionAction runs an action on the session of the path, which must be
// in the caller's scope (else 404), after need approves the caller for it
// (else 403), and answers with the session's dialog.
func (s *Server) sessionAction(w http.ResponseWriter, r *http.Request, p principal, need access.Permission, act func(a store.Action) error) error {
	id := r.PathValue("id")
	f, err := s.seeSession(r.Context(), p, id)
	if err != nil {
		return err
	}
	if need != "" && !p.Rights.Covers(need, f) {
		return apperr.New(apperr.Forbidden, "this needs the %s permission for this session, which your role does not give", need)
	}
	a := store.Action{WorkspaceID: p.ws(), SessionID: id, UserID: p.User.ID, Privileged: p.Rights.Covers(access.DialogsIntercept, f)}
	if err := act(a); err != nil {
		return err
	}
	dialogID, err := s.store.DialogOfSession(r.Context(), p.ws(), id)
	if err != nil {
		return err
	}
	d, err := s.store.GetDialog(r.Context(), p.ws(), dialogID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) take(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.sessionAction(w, r, p, "", func(a store.Action) error { return s.store.Take(r.Context(), a.WorkspaceID, a.SessionID, a.UserID) })
}

func (s *Server) skip(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.sessionAction(w, r, p, "", func(a store.Action) error { return s.store.Skip(r.Context(), a.WorkspaceID, a.SessionID, a.UserID) })
}

// simpleAction answers a session action that takes no body with the dialog.
func (s *Server) simpleAction(need access.Permission, do func(ctx context.Context, a store.Action) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		return s.sessionAction(w, r, p, need, func(a store.Action) error { return do(r.Context(), a) })
	}
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction("", s.store.Finish)(w, r, p)
}

func (s *Server) spam(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction("", s.store.Spam)(w, r, p)
}

func (s *Server) pin(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction("", func(ctx context.Context, a store.Action) error { return s.store.Pin(ctx, a, true) })(w, r, p)
}

func (s *Server) unpin(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction("", func(ctx context.Context, a store.Action) error { return s.store.Pin(ctx, a, false) })(w, r, p)
}

func (s *Server) intercept(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction(access.DialogsIntercept, s.store.Intercept)(w, r, p)
}

func (s *Server) join(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.simpleAction(access.DialogsJoin, s.store.Join)(w, r, p)
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		UserID string `json:"user_id"`
		LineID string `json:"line_id"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	return s.sessionAction(w, r, p, "", func(a store.Action) error {
		return s.store.Transfer(r.Context(), a, req.UserID, req.LineID)
	})
}

func (s *Server) vote(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Score   int    `json:"score"`
		Comment string `json:"comment"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	return s.sessionAction(w, r, p, access.DialogsVote, func(a store.Action) error {
		return s.store.Vote(r.Context(), a, req.Score, req.Comment)
	})
}

func (s *Server) note(w http.ResponseWriter, r *http.Request, p principal) error {
	if _, err := s.seeDialog(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return s.writeToDialog(w, r, p, s.store.AddNote)
}

func (s *Server) transferTargets(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		return apperr.FieldError("q", "is longer than 200 bytes")
	}
	lines, users, err := s.store.TransferTargets(r.Context(), p.ws(), q, within(p, access.DialogsView))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": lines, "users": users})
	return nil
}

// rate takes a customer's rating: public, authorised by the token of the
// rating request, and callable cross-origin (a chat widget on any site).
func (s *Server) rate(w http.ResponseWriter, r *http.Request, p principal) error {
	req, err := decodeRating(r)
	if err != nil {
		return err
	}
	if err := s.store.Rate(r.Context(), r.PathValue("token"), req.value, req.comment); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "rated"})
	return nil
}

// rating is a customer's rating as a body gives it.
type rating struct {
	value   int
	comment string
}

// decodeRating reads {"value", "comment"?}: the ratings route's and the widget's.
func decodeRating(r *http.Request) (rating, error) {
	var req struct {
		Value   *int   `json:"value"`
		Comment string `json:"comment"`
	}
	if err := decode(r, &req); err != nil {
		return rating{}, err
	}
	if req.Value == nil {
		return rating{}, apperr.FieldError("value", "is required: 1 (like) or 0 (dislike), or 1 to 5 stars, as the line asks").With("required", nil)
	}
	return rating{*req.Value, req.Comment}, nil
}
