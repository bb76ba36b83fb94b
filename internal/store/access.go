package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/input"
	"github.com/openlines/openlines/internal/user"
)

var (
	qRoleInWS      = q(`SELECT permissions FROM roles WHERE workspace_id = $1 AND id = $2`)
	qLockRole      = q(`SELECT id, name, permissions FROM roles WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qInsertRole    = q(`INSERT INTO roles (id, workspace_id, name, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`)
	qUpdateRole    = q(`UPDATE roles SET name = $3, permissions = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2`)
	qDeleteRole    = q(`DELETE FROM roles WHERE workspace_id = $1 AND id = $2`)
	qRoleUsers     = q(`SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND role_id = $2`)
	qRoleHolders   = q(`SELECT COALESCE(role_id, role), COUNT(*) FROM users WHERE workspace_id = $1 AND active GROUP BY COALESCE(role_id, role)`)
	qCustomGrants  = q(`SELECT id, permissions FROM roles WHERE workspace_id = $1`)
	qTeammates     = q(`SELECT DISTINCT o.user_id FROM team_members m JOIN team_members o ON o.team_id = m.team_id WHERE m.user_id = $1`)
	qTokenGrants   = q(`SELECT permissions FROM api_tokens WHERE token_hash = $1`)
	qSessionFacts  = q(`SELECT s.id, s.status, COALESCE(s.operator_id, '') FROM sessions s WHERE s.workspace_id = $1 AND s.id = $2`)
	qDialogFacts   = q(`SELECT COALESCE(d.session_id, ''), COALESCE(s.status, ''), COALESCE(s.operator_id, '') FROM dialogs d LEFT JOIN sessions s ON s.id = d.session_id WHERE d.workspace_id = $1 AND d.id = $2`)
	qSessionPeople = q(`SELECT 'o', user_id FROM session_offers WHERE session_id = $1 UNION ALL SELECT 'j', user_id FROM session_participants WHERE session_id = $1`)
)

// checkRole verifies that a role key is predefined or a custom role of the
// workspace.
func (t *tx) checkRole(wsID string, r user.Role) error {
	if access.IsPredefined(string(r)) {
		return nil
	}
	var perms string
	err := t.row(qRoleInWS, []any{wsID, string(r)}, &perms)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.FieldError("role", "no role %q in this workspace (administrator, director, manager or a custom role's id)", r)
	}
	return err
}

// userGrants returns what a user's role grants while active (none when
// inactive).
func userGrants(grants map[string]access.Grants, u user.User) access.Grants {
	if !u.Active {
		return access.Grants{}
	}
	return grants[string(u.Role)]
}

// grantsOf returns the grants of every role of the workspace by key.
func (t *tx) grantsOf(wsID string) (map[string]access.Grants, error) {
	out := map[string]access.Grants{}
	for _, r := range access.Predefined() {
		out[r.Key] = r.Grants
	}
	rows, err := t.query(qCustomGrants, wsID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, perms string
		if err := rows.Scan(&id, &perms); err != nil {
			return nil, err
		}
		g, err := access.DecodeGrants(perms)
		if err != nil {
			return nil, err
		}
		out[id] = g
	}
	return out, rows.Err()
}

// lostGuardians are the guardian permissions that before has and after
// lacks.
func lostGuardians(before, after access.Grants) []access.Permission {
	var out []access.Permission
	for _, p := range access.Guardians {
		if before.Get(p) == access.All && after.Get(p) != access.All {
			out = append(out, p)
		}
	}
	return out
}

// keepGuardians refuses a change that took the guardian permissions lost
// from someone when it leaves the workspace with no active user who has
// one of them (roles.edit, settings.edit). It runs after the change, inside
// its transaction, so that the refusal rolls it back.
// grants are the workspace's roles' as the change leaves them (grantsOf).
func (t *tx) keepGuardians(wsID, who string, grants map[string]access.Grants, lost []access.Permission) error {
	if len(lost) == 0 {
		return nil
	}
	rows, err := t.query(qRoleHolders, wsID)
	if err != nil {
		return err
	}
	defer rows.Close()
	held := map[access.Permission]int{}
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return err
		}
		for _, p := range access.Guardians {
			if grants[key].Get(p) == access.All {
				held[p] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range lost {
		if held[p] == 0 {
			return apperr.New(apperr.Conflict, "%s would leave the workspace with no active user who has %s; give it to someone else first", who, p)
		}
	}
	return nil
}

// Rights resolves a user's rights: the role's grants, narrowed by the API
// token's set when tokenHash names a token, and the user's teammates.
func (s *Store) Rights(ctx context.Context, u user.User, tokenHash string) (access.Rights, error) {
	var g access.Grants
	if r, ok := access.PredefinedRole(string(u.Role)); ok {
		g = r.Grants
	} else {
		var perms string
		err := s.read.QueryRowContext(ctx, s.sqlOf(qRoleInWS), u.WorkspaceID, string(u.Role)).Scan(&perms)
		if errors.Is(err, sql.ErrNoRows) {
			g = access.Grants{} // a role deleted under a cached user: nothing
		} else if err != nil {
			return access.Rights{}, dbErr(err, "read role")
		} else if g, err = access.DecodeGrants(perms); err != nil {
			return access.Rights{}, dbErr(err, "read role")
		}
	}
	narrowed := false
	if tokenHash != "" {
		var limit sql.NullString
		err := s.read.QueryRowContext(ctx, s.sqlOf(qTokenGrants), tokenHash).Scan(&limit)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return access.Rights{}, dbErr(err, "read token")
		}
		if limit.Valid {
			lg, err := access.DecodeGrants(limit.String)
			if err != nil {
				return access.Rights{}, dbErr(err, "read token")
			}
			g = g.Narrow(lg)
			narrowed = true
		}
	}
	rows, err := s.read.QueryContext(ctx, s.sqlOf(qTeammates), u.ID)
	if err != nil {
		return access.Rights{}, dbErr(err, "read teams")
	}
	mates, err := collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	if err != nil {
		return access.Rights{}, dbErr(err, "read teams")
	}
	r := access.NewRights(u.ID, string(u.Role), g, mates)
	r.Narrowed = narrowed
	return r, nil
}

// SessionFacts describes a session for the scope rules (by session id).
func (s *Store) SessionFacts(ctx context.Context, wsID, sessionID string) (access.Session, error) {
	var id, status, holder string
	err := s.read.QueryRowContext(ctx, s.sqlOf(qSessionFacts), wsID, sessionID).Scan(&id, &status, &holder)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Session{}, apperr.NotFoundf("session %s not found", sessionID)
	}
	if err != nil {
		return access.Session{}, dbErr(err, "read session")
	}
	return s.sessionPeople(ctx, id, status, holder)
}

// DialogFacts describes a dialog's latest session for the scope rules.
func (s *Store) DialogFacts(ctx context.Context, wsID, dialogID string) (access.Session, error) {
	var id, status, holder string
	err := s.read.QueryRowContext(ctx, s.sqlOf(qDialogFacts), wsID, dialogID).Scan(&id, &status, &holder)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Session{}, apperr.NotFoundf("dialog %s not found", dialogID)
	}
	if err != nil {
		return access.Session{}, dbErr(err, "read dialog")
	}
	return s.sessionPeople(ctx, id, status, holder)
}

func (s *Store) sessionPeople(ctx context.Context, sessionID, status, holder string) (access.Session, error) {
	f := access.Session{Holder: holder, Open: status != "" && status != "closed" && status != "spam"}
	if sessionID == "" {
		return f, nil
	}
	rows, err := s.read.QueryContext(ctx, s.sqlOf(qSessionPeople), sessionID)
	if err != nil {
		return f, dbErr(err, "read session")
	}
	defer rows.Close()
	for rows.Next() {
		var kind, id string
		if err := rows.Scan(&kind, &id); err != nil {
			return f, dbErr(err, "read session")
		}
		if kind == "o" {
			f.Offered = append(f.Offered, id)
		} else {
			f.Joined = append(f.Joined, id)
		}
	}
	return f, dbErr(rows.Err(), "read session")
}

// --- custom roles ---

// ListRoles returns the predefined roles and the workspace's custom ones,
// each with how many users hold it.
func (s *Store) ListRoles(ctx context.Context, wsID string) ([]access.Role, error) {
	counts := map[string]int{}
	rows, err := s.read.QueryContext(ctx, `SELECT COALESCE(role_id, role), COUNT(*) FROM users WHERE workspace_id = $1 GROUP BY COALESCE(role_id, role)`, wsID)
	if err != nil {
		return nil, dbErr(err, "list roles")
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return nil, dbErr(err, "list roles")
		}
		counts[k] = n
	}
	rows.Close()
	out := access.Predefined()
	rows, err = s.read.QueryContext(ctx, `SELECT id, name, permissions FROM roles WHERE workspace_id = $1 ORDER BY created_at, id`, wsID)
	if err != nil {
		return nil, dbErr(err, "list roles")
	}
	custom, err := collect(rows, scanRole)
	if err != nil {
		return nil, dbErr(err, "list roles")
	}
	out = append(out, custom...)
	for i := range out {
		out[i].Users = counts[out[i].Key]
	}
	return out, nil
}

func scanRole(sc interface{ Scan(...any) error }) (access.Role, error) {
	var r access.Role
	var perms string
	if err := sc.Scan(&r.Key, &r.Name, &perms); err != nil {
		return r, err
	}
	g, err := access.DecodeGrants(perms)
	r.Grants = g
	return r, err
}

// ValidateRoleName checks a custom role's name.
func validateRoleName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", apperr.FieldError("name", "is required, at most 100 characters")
	}
	if err := input.Text("name", name); err != nil {
		return "", err
	}
	for _, r := range access.Predefined() {
		if strings.EqualFold(r.Name, name) || strings.EqualFold(r.Key, name) {
			return "", apperr.FieldError("name", "%q is a predefined role's name", name)
		}
	}
	return name, nil
}

func roleNameTaken(name string) error {
	return &apperr.Error{Code: apperr.Conflict, Field: "name", Message: "name: a role named " + name + " exists"}
}

// CreateRole stores a custom role.
func (s *Store) CreateRole(ctx context.Context, wsID, name string, g access.Grants) (access.Role, error) {
	name, err := validateRoleName(name)
	if err != nil {
		return access.Role{}, err
	}
	if err := g.Validate("permissions"); err != nil {
		return access.Role{}, err
	}
	r := access.Role{Key: newID(), Name: name, Grants: g}
	err = s.inTx(ctx, func(t *tx) error {
		_, err := t.exec(qInsertRole, r.Key, wsID, name, g.Encode(), micros(s.now()))
		if isUniqueViolation(err) {
			return roleNameTaken(name)
		}
		if err != nil {
			return err
		}
		return t.audit(wsID, "role", r.Key, "create", nil, r)
	})
	return r, dbErr(err, "create role")
}

func (t *tx) lockRole(wsID, id string) (access.Role, error) {
	if access.IsPredefined(id) {
		return access.Role{}, apperr.New(apperr.Forbidden, "%s is a predefined role: it cannot be changed or deleted; create a custom role instead", id)
	}
	r, err := scanRole(t.stmt(qLockRole).QueryRowContext(t.ctx, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.NotFoundf("role %s not found", id)
	}
	return r, err
}

// UpdateRole renames a custom role or sets its permissions (nil keeps
// them). Its users' rights change at once (a user.changed event each).
func (s *Store) UpdateRole(ctx context.Context, wsID, id string, name *string, g access.Grants) (access.Role, error) {
	var out access.Role
	err := s.inTx(ctx, func(t *tx) error {
		old, err := t.lockRole(wsID, id)
		if err != nil {
			return err
		}
		r := old
		if name != nil {
			if r.Name, err = validateRoleName(*name); err != nil {
				return err
			}
		}
		if g != nil {
			if err := g.Validate("permissions"); err != nil {
				return err
			}
			r.Grants = g
		}
		if _, err := t.exec(qUpdateRole, wsID, id, r.Name, r.Grants.Encode(), micros(s.now())); err != nil {
			if isUniqueViolation(err) {
				return roleNameTaken(r.Name)
			}
			return err
		}
		grants, err := t.grantsOf(wsID)
		if err != nil {
			return err
		}
		if err := t.keepGuardians(wsID, "changing role "+old.Name, grants, lostGuardians(old.Grants, r.Grants)); err != nil {
			return err
		}
		if err := t.audit(wsID, "role", id, "update", old, r); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.RightsChanged, WorkspaceID: wsID, Reason: "role"})
		out = r
		return nil
	})
	return out, dbErr(err, "update role")
}

// DeleteRole deletes a custom role nobody holds.
func (s *Store) DeleteRole(ctx context.Context, wsID, id string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		old, err := t.lockRole(wsID, id)
		if err != nil {
			return err
		}
		var n int
		if err := t.row(qRoleUsers, []any{wsID, id}, &n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "role %s is held by %d user(s); give them another role first", old.Name, n)
		}
		if _, err := t.exec(qDeleteRole, wsID, id); err != nil {
			return err
		}
		return t.audit(wsID, "role", id, "delete", old, nil)
	}), "delete role")
}
