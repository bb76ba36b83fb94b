package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
)

var (
	qLockTeam     = q(`SELECT id, name, created_at, updated_at FROM teams WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qInsertTeam   = q(`INSERT INTO teams (id, workspace_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`)
	qUpdateTeam   = q(`UPDATE teams SET name = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2`)
	qDeleteTeam   = q(`DELETE FROM teams WHERE workspace_id = $1 AND id = $2`)
	qTeamMembers  = q(`SELECT user_id, head FROM team_members WHERE team_id = $1 ORDER BY head DESC, user_id`)
	qClearMembers = q(`DELETE FROM team_members WHERE team_id = $1`)
	qInsertMember = q(`INSERT INTO team_members (team_id, user_id, head) VALUES ($1, $2, $3)`)
)

func teamNameTaken(name string) error {
	return &apperr.Error{Code: apperr.Conflict, Field: "name", Message: "name: a team named " + name + " exists"}
}

// ListTeams returns the workspace's teams with their members, by name.
func (s *Store) ListTeams(ctx context.Context, wsID string) ([]access.Department, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created_at, updated_at FROM teams WHERE workspace_id = $1 ORDER BY name, id`, wsID)
	if err != nil {
		return nil, dbErr(err, "list teams")
	}
	ts, err := collect(rows, scanTeam)
	if err != nil {
		return nil, dbErr(err, "list teams")
	}
	byID := map[string]*access.Department{}
	for i := range ts {
		ts[i].Members = []access.TeamMember{}
		byID[ts[i].ID] = &ts[i]
	}
	rows, err = s.read.QueryContext(ctx, `SELECT m.team_id, m.user_id, m.head FROM team_members m JOIN teams t ON t.id = m.team_id
		WHERE t.workspace_id = $1 ORDER BY m.head DESC, m.user_id`, wsID)
	if err != nil {
		return nil, dbErr(err, "list teams")
	}
	defer rows.Close()
	for rows.Next() {
		var tid string
		var m access.TeamMember
		if err := rows.Scan(&tid, &m.UserID, &m.Head); err != nil {
			return nil, dbErr(err, "list teams")
		}
		if t := byID[tid]; t != nil {
			t.Members = append(t.Members, m)
		}
	}
	return ts, dbErr(rows.Err(), "list teams")
}

func scanTeam(sc interface{ Scan(...any) error }) (access.Department, error) {
	var t access.Department
	var c, u int64
	err := sc.Scan(&t.ID, &t.Name, &c, &u)
	t.CreatedAt, t.UpdatedAt = fromMicros(c), fromMicros(u)
	return t, err
}

// GetTeam returns one team with its members.
func (s *Store) GetTeam(ctx context.Context, wsID, id string) (access.Department, error) {
	ts, err := s.ListTeams(ctx, wsID)
	if err != nil {
		return access.Department{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return access.Department{}, apperr.NotFoundf("team %s not found", id)
}

func (t *tx) team(wsID, id string) (access.Department, error) {
	d, err := scanTeam(t.stmt(qLockTeam).QueryRowContext(t.ctx, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, apperr.NotFoundf("team %s not found", id)
	}
	if err != nil {
		return d, err
	}
	rows, err := t.query(qTeamMembers, id)
	if err != nil {
		return d, err
	}
	d.Members, err = collect(rows, func(sc interface{ Scan(...any) error }) (access.TeamMember, error) {
		var m access.TeamMember
		return m, sc.Scan(&m.UserID, &m.Head)
	})
	return d, err
}

// setMembers replaces a team's members; each must be a user of the workspace.
func (t *tx) setMembers(wsID, teamID string, ms []access.TeamMember) error {
	if _, err := t.exec(qClearMembers, teamID); err != nil {
		return err
	}
	for i, m := range ms {
		var n int
		if err := t.row(qUserInWS, []any{wsID, m.UserID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.FieldError("members", "members[%d]: user %s is not in this workspace", i, m.UserID)
		}
		if _, err := t.exec(qInsertMember, teamID, m.UserID, m.Head); err != nil {
			return err
		}
	}
	return nil
}

// CreateTeam stores a new team with its members.
func (s *Store) CreateTeam(ctx context.Context, wsID string, d access.Department) (access.Department, error) {
	if err := access.ValidateTeam(&d); err != nil {
		return d, err
	}
	d.ID = newID()
	d.CreatedAt = s.now()
	d.UpdatedAt = d.CreatedAt
	if d.Members == nil {
		d.Members = []access.TeamMember{}
	}
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(qInsertTeam, d.ID, wsID, d.Name, micros(d.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return teamNameTaken(d.Name)
			}
			return err
		}
		if err := t.setMembers(wsID, d.ID, d.Members); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.RightsChanged, WorkspaceID: wsID, Reason: "team"})
		return t.audit(wsID, "team", d.ID, "create", nil, d)
	})
	return d, dbErr(err, "create team")
}

// UpdateTeam applies change to a team (name, members) in one transaction.
func (s *Store) UpdateTeam(ctx context.Context, wsID, id string, change func(*access.Department) error) (access.Department, error) {
	var out access.Department
	err := s.inTx(ctx, func(t *tx) error {
		old, err := t.team(wsID, id)
		if err != nil {
			return err
		}
		d := old
		d.Members = append([]access.TeamMember(nil), old.Members...)
		if err := change(&d); err != nil {
			return err
		}
		if err := access.ValidateTeam(&d); err != nil {
			return err
		}
		d.UpdatedAt = s.now()
		if _, err := t.exec(qUpdateTeam, wsID, id, d.Name, micros(d.UpdatedAt)); err != nil {
			if isUniqueViolation(err) {
				return teamNameTaken(d.Name)
			}
			return err
		}
		if err := t.setMembers(wsID, id, d.Members); err != nil {
			return err
		}
		if !sameMembers(old.Members, d.Members) {
			t.emit(events.Event{Type: events.RightsChanged, WorkspaceID: wsID, Reason: "team"})
		}
		out = d
		return t.audit(wsID, "team", id, "update", old, d)
	})
	return out, dbErr(err, "update team")
}

// DeleteTeam deletes a team; its members stay users.
func (s *Store) DeleteTeam(ctx context.Context, wsID, id string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		old, err := t.team(wsID, id)
		if err != nil {
			return err
		}
		if _, err := t.exec(qClearMembers, id); err != nil {
			return err
		}
		if _, err := t.exec(qDeleteTeam, wsID, id); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.RightsChanged, WorkspaceID: wsID, Reason: "team"})
		return t.audit(wsID, "team", id, "delete", old, nil)
	}), "delete team")
}

// sameMembers compares two member lists as sets.
func sameMembers(a, b []access.TeamMember) bool {
	key := func(ms []access.TeamMember) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = fmt.Sprint(m.UserID, m.Head)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}
