package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
)

var (
	qInsertLine = q(`INSERT INTO lines (id, workspace_id, name, active, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	qLockLine   = q(`SELECT ` + lineCols + ` FROM lines WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qUpdateLine = q(`UPDATE lines SET name = $3, active = $4, settings = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2`)
	qLineQueue  = q(`SELECT user_id FROM line_queue WHERE line_id = $1 ORDER BY position`)
	qClearQueue = q(`DELETE FROM line_queue WHERE line_id = $1`)
	qAddQueue   = q(`INSERT INTO line_queue (line_id, user_id, position) VALUES ($1, $2, $3)`)
	qUserInWS   = q(`SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND id = $2`)

	// Deleting a line removes what hangs off it, leaves first (SPEC §4).
	qDelLineSessionRows = []*query{
		q(`DELETE FROM session_offers WHERE session_id IN (` + lineSessions + `)`),
		q(`DELETE FROM session_timers WHERE session_id IN (` + lineSessions + `)`),
		q(`DELETE FROM ratings WHERE session_id IN (` + lineSessions + `)`),
		q(`DELETE FROM session_participants WHERE session_id IN (` + lineSessions + `)`),
		q(`DELETE FROM session_votes WHERE session_id IN (` + lineSessions + `)`),
	}
	qDelLineLoad = q(`DELETE FROM line_load WHERE line_id = $1`)
	// After a line's sessions are gone, the workspace's load counters are
	// counted again from the sessions that remain (a rare, heavy operation).
	qRecountOperatorLoad = q(`UPDATE operator_load SET open_total = (SELECT COUNT(*) FROM sessions s
		WHERE s.status NOT IN ('closed','spam') AND COALESCE(s.operator_id, s.offered_alone) = operator_load.user_id)
		WHERE user_id IN (SELECT id FROM users WHERE workspace_id = $1)`)
	qRecountLineLoad = q(`UPDATE line_load SET
		open_count = (SELECT COUNT(*) FROM sessions s WHERE ` + loadOf + `),
		answered_count = (SELECT COUNT(*) FROM sessions s WHERE ` + loadOf + ` AND s.answered),
		waiting_count = (SELECT COUNT(*) FROM sessions s WHERE ` + loadOf + ` AND s.status = 'waiting_client'),
		closing_count = (SELECT COUNT(*) FROM sessions s WHERE ` + loadOf + ` AND s.status = 'closing')
		WHERE user_id IN (SELECT id FROM users WHERE workspace_id = $1)`)
	qDelLineReads     = q(`DELETE FROM dialog_reads WHERE dialog_id IN (SELECT id FROM dialogs WHERE line_id = $1 OR channel_id IN (SELECT id FROM channels WHERE line_id = $1))`)
	qDelLineOutbox    = q(`DELETE FROM outbox WHERE dialog_id IN (SELECT id FROM dialogs WHERE line_id = $1 OR channel_id IN (SELECT id FROM channels WHERE line_id = $1))`)
	qDelLineMessages  = q(`DELETE FROM messages WHERE dialog_id IN (SELECT id FROM dialogs WHERE line_id = $1 OR channel_id IN (SELECT id FROM channels WHERE line_id = $1))`)
	qDelLineSessions  = q(`DELETE FROM sessions WHERE id IN (` + lineSessions + `)`)
	qDelLineDialogs   = q(`DELETE FROM dialogs WHERE line_id = $1 OR channel_id IN (SELECT id FROM channels WHERE line_id = $1)`)
	qDelLineCustomers = q(`DELETE FROM customers WHERE channel_id IN (SELECT id FROM channels WHERE line_id = $1)`)
	qDelLineChannels  = q(`DELETE FROM channels WHERE line_id = $1`)
	qDelLine          = q(`DELETE FROM lines WHERE id = $1`)
)

const lineCols = `id, workspace_id, name, active, settings, created_at, updated_at`

// loadOf matches the open sessions counted in a line_load row.
const loadOf = `s.line_id = line_load.line_id AND s.status NOT IN ('closed','spam') AND COALESCE(s.operator_id, s.offered_alone) = line_load.user_id`

// lineSessions selects the sessions deleted with line $1: its own and those
// of its dialogs and channels.
const lineSessions = `SELECT id FROM sessions WHERE line_id = $1 OR dialog_id IN (SELECT id FROM dialogs WHERE line_id = $1
	OR channel_id IN (SELECT id FROM channels WHERE line_id = $1))`

func scanLine(sc interface{ Scan(...any) error }) (line.Line, error) {
	var l line.Line
	var settings string
	var created, updated int64
	if err := sc.Scan(&l.ID, &l.WorkspaceID, &l.Name, &l.Active, &settings, &created, &updated); err != nil {
		return l, err
	}
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	l.Settings = line.Defaults() // settings added by later versions keep their defaults
	if err := json.Unmarshal([]byte(settings), &l.Settings); err != nil {
		return l, err
	}
	l.Queue = []string{}
	return l, nil
}

func settingsJSON(st line.Settings) (string, error) {
	st.Queue = nil // kept in line_queue
	b, err := json.Marshal(st)
	return string(b), err
}

// CreateLine stores a new line within the plan's limit of active lines.
func (s *Store) CreateLine(ctx context.Context, wsID, name string, st line.Settings) (line.Line, error) {
	l := line.Line{ID: newID(), WorkspaceID: wsID, Name: name, Active: true, Settings: st}
	l.CreatedAt = s.now()
	l.UpdatedAt = l.CreatedAt
	err := s.inTx(ctx, func(t *tx) error {
		if err := checkLineLimit(t, wsID); err != nil {
			return err
		}
		js, err := settingsJSON(l.Settings)
		if err != nil {
			return err
		}
		if _, err := t.exec(qInsertLine, l.ID, wsID, l.Name, l.Active, js, micros(l.CreatedAt), micros(l.UpdatedAt)); err != nil {
			return err
		}
		if err := writeQueue(t, wsID, l.ID, l.Queue); err != nil {
			return err
		}
		return t.audit(wsID, "line", l.ID, "create", nil, l)
	})
	return l, dbErr(err, "create line")
}

func writeQueue(t *tx, wsID, lineID string, queue []string) error {
	if _, err := t.exec(qClearQueue, lineID); err != nil {
		return err
	}
	for i, uid := range queue {
		var n int
		if err := t.row(qUserInWS, []any{wsID, uid}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.FieldError("queue", "user %s is not a user of this workspace", uid)
		}
		if _, err := t.exec(qAddQueue, lineID, uid, i); err != nil {
			return err
		}
	}
	return nil
}

func loadLine(t *tx, wsID, id string) (line.Line, error) {
	l, err := scanLine(t.stmt(qLockLine).QueryRowContext(t.ctx, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, apperr.NotFoundf("line %s not found", id)
	}
	if err != nil {
		return l, err
	}
	l.Queue, err = queryStrings(t, qLineQueue, id)
	return l, err
}

// LineNames lists the lines in whose queue the user is (id, name and
// active only): what a user without lines.view may know of lines.
func (s *Store) LineNames(ctx context.Context, wsID, userID string) ([]Target, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT l.id, l.name FROM lines l JOIN line_queue q ON q.line_id = l.id
		WHERE l.workspace_id = $1 AND q.user_id = $2 ORDER BY l.created_at, l.id`, wsID, userID)
	if err != nil {
		return nil, dbErr(err, "list lines")
	}
	ts, err := collect(rows, func(sc interface{ Scan(...any) error }) (Target, error) {
		var t Target
		return t, sc.Scan(&t.ID, &t.Name)
	})
	return ts, dbErr(err, "list lines")
}

// GetLine returns a line of the workspace with its queue.
func (s *Store) GetLine(ctx context.Context, wsID, id string) (line.Line, error) {
	l, err := scanLine(s.read.QueryRowContext(ctx, `SELECT `+lineCols+` FROM lines WHERE workspace_id = $1 AND id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, apperr.NotFoundf("line %s not found", id)
	}
	if err != nil {
		return l, dbErr(err, "get line")
	}
	ls := []line.Line{l}
	err = s.fillQueues(ctx, ls)
	return ls[0], dbErr(err, "get line")
}

// ListLines returns the workspace's lines, oldest first.
func (s *Store) ListLines(ctx context.Context, wsID string) ([]line.Line, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+lineCols+` FROM lines WHERE workspace_id = $1 ORDER BY created_at, id`, wsID)
	if err != nil {
		return nil, dbErr(err, "list lines")
	}
	ls, err := collect(rows, scanLine)
	if err == nil {
		err = s.fillQueues(ctx, ls)
	}
	return ls, dbErr(err, "list lines")
}

