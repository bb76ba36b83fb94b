package store

import (
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/session"
)

// sessionRow is a session as the store reads and changes it: the state of
// the state machine.
type sessionRow = session.State

const sessionRowCols = `id, workspace_id, dialog_id, line_id, status, operator_id, offered_alone, answered, pinned, off_hours,
	opened_at, queued_at, first_response_at, closed_at, offer_deadline, tried, direct, off_hours_sent, rated, rating_token, rating_requested_at`

var (
	qLockSession   = q(`SELECT ` + sessionRowCols + ` FROM sessions WHERE id = $1{{FOR_UPDATE}}`)
	qSessionLine   = q(`SELECT line_id FROM sessions WHERE workspace_id = $1 AND id = $2`)
	qInsertSession = q(`INSERT INTO sessions (` + sessionRowCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
		$17, $18, $19, $20, $21)`)
	qSaveSession = q(`UPDATE sessions SET line_id = $2, status = $3, operator_id = $4, offered_alone = $5, answered = $6, pinned = $7,
		off_hours = $8, queued_at = $9, first_response_at = $10, closed_at = $11, offer_deadline = $12, tried = $13,
		direct = $14, off_hours_sent = $15, rated = $16, rating_token = $17, rating_requested_at = $18 WHERE id = $1`)
	qMirrorDialog = q(`UPDATE dialogs SET status = $2, operator_id = $3, session_id = $4 WHERE id = $1`)
	qAddOpenTotal = q(`INSERT INTO operator_load (user_id, open_total) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET open_total = operator_load.open_total + excluded.open_total RETURNING open_total`)
	qLineLoadOf  = q(`SELECT open_count, answered_count, waiting_count, closing_count FROM line_load WHERE line_id = $1 AND user_id = $2`)
	qAddLineLoad = q(`INSERT INTO line_load (line_id, user_id, open_count, answered_count, waiting_count, closing_count) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (line_id, user_id) DO UPDATE SET open_count = line_load.open_count + excluded.open_count,
		answered_count = line_load.answered_count + excluded.answered_count, waiting_count = line_load.waiting_count + excluded.waiting_count,
		closing_count = line_load.closing_count + excluded.closing_count`)
	qSubOpenTotal = q(`UPDATE operator_load SET open_total = open_total - $2 WHERE user_id = $1`)
	qSubLineLoad  = q(`UPDATE line_load SET open_count = open_count - $3, answered_count = answered_count - $4,
		waiting_count = waiting_count - $5, closing_count = closing_count - $6 WHERE line_id = $1 AND user_id = $2`)
	// qInsertAt writes a timeline entry of the dialog with the given
	// direction and kind: events, notes and auto-replies.
	qInsertAt = q(`INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at, kind, meta)
		SELECT $1, workspace_id, id, $3, channel_id, $7, $4, NULL, $5, $6, $8, $9 FROM dialogs WHERE id = $2`)
)

func scanSessionRow(sc interface{ Scan(...any) error }) (sessionRow, error) {
	var r sessionRow
	err := sc.Scan(&r.ID, &r.WorkspaceID, &r.DialogID, &r.LineID, &r.Status, nullable(&r.OperatorID), nullable(&r.OfferedAlone),
		&r.Answered, &r.Pinned, &r.OffHours, &r.OpenedAt, &r.QueuedAt, nullableInt(&r.FirstResponseAt), nullableInt(&r.ClosedAt),
		nullableInt(&r.OfferDeadline), &r.Tried, &r.Direct, &r.OffHoursSent, &r.Rated, nullable(&r.RatingToken), nullableInt(&r.RatingRequestedAt))
	return r, err
}

// nullableDests are scan destinations for the session's columns when the
// row may be absent (a LEFT JOIN): NULLs leave zero values, and an absent
// session an empty ID.
func nullableDests(r *sessionRow) []any {
	return []any{nullable(&r.ID), nullable(&r.WorkspaceID), nullable(&r.DialogID), nullable(&r.LineID), nullable(&r.Status),
		nullable(&r.OperatorID), nullable(&r.OfferedAlone), nullBool{&r.Answered}, nullBool{&r.Pinned}, nullBool{&r.OffHours},
		nullableInt(&r.OpenedAt), nullableInt(&r.QueuedAt), nullableInt(&r.FirstResponseAt), nullableInt(&r.ClosedAt),
		nullableInt(&r.OfferDeadline), nullable(&r.Tried), nullBool{&r.Direct}, nullBool{&r.OffHoursSent}, nullBool{&r.Rated},
		nullable(&r.RatingToken), nullableInt(&r.RatingRequestedAt)}
}

// nullBool scans a NULL-able boolean column (false for NULL).
type nullBool struct{ p *bool }

func (n nullBool) Scan(v any) error {
	var nb sql.NullBool
	err := nb.Scan(v)
	*n.p = nb.Bool
	return err
}

// nullable scans a NULL-able text column into a string ("" for NULL).
func nullable(p *string) sql.Scanner { return nullString{p} }

type nullString struct{ p *string }

func (n nullString) Scan(v any) error {
	var ns sql.NullString
	err := ns.Scan(v)
	*n.p = ns.String
	return err
}

// nullableInt scans a NULL-able integer column into an int64 (0 for NULL).
func nullableInt(p *int64) sql.Scanner { return nullInt64{p} }

type nullInt64 struct{ p *int64 }

func (n nullInt64) Scan(v any) error {
	var ni sql.NullInt64
	err := ni.Scan(v)
	*n.p = ni.Int64
	return err
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func rowArgs(r *sessionRow) []any {
	return []any{r.ID, r.WorkspaceID, r.DialogID, r.LineID, r.Status, nullStr(r.OperatorID), nullStr(r.OfferedAlone), r.Answered, r.Pinned, r.OffHours,
		r.OpenedAt, r.QueuedAt, nullInt(r.FirstResponseAt), nullInt(r.ClosedAt), nullInt(r.OfferDeadline), r.Tried,
		r.Direct, r.OffHoursSent, r.Rated, nullStr(r.RatingToken), nullInt(r.RatingRequestedAt)}
}

func (t *tx) applyLoad(l session.Load, sign int) error {
	if l.User == "" {
		return nil
	}
	if sign < 0 {
		// A plain UPDATE: an upsert would check its negative candidate row.
		if _, err := t.exec(qSubOpenTotal, l.User, l.Open); err != nil {
			return err
		}
		_, err := t.exec(qSubLineLoad, l.Line, l.User, l.Open, l.Answered, l.Waiting, l.Closing)
		return err
	}
	var total int
	if err := t.row(qAddOpenTotal, []any{l.User, l.Open}, &total); err != nil {
		return err
	}
	if total > routing.HardCap {
		return apperr.New(apperr.Conflict, "the operator already has %d open sessions, the most anyone may have", routing.HardCap)
	}
	_, err := t.exec(qAddLineLoad, l.Line, l.User, l.Open, l.Answered, l.Waiting, l.Closing)
	return err
}

// insertSession stores a new session and counts it.
func (t *tx) insertSession(r *sessionRow) error {
	if _, err := t.exec(qInsertSession, rowArgs(r)...); err != nil {
		return err
	}
	if err := t.statsSession(nil, r); err != nil {
		return err
	}
	return t.applyLoad(r.Load(), +1)
}

// saveSession writes a changed session, moves its load between counters and
// its contribution between the statistics' rows, and mirrors status and operator onto the dialog. Every session change goes
// through here, so the counters cannot drift from the sessions. When load
// leaves an operator, the line may have room again: a Capacity event tells
// the routing engine.
func (t *tx) saveSession(old, r *sessionRow) error {
	a := rowArgs(r)
	if _, err := t.exec(qSaveSession, a[0], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[11], a[12], a[13], a[14], a[15],
		a[16], a[17], a[18], a[19], a[20]); err != nil {
		return err
	}
	if err := t.statsSession(old, r); err != nil {
		return err
	}
	if ol, nl := old.Load(), r.Load(); ol != nl {
		if err := t.applyLoad(ol, -1); err != nil {
			return err
		}
		if err := t.applyLoad(nl, +1); err != nil {
			return err
		}
		if ol.User != "" {
			t.emit(events.Event{Type: events.Capacity, WorkspaceID: r.WorkspaceID, LineID: old.LineID})
		}
	}
	if old.OperatorID != "" && old.OperatorID != r.OperatorID {
		t.lose(r.ID, true, old.OperatorID)
	}
	if old.OfferedAlone != "" && old.OfferedAlone != r.OfferedAlone {
		t.lose(r.ID, false, old.OfferedAlone)
	}
	if old.Status != r.Status || old.OperatorID != r.OperatorID {
		if _, err := t.exec(qMirrorDialog, r.DialogID, r.Status, nullStr(r.OperatorID), r.ID); err != nil {
			return err
		}
	}
	if old.LineID != r.LineID { // a transfer to another line: the dialog follows
		if _, err := t.exec(qSetDialogLine, r.DialogID, r.LineID); err != nil {
			return err
		}
	}
	return nil
}

// lockSession reads a session for change, locking its line first (the
// routing lock order is always line, then session).
func (t *tx) lockSession(wsID, id string) (sessionRow, lineRules, error) {
	var lineID string
	if err := t.row(qSessionLine, []any{wsID, id}, &lineID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return sessionRow{}, lineRules{}, apperr.NotFoundf("session %s not found", id)
		}
		return sessionRow{}, lineRules{}, err
	}
	for {
		lr, err := t.lockLine(lineID)
		if err != nil {
			return sessionRow{}, lr, err
		}
		r, err := scanSessionRow(t.stmt(qLockSession).QueryRowContext(t.ctx, id))
		if err != nil {
			return r, lr, err
		}
		if r.LineID == lineID {
			return r, lr, nil
		}
		lineID = r.LineID // moved to another line meanwhile: lock that one
	}
}

// event records an event on the dialog's timeline, by author (or nobody):
// its English text, and its code and parameters for other languages.
func (t *tx) event(r *sessionRow, author string, ev dialog.Event, at int64) error {
	meta, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = t.exec(qInsertAt, newID(), r.DialogID, r.ID, nullStr(author), ev.Text(), at, dialog.System, dialog.KindEvent, string(meta))
	return err
}
