package httpapi

import (
	"net/http"
	"time"

	"github.com/openlines/openlines/internal/apperr"
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

// mayManageAbsences: administrators for anyone, others for themselves.
func mayManageAbsences(p principal, userID string) error {
	if p.User.Role != user.Administrator && p.User.ID != userID {
		return apperr.New(apperr.Forbidden, "only an administrator may manage other users' absences")
	}
	return nil
}

func (s *Server) listAbsences(w http.ResponseWriter, r *http.Request, p principal) error {
	as, err := s.store.ListAbsences(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"absences": as})
	return nil
}

func (s *Server) createAbsence(w http.ResponseWriter, r *http.Request, p principal) error {
	id := r.PathValue("id")
	if err := mayManageAbsences(p, id); err != nil {
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
	if err := mayManageAbsences(p, id); err != nil {
		return err
	}
	if err := s.store.DeleteAbsence(r.Context(), p.ws(), id, r.PathValue("absence_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionAction runs take or skip and answers with the session's dialog.
func (s *Server) sessionAction(w http.ResponseWriter, r *http.Request, p principal, act func(ws, session, user string) error) error {
	id := r.PathValue("id")
	if err := act(p.ws(), id, p.User.ID); err != nil {
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
	return s.sessionAction(w, r, p, func(ws, session, u string) error { return s.store.Take(r.Context(), ws, session, u) })
}

func (s *Server) skip(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.sessionAction(w, r, p, func(ws, session, u string) error { return s.store.Skip(r.Context(), ws, session, u) })
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.sessionAction(w, r, p, func(ws, session, u string) error { return s.store.Finish(r.Context(), ws, session, u) })
}
