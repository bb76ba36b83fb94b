package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/workspace"
)

var (
	qInsertWorkspace = q(`INSERT INTO workspaces (id, name, plan, created_at, timezone) VALUES ($1, $2, $3, $4, $5)`)
	qLockWorkspace   = q(`SELECT plan FROM workspaces WHERE id = $1{{FOR_UPDATE}}`)
	qSetPlan         = q(`UPDATE workspaces SET plan = $2 WHERE id = $1`)
	qActiveLines     = q(`SELECT id FROM lines WHERE workspace_id = $1 AND active ORDER BY created_at, id`)
	qDeactivateLine  = q(`UPDATE lines SET active = FALSE, updated_at = $2 WHERE id = $1`)
)

const workspaceCols = `id, name, plan, created_at, timezone`

func scanWorkspace(sc interface{ Scan(...any) error }) (workspace.Workspace, error) {
	var w workspace.Workspace
	var created int64
	err := sc.Scan(&w.ID, &w.Name, &w.Plan, &created, &w.Timezone)
	w.CreatedAt = fromMicros(created)
	return w, err
}

// CreateWorkspace creates a workspace on a plan.
func (s *Store) CreateWorkspace(ctx context.Context, name string, plan workspace.Plan) (workspace.Workspace, error) {
	name, err := workspace.ValidateName(name)
	if err != nil {
		return workspace.Workspace{}, err
	}
	// The statistics count days in the server's zone until told otherwise,
	// as new lines' working hours do.
	w := workspace.Workspace{ID: newID(), Name: name, Plan: plan, CreatedAt: s.now(), Timezone: line.ServerTimezone}
	err = s.inTx(ctx, func(t *tx) error {
		_, err := t.exec(qInsertWorkspace, w.ID, w.Name, string(w.Plan), micros(w.CreatedAt), w.Timezone)
		return err
	})
	return w, dbErr(err, "create workspace")
}

// GetWorkspace returns a workspace by id.
func (s *Store) GetWorkspace(ctx context.Context, id string) (workspace.Workspace, error) {
	w, err := scanWorkspace(s.read.QueryRowContext(ctx, `SELECT `+workspaceCols+` FROM workspaces WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, apperr.NotFoundf("workspace %s not found", id)
	}
	return w, dbErr(err, "get workspace")
}

// ListWorkspaces returns every workspace, oldest first.
func (s *Store) ListWorkspaces(ctx context.Context) ([]workspace.Workspace, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+workspaceCols+` FROM workspaces ORDER BY created_at, id`)
	if err != nil {
		return nil, dbErr(err, "list workspaces")
	}
	return collect(rows, scanWorkspace)
}

// SetPlan changes a workspace's plan. Lowering it keeps the oldest active
// lines up to the new limit and deactivates the rest; it returns their ids.
func (s *Store) SetPlan(ctx context.Context, wsID string, plan workspace.Plan) (deactivated []string, err error) {
	defer s.targets.clear()
	err = s.inTx(ctx, func(t *tx) error {
		deactivated = nil
		old, err := lockWorkspacePlan(t, wsID)
		if err != nil {
			return err
		}
		if _, err := t.exec(qSetPlan, wsID, string(plan)); err != nil {
			return err
		}
		beyond, err := activeBeyond(t, wsID, plan.LineLimit())
		if err != nil {
			return err
		}
		now := micros(s.Now())
		for _, id := range beyond {
			if _, err := t.exec(qDeactivateLine, id, now); err != nil {
				return err
			}
			deactivated = append(deactivated, id)
		}
		if old == plan {
			return nil
		}
		return t.audit(wsID, "workspace", wsID, "plan", map[string]any{"plan": old}, map[string]any{"plan": plan, "deactivated_line_ids": deactivated})
	})
	return deactivated, dbErr(err, "set plan")
}

// lockWorkspacePlan locks the workspace row for the rest of the transaction
// and returns its plan, so that line-limit checks cannot race.
func lockWorkspacePlan(t *tx, wsID string) (workspace.Plan, error) {
	var plan string
	err := t.row(qLockWorkspace, []any{wsID}, &plan)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundf("workspace %s not found", wsID)
	}
	return workspace.Plan(plan), err
}

// checkLineLimit refuses one more active line beyond the plan's limit.
func checkLineLimit(t *tx, wsID string) error {
	plan, err := lockWorkspacePlan(t, wsID)
	if err != nil {
		return err
	}
	limit := plan.LineLimit()
	if limit == workspace.Unlimited {
		return nil
	}
	beyond, err := activeBeyond(t, wsID, limit-1) // room for one more?
	if err == nil && len(beyond) > 0 {
		err = workspace.PlanLimitError(plan)
	}
	return err
}

// activeBeyond returns the workspace's active lines past the oldest limit
// of them (none when limit is Unlimited).
func activeBeyond(t *tx, wsID string, limit int) ([]string, error) {
	if limit == workspace.Unlimited {
		return nil, nil
	}
	ids, err := queryStrings(t, qActiveLines, wsID)
	return ids[min(limit, len(ids)):], err
}

func queryStrings(t *tx, q *query, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var v string
		return v, sc.Scan(&v)
	})
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

var (
	qRenameWorkspace = q(`UPDATE workspaces SET name = $2 WHERE id = $1`)
	qWorkspaceName   = q(`SELECT name FROM workspaces WHERE id = $1{{FOR_UPDATE}}`)
)

// RenameWorkspace changes a workspace's name.
func (s *Store) RenameWorkspace(ctx context.Context, wsID, name string) error {
	name, err := workspace.ValidateName(name)
	if err != nil {
		return err
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var old string
		err := t.row(qWorkspaceName, []any{wsID}, &old)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("workspace %s not found", wsID)
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(qRenameWorkspace, wsID, name); err != nil {
			return err
		}
		return t.audit(wsID, "workspace", wsID, "update", map[string]any{"name": old}, map[string]any{"name": name})
	}), "rename workspace")
}
