package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/store"
)

func (s *Server) registerRights() {
	s.handle("GET /api/v1/permissions", member, s.listPermissions)
	s.handle("GET /api/v1/roles", member, s.listRoles)
	s.handle("POST /api/v1/roles", needs(access.RolesEdit), s.createRole)
	s.handle("PATCH /api/v1/roles/{id}", needs(access.RolesEdit), s.patchRole)
	s.handle("DELETE /api/v1/roles/{id}", needs(access.RolesEdit), s.deleteRole)
	s.handle("GET /api/v1/teams", member, s.listTeams)
	s.handle("POST /api/v1/teams", needs(access.SettingsEdit), s.createTeam)
	s.handle("GET /api/v1/teams/{id}", member, s.getTeam)
	s.handle("PATCH /api/v1/teams/{id}", needs(access.SettingsEdit), s.patchTeam)
	s.handle("DELETE /api/v1/teams/{id}", needs(access.SettingsEdit), s.deleteTeam)
	s.handle("GET /api/v1/audit", needs(access.SettingsEdit), s.listAudit)
}

// --- scope checks: a record outside the caller's scope is not found ---

// seeDialog returns the facts of a dialog the caller may see, or 404.
func (s *Server) seeDialog(ctx context.Context, p principal, dialogID string) (access.Session, error) {
	f, err := s.store.DialogFacts(ctx, p.ws(), dialogID)
	if err != nil {
		return f, err
	}
	if !p.Rights.Sees(f) {
		return f, apperr.NotFoundf("dialog %s not found", dialogID)
	}
	return f, nil
}

// seeSession returns the facts of a session whose dialog the caller may
// see, or 404.
func (s *Server) seeSession(ctx context.Context, p principal, sessionID string) (access.Session, error) {
	f, err := s.store.SessionFacts(ctx, p.ws(), sessionID)
	if err != nil {
		return f, err
	}
	if !p.Rights.Sees(f) {
		return f, apperr.NotFoundf("session %s not found", sessionID)
	}
	return f, nil
}

// within is whose records a permission's scope lets the caller list: nil
// for everyone.
func within(p principal, perm access.Permission) []string { return p.Rights.People(perm) }

// peopleScope is whose user records the caller sees: everyone with
// settings.edit, else as far as dialogs.view reaches.
func peopleScope(p principal) []string {
	if p.Rights.Can(access.SettingsEdit) {
		return nil
	}
	return within(p, access.DialogsView)
}

// seeUser is 404 for a user outside the caller's people scope (or not of
// the workspace), before any other check can tell that the user exists.
func (s *Server) seeUser(ctx context.Context, p principal, id string) error {
	ps := peopleScope(p)
	if ps == nil {
		_, err := s.store.GetUser(ctx, p.ws(), id)
		return err
	}
	for _, u := range ps {
		if u == id {
			return nil
		}
	}
	return apperr.NotFoundf("user %s not found", id)
}

// --- roles ---

func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request, p principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"permissions": access.Catalogue})
	return nil
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, p principal) error {
	rs, err := s.store.ListRoles(r.Context(), p.ws())
	return writeList(w, "roles", rs, err)
}

type roleRequest struct {
	Name        *string       `json:"name"`
	Permissions access.Grants `json:"permissions"`
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request, p principal) error {
	var req roleRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return apperr.FieldError("name", "is required")
	}
	if req.Permissions == nil {
		req.Permissions = access.Grants{}
	}
	role, err := s.store.CreateRole(r.Context(), p.ws(), *req.Name, req.Permissions)
	return writeResult(w, http.StatusCreated, role, err)
}

func (s *Server) patchRole(w http.ResponseWriter, r *http.Request, p principal) error {
	var req roleRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	role, err := s.store.UpdateRole(r.Context(), p.ws(), r.PathValue("id"), req.Name, req.Permissions)
	return writeResult(w, http.StatusOK, role, err)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.DeleteRole(r.Context(), p.ws(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- teams ---

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, p principal) error {
	ts, err := s.store.ListTeams(r.Context(), p.ws())
	return writeList(w, "teams", ts, err)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, p principal) error {
	t, err := s.store.GetTeam(r.Context(), p.ws(), r.PathValue("id"))
	return writeResult(w, http.StatusOK, t, err)
}

type teamRequest struct {
	Name    *string              `json:"name"`
	Members *[]access.TeamMember `json:"members"`
}

func (req teamRequest) apply(t *access.Department) {
	if req.Name != nil {
		t.Name = *req.Name
	}
	if req.Members != nil {
		t.Members = *req.Members
	}
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, p principal) error {
	var req teamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return apperr.FieldError("name", "is required")
	}
	var t access.Department
	req.apply(&t)
	t, err := s.store.CreateTeam(r.Context(), p.ws(), t)
	return writeResult(w, http.StatusCreated, t, err)
}

func (s *Server) patchTeam(w http.ResponseWriter, r *http.Request, p principal) error {
	var req teamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := s.store.UpdateTeam(r.Context(), p.ws(), r.PathValue("id"), func(t *access.Department) error {
		req.apply(t)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.DeleteTeam(r.Context(), p.ws(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- audit ---

var auditEntities = []string{"line", "channel", "user", "role", "team", "workspace"}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), ActorID: q.Get("actor_id"), Cursor: q.Get("cursor")}
	if f.Entity != "" && !slices.Contains(auditEntities, f.Entity) {
		return apperr.FieldError("entity", "%q is not one of line, channel, user, role, team, workspace", f.Entity)
	}
	var err error
	if f.From, err = timeParam(q.Get("from"), "from"); err != nil {
		return err
	}
	if f.To, err = timeParam(q.Get("to"), "to"); err != nil {
		return err
	}
	if f.Limit, err = intParam(q.Get("limit"), "limit", 50, 1, 200); err != nil {
		return err
	}
	page, err := s.store.ListAudit(r.Context(), p.ws(), f)
	return writeResult(w, http.StatusOK, page, err)
}

// tokenPermissions reads a new token's optional permission set: it must be
// within the caller's own rights.
//
// A token made by a token gets no more than that token's rights, so that a
// narrowed token cannot make itself an unrestricted one.
func tokenPermissions(raw json.RawMessage, p principal) (access.Grants, error) {
	if len(raw) == 0 || string(raw) == "null" {
		if p.ViaCookie {
			return nil, nil
		}
		g := access.Grants{}
		for k, v := range p.Rights.Grants {
			g[k] = v
		}
		return g, nil
	}
	var g access.Grants
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, apperr.FieldError("permissions", "must be an object of permission to scope, e.g. {\"dialogs.view\":\"own\"}")
	}
	if err := g.Validate("permissions"); err != nil {
		return nil, err
	}
	if !p.Rights.Grants.Covers(g) {
		return nil, apperr.New(apperr.Forbidden, "a token cannot have rights its user does not have")
	}
	return g, nil
}