func (s *Store) fillQueues(ctx context.Context, ls []line.Line) error {
	if len(ls) == 0 {
		return nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT q.line_id, q.user_id FROM line_queue q JOIN lines l ON l.id = q.line_id
		WHERE l.workspace_id = $1 ORDER BY q.line_id, q.position`, ls[0].WorkspaceID)
	if err != nil {
		return err
	}
	defer rows.Close()
	idx := make(map[string]int, len(ls))
	for i := range ls {
		idx[ls[i].ID] = i
	}
	for rows.Next() {
		var lid, uid string
		if err := rows.Scan(&lid, &uid); err != nil {
			return err
		}
		if i, ok := idx[lid]; ok {
			ls[i].Queue = append(ls[i].Queue, uid)
		}
	}
	return rows.Err()
}

// UpdateLine applies change to a line in one transaction. Activating a line
// counts against the plan's limit; the queue's users must be of the workspace.
func (s *Store) UpdateLine(ctx context.Context, wsID, id string, change func(*line.Line) error) (line.Line, error) {
	var out line.Line
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := lockWorkspacePlan(t, wsID); err != nil {
			return err
		}
		old, err := loadLine(t, wsID, id)
		if err != nil {
			return err
		}
		l := old
		l.Queue = slices.Clone(old.Queue)
		if err := change(&l); err != nil {
			return err
		}
		l.ID, l.WorkspaceID, l.CreatedAt = old.ID, old.WorkspaceID, old.CreatedAt
		if l.Active && !old.Active {
			if err := checkLineLimit(t, wsID); err != nil {
				return err
			}
		}
		l.UpdatedAt = s.now()
		js, err := settingsJSON(l.Settings)
		if err != nil {
			return err
		}
		if _, err := t.exec(qUpdateLine, wsID, id, l.Name, l.Active, js, micros(l.UpdatedAt)); err != nil {
			return err
		}
		if !slices.Equal(l.Queue, old.Queue) {
			if err := writeQueue(t, wsID, id, l.Queue); err != nil {
				return err
			}
		}
		if l.Active {
			// A raised limit, a new queue member or another mode may give room.
			t.emit(events.Event{Type: events.Capacity, WorkspaceID: wsID, LineID: id})
		}
		out = l
		return t.audit(wsID, "line", id, "update", old, l)
	})
	s.targets.clear() // after the commit: no read can refill it with the old line
	return out, dbErr(err, "update line")
}

// DeleteLine deletes a line with its channels, customers, dialogs, sessions
// and messages in one transaction, after confirm approves the line as it is.
func (s *Store) DeleteLine(ctx context.Context, wsID, id string, confirm func(line.Line) error) error {
	defer s.targets.clear()
	return dbErr(s.inTx(ctx, func(t *tx) error {
		l, err := loadLine(t, wsID, id)
		if err != nil {
			return err
		}
		if err := confirm(l); err != nil {
			return err
		}
		steps := append(append([]*query{}, qDelLineSessionRows...), qDelLineReads, qDelLineOutbox, qDelLineAttachments, qDelLineMessages, qDelLineSessions, qDelLineDialogs, qDelLineCustomers, qDelLineKeys, qDelLineVisitors, qDelLineChannels,
			qClearQueue, qDelLineLoad, qDelLine)
		if s.engine == SQLite { // the history's full-text rows (migration 0015)
			if _, err := t.tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE dialog_id IN (SELECT id FROM dialogs WHERE line_id = $1
				OR channel_id IN (SELECT id FROM channels WHERE line_id = $1))`, id); err != nil {
				return err
			}
		}
		for _, q := range steps {
			if _, err := t.exec(q, id); err != nil {
				return err
			}
		}
		for _, q := range []*query{qRecountOperatorLoad, qRecountLineLoad, qRecountFiles} {
			if _, err := t.exec(q, wsID); err != nil {
				return err
			}
		}
		// The figures of the deleted sessions go too (rare and heavy, as the
		// recount above).
		if err := t.rebuildStats(wsID); err != nil {
			return err
		}
		return t.audit(wsID, "line", id, "delete", l, nil)
	}), "delete line")
}
