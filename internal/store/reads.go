package store

import (
	"context"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
)

var qDialogInWS = q(`SELECT COUNT(*) FROM dialogs WHERE workspace_id = $1 AND id = $2`)

var qMarkRead = q(`INSERT INTO dialog_reads (user_id, dialog_id, read_at) VALUES ($1, $2, $3)
	ON CONFLICT (user_id, dialog_id) DO UPDATE SET read_at = excluded.read_at WHERE dialog_reads.read_at < excluded.read_at`)

// MarkRead records that the user has read the dialog up to at (a marker
// never moves back). The caller has checked that the user may see it.
func (s *Store) MarkRead(ctx context.Context, wsID, userID, dialogID string, at time.Time) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.row(qDialogInWS, []any{wsID, dialogID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("dialog %s not found", dialogID)
		}
		_, err := t.exec(qMarkRead, userID, dialogID, micros(at))
		return err
	}), "mark read")
}

// FillUnread sets, for the reader, how many customer messages of each
// dialog came after their read marker: one query for the page, reading
// only the unread part of each dialog's messages index.
func (s *Store) FillUnread(ctx context.Context, reader string, ds []dialog.Dialog) error {
	if len(ds) == 0 {
		return nil
	}
	args := []any{reader}
	ids := make([]string, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
		ds[i].Unread = new(int)
	}
	in := bind(&args, ids)
	// Per dialog, a range of its (dialog_id, created_at) index from the
	// marker on: a join over all the page's messages was planned as a scan
	// of the messages table on PostgreSQL (35 ms on 100,000 dialogs).
	rows, err := s.read.QueryContext(ctx, `SELECT d.id, (SELECT COUNT(*) FROM messages m WHERE m.dialog_id = d.id AND m.direction = 'in'
		AND m.created_at > COALESCE((SELECT r.read_at FROM dialog_reads r WHERE r.user_id = $1 AND r.dialog_id = d.id), 0))
		FROM dialogs d WHERE d.id IN (`+in+`)`, args...)
	if err != nil {
		return dbErr(err, "count unread")
	}
	defer rows.Close()
	by := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return dbErr(err, "count unread")
		}
		by[id] = n
	}
	for i := range ds {
		*ds[i].Unread = by[ds[i].ID]
	}
	return dbErr(rows.Err(), "count unread")
}
