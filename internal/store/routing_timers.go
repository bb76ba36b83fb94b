package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/openlines/openlines/internal/session"
)

// Timers of distribution: offer deadlines and absence ends, claimed when
// due; the scheduler sleeps until the earliest.

// RunDue handles every timer due at the clock's now: offers whose queue_time
// passed move on, and absences that ended make room. It returns how many
// timers fired.
func (s *Store) RunDue(ctx context.Context) (int, error) {
	fired := 0
	for {
		n, err := s.runDueBatch(ctx)
		fired += n
		if err != nil || n == 0 {
			return fired, err
		}
	}
}

func (s *Store) runDueBatch(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(t *tx) error {
		n = 0
		now := micros(s.now())
		type due struct{ id, ws string }
		rows, err := t.query(qDueSessions, now)
		if err != nil {
			return err
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.ws); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		for _, d := range list {
			r, lr, err := t.lockSession(d.ws, d.id)
			if err != nil {
				return err
			}
			q, err := t.queue(lr, now)
			if err != nil {
				return err
			}
			next, fx, at, fired := session.OfferExpired(r, lr.settings, q, now)
			if !fired {
				continue
			}
			n++
			if _, err := t.apply(&r, &next, fx, at); err != nil {
				return err
			}
		}
		m, err := t.runLifecycleTimers(now)
		n += m
		if err != nil {
			return err
		}
		rows, err = t.query(qDueAbsences, now)
		if err != nil {
			return err
		}
		type ended struct{ id, user, ws string }
		var abs []ended
		for rows.Next() {
			var e ended
			if err := rows.Scan(&e.id, &e.user, &e.ws); err != nil {
				rows.Close()
				return err
			}
			abs = append(abs, e)
		}
		rows.Close()
		for _, e := range abs {
			n++
			if _, err := t.exec(qEndAbsence, e.id); err != nil {
				return err
			}
			if err := t.capacityForUser(e.ws, e.user); err != nil {
				return err
			}
		}
		return nil
	})
	return n, dbErr(err, "run timers")
}

// NextDeadline returns the earliest pending timer, if any.
func (s *Store) NextDeadline(ctx context.Context) (time.Time, bool, error) {
	var ts [3]sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT (SELECT MIN(offer_deadline) FROM sessions WHERE offer_deadline IS NOT NULL),
		(SELECT MIN(ends_at) FROM absences WHERE NOT end_handled), (SELECT MIN(due_at) FROM session_timers)`).Scan(&ts[0], &ts[1], &ts[2])
	if err != nil {
		return time.Time{}, false, dbErr(err, "next deadline")
	}
	var next int64
	found := false
	for _, v := range ts {
		if v.Valid && (!found || v.Int64 < next) {
			next, found = v.Int64, true
		}
	}
	return fromMicros(next), found, nil
}
