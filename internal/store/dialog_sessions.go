package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
)

// ListSessions returns the sessions of a dialog of the workspace, the
// latest first, at most limit of them (the customer's history in the
// inbox). A customer belongs to one channel and has one dialog there
// (customers' and dialogs' unique keys), so a dialog's sessions are the
// whole history of that customer.
func (s *Store) ListSessions(ctx context.Context, wsID, dialogID string, limit int) ([]dialog.Session, error) {
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM dialogs WHERE workspace_id = $1 AND id = $2`, wsID, dialogID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundf("dialog %s not found", dialogID)
	}
	if err != nil {
		return nil, dbErr(err, "list sessions")
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT s.id, s.dialog_id, s.line_id, s.status, s.operator_id, s.answered, s.pinned, s.off_hours,
		s.opened_at, s.first_response_at, s.closed_at, rt.scale, rt.value, rt.comment, rt.created_at
		FROM sessions s LEFT JOIN ratings rt ON rt.session_id = s.id
		WHERE s.workspace_id = $1 AND s.dialog_id = $2 ORDER BY s.opened_at DESC, s.id DESC LIMIT $3`, wsID, dialogID, limit)
	if err != nil {
		return nil, dbErr(err, "list sessions")
	}
	ss, err := collect(rows, func(sc interface{ Scan(...any) error }) (dialog.Session, error) {
		se := dialog.Session{OfferedTo: []string{}}
		var op, scale, comment sql.NullString
		var opened int64
		var firstResp, closed, value, ratedAt sql.NullInt64
		err := sc.Scan(&se.ID, &se.DialogID, &se.LineID, &se.Status, &op, &se.Answered, &se.Pinned, &se.OffHours,
			&opened, &firstResp, &closed, &scale, &value, &comment, &ratedAt)
		se.OperatorID, se.OpenedAt = fromNullString(op), fromMicros(opened)
		se.FirstResponseAt, se.ClosedAt = fromNullMicros(firstResp), fromNullMicros(closed)
		if scale.Valid {
			se.Rating = &dialog.Rating{Scale: scale.String, Value: int(value.Int64), Comment: comment.String, CreatedAt: fromMicros(ratedAt.Int64)}
		}
		return se, err
	})
	if err != nil {
		return nil, dbErr(err, "list sessions")
	}
	return ss, dbErr(s.sessionOffers(ctx, ss), "list sessions")
}

// sessionOffers loads who is offered each queued session of ss.
func (s *Store) sessionOffers(ctx context.Context, ss []dialog.Session) error {
	ps := make([]*dialog.Session, len(ss))
	for i := range ss {
		ps[i] = &ss[i]
	}
	return s.offersOf(ctx, ps)
}
