package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/routing"
)

// Operator statuses (SPEC §5).
var Statuses = []string{"online", "away", "dnd", "offline"}

// Presence is an operator's status and last sign of life.
type Presence struct {
	UserID   string    `json:"user_id"`
	Status   string    `json:"status"`
	LastSeen time.Time `json:"last_seen"`
	// Online is true while the status is online and the last heartbeat is
	// less than OnlineWindow old.
	Online bool `json:"online"`
}

var (
	qGetPresence = q(`SELECT status, last_seen FROM presence WHERE user_id = $1`)
	qSetPresence = q(`INSERT INTO presence (user_id, workspace_id, status, last_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen`)
	qInsertAbsence = q(`INSERT INTO absences (id, workspace_id, user_id, kind, starts_at, ends_at, note, end_handled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`)
	qDeleteAbsence = q(`DELETE FROM absences WHERE workspace_id = $1 AND user_id = $2 AND id = $3`)
)

func (s *Store) presenceOf(status string, lastSeen int64, userID string) Presence {
	p := Presence{UserID: userID, Status: status, LastSeen: fromMicros(lastSeen)}
	p.Online = routing.Online(status, lastSeen, micros(s.now()))
	return p
}

// SetPresence records an operator's status (status "" keeps the current one,
// for a heartbeat) and a sign of life now. An operator who becomes available
// gives their lines room: a Capacity event per line.
func (s *Store) SetPresence(ctx context.Context, wsID, userID, status string) (Presence, error) {
	if status != "" && !slices.Contains(Statuses, status) {
		return Presence{}, apperr.FieldError("status", "%q is not one of %s", status, strings.Join(Statuses, ", "))
	}
	var out Presence
	err := s.inTx(ctx, func(t *tx) error {
		now := micros(s.now())
		var old string
		var lastSeen int64
		err := t.row(qGetPresence, []any{userID}, &old, &lastSeen)
		if errors.Is(err, sql.ErrNoRows) {
			old, lastSeen, err = "offline", 0, nil
		}
		if err != nil {
			return err
		}
		wasOnline := s.presenceOf(old, lastSeen, userID).Online
		next := status
		if next == "" {
			next = old
			if lastSeen == 0 {
				next = "online" // a first heartbeat is a user at the screen
			}
		}
		if _, err := t.exec(qSetPresence, userID, wsID, next, now); err != nil {
			return err
		}
		out = s.presenceOf(next, now, userID)
		if out.Online && !wasOnline {
			if err := t.capacityForUser(wsID, userID); err != nil {
				return err
			}
		}
		if next != old {
			t.emit(events.Event{Type: events.PresenceChanged, WorkspaceID: wsID, UserIDs: []string{userID}, Status: next})
		}
		return nil
	})
	return out, dbErr(err, "set presence")
}

// GetPresence returns an operator's presence; never seen is offline.
func (s *Store) GetPresence(ctx context.Context, userID string) (Presence, error) {
	var status string
	var lastSeen int64
	err := s.read.QueryRowContext(ctx, `SELECT status, last_seen FROM presence WHERE user_id = $1`, userID).Scan(&status, &lastSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return Presence{UserID: userID, Status: "offline", LastSeen: time.Time{}}, nil
	}
	if err != nil {
		return Presence{}, dbErr(err, "get presence")
	}
	return s.presenceOf(status, lastSeen, userID), nil
}

// Absence kinds.
var AbsenceKinds = []string{"lunch", "vacation", "sick_leave", "other"}

// Absence is a dated interval when an operator does not work.
type Absence struct {
	ID       string    `json:"id"`
	UserID   string    `json:"user_id"`
	Kind     string    `json:"kind"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Note     string    `json:"note"`
}

// CreateAbsence stores an absence of a user of the workspace. Its end is a
// timer: when it passes, the user's lines get room again.
func (s *Store) CreateAbsence(ctx context.Context, wsID string, a Absence) (Absence, error) {
	if !slices.Contains(AbsenceKinds, a.Kind) {
		return a, apperr.FieldError("kind", "%q is not one of %s", a.Kind, strings.Join(AbsenceKinds, ", "))
	}
	if !a.EndsAt.After(a.StartsAt) {
		return a, apperr.FieldError("ends_at", "must be after starts_at")
	}
	if utf8.RuneCountInString(a.Note) > 1000 {
		return a, apperr.FieldError("note", "is longer than 1000 characters")
	}
	a.ID = newID()
	a.StartsAt, a.EndsAt = a.StartsAt.UTC().Truncate(time.Microsecond), a.EndsAt.UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.row(qUserInWS, []any{wsID, a.UserID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("user %s not found", a.UserID)
		}
		ended := !a.EndsAt.After(s.now())
		if _, err := t.exec(qInsertAbsence, a.ID, wsID, a.UserID, a.Kind, micros(a.StartsAt), micros(a.EndsAt), a.Note, ended); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.TimersChanged, WorkspaceID: wsID, UserIDs: []string{a.UserID}})
		return nil
	})
	return a, dbErr(err, "create absence")
}

// ListAbsences returns a user's absences, earliest first.
func (s *Store) ListAbsences(ctx context.Context, wsID, userID string) ([]Absence, error) {
	if _, err := s.GetUser(ctx, wsID, userID); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, user_id, kind, starts_at, ends_at, note FROM absences
		WHERE workspace_id = $1 AND user_id = $2 ORDER BY starts_at, id`, wsID, userID)
	if err != nil {
		return nil, dbErr(err, "list absences")
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (Absence, error) {
		var a Absence
		var st, en int64
		err := sc.Scan(&a.ID, &a.UserID, &a.Kind, &st, &en, &a.Note)
		a.StartsAt, a.EndsAt = fromMicros(st), fromMicros(en)
		return a, err
	})
}

// DeleteAbsence removes an absence; an operator back early gives room.
func (s *Store) DeleteAbsence(ctx context.Context, wsID, userID, id string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		res, err := t.exec(qDeleteAbsence, wsID, userID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("absence %s not found", id)
		}
		return t.capacityForUser(wsID, userID)
	}), "delete absence")
}
