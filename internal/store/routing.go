package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"sync"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/session"
)

// Distribution (SPEC §5) in the store: every decision runs in a transaction
// that first locks the line's row, reads the queue's operators with their
// load counters, applies the pure rules of package routing and writes the
// offers, the counters and the timeline in the same transaction.

// OnlineWindow is how recent a heartbeat must be for an operator to count
// as online (routing.OnlineWindow).
const OnlineWindow = routing.OnlineWindow

var (
	qLockLineRules = q(`SELECT workspace_id, active, settings, updated_at FROM lines WHERE id = $1{{FOR_UPDATE}}`)
	qReadLineRules = q(`SELECT workspace_id, active, settings, updated_at FROM lines WHERE id = $1`)
	qQueueOps      = q(`SELECT q.user_id, u.name, u.active, COALESCE(p.status, 'offline'), COALESCE(p.last_seen, 0),
		COALESCE(ol.open_total, 0), COALESCE(ll.open_count, 0), COALESCE(ll.answered_count, 0), COALESCE(ll.waiting_count, 0),
		COALESCE(ll.closing_count, 0), COALESCE(ll.last_offered_at, 0),
		EXISTS (SELECT 1 FROM absences a WHERE a.user_id = q.user_id AND a.starts_at <= $2 AND a.ends_at > $2)
		FROM line_queue q JOIN users u ON u.id = q.user_id
		LEFT JOIN presence p ON p.user_id = q.user_id
		LEFT JOIN operator_load ol ON ol.user_id = q.user_id
		LEFT JOIN line_load ll ON ll.line_id = q.line_id AND ll.user_id = q.user_id
		WHERE q.line_id = $1 ORDER BY q.position`)
	qWaitingSessions = q(`SELECT ` + sessionRowCols + ` FROM sessions
		WHERE line_id = $1 AND status = 'queued' AND operator_id IS NULL AND offered_alone IS NULL ORDER BY queued_at, id LIMIT ` + strconv.Itoa(drainBatch))
	// The all mode shows at most the 1,000 oldest waiting sessions at once
	// (each shown to every eligible operator is a row per operator).
	qWaitingAll = q(`SELECT ` + sessionRowCols + ` FROM sessions
		WHERE line_id = $1 AND status = 'queued' AND operator_id IS NULL ORDER BY queued_at, id LIMIT 1000`)
	qLineOffers     = q(`SELECT session_id, user_id FROM session_offers WHERE line_id = $1`)
	qInsertOffer    = q(`INSERT INTO session_offers (session_id, user_id, line_id, offered_at) VALUES ($1, $2, $3, $4)`)
	qDeleteOffers   = q(`DELETE FROM session_offers WHERE session_id = $1 RETURNING user_id`)
	qDeleteOffer    = q(`DELETE FROM session_offers WHERE session_id = $1 AND user_id = $2`)
	qSessionOffered = q(`SELECT user_id FROM session_offers WHERE session_id = $1 ORDER BY offered_at, user_id`)
	qLastOffered    = q(`INSERT INTO line_load (line_id, user_id, last_offered_at) VALUES ($1, $2, $3)
		ON CONFLICT (line_id, user_id) DO UPDATE SET last_offered_at = excluded.last_offered_at`)
	qDueSessions = q(`SELECT id, workspace_id FROM sessions WHERE offer_deadline IS NOT NULL AND offer_deadline <= $1 ORDER BY offer_deadline, id LIMIT 256`)
	qDueAbsences = q(`SELECT a.id, a.user_id, a.workspace_id FROM absences a WHERE NOT a.end_handled AND a.ends_at <= $1 ORDER BY a.ends_at LIMIT 256`)
	qEndAbsence  = q(`UPDATE absences SET end_handled = TRUE WHERE id = $1`)
	qUserLines   = q(`SELECT line_id FROM line_queue WHERE user_id = $1`)
)

// lineRules is a locked line's distribution state.
type lineRules struct {
	id, workspaceID string
	active          bool
	settings        line.Settings
	rules           routing.Rules
}

func (t *tx) lockLine(id string) (lineRules, error) { return t.lineRules(qLockLineRules, id) }

// readLine reads a line's rules without locking it.
func (t *tx) readLine(id string) (lineRules, error) { return t.lineRules(qReadLineRules, id) }

func (t *tx) lineRules(q *query, id string) (lineRules, error) {
	lr := lineRules{id: id}
	var js string
	var updated int64
	if err := t.row(q, []any{id}, &lr.workspaceID, &lr.active, &js, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lr, apperr.NotFoundf("line %s not found", id)
		}
		return lr, err
	}
	var err error
	lr.settings, err = t.s.settings.get(id, updated, js)
	lr.rules = routing.RulesOf(lr.settings)
	return lr, err
}

// settingsCache keeps parsed line settings by line and version, so the hot
// paths read a line's row but parse its JSON only when it changed. The
// cached value is shared: callers must not modify its slices and maps.
type settingsCache struct {
	mu sync.RWMutex
	m  map[string]cachedSettings
}

type cachedSettings struct {
	updated int64
	js      string
	s       line.Settings
}

func (c *settingsCache) get(id string, updated int64, js string) (line.Settings, error) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if ok && e.updated == updated && e.js == js {
		return e.s, nil
	}
	st := line.Defaults() // settings added by later versions keep their defaults
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return st, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedSettings{}
	}
	c.m[id] = cachedSettings{updated, js, st}
	c.mu.Unlock()
	return st, nil
}

func (t *tx) loadOperators(lr lineRules, now int64) ([]routing.Operator, []string, error) {
	rows, err := t.query(qQueueOps, lr.id, now)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ops []routing.Operator
	var names []string
	for rows.Next() {
		var op routing.Operator
		var name, status string
		var lastSeen int64
		var l session.Load
		var absent bool
		if err := rows.Scan(&op.ID, &name, &op.Active, &status, &lastSeen, &op.OpenTotal, &l.Open, &l.Answered, &l.Waiting, &l.Closing,
			&op.LastOfferedAt, &absent); err != nil {
			return nil, nil, err
		}
		op.Available = routing.Online(status, lastSeen, now) && !absent
		op.Counted = l.Counted(lr.settings.LimitExcludes)
		ops = append(ops, op)
		names = append(names, name)
	}
	return ops, names, rows.Err()
}

// Distribute offers a line's waiting sessions, first come first served,
// while anybody is eligible. It returns how many offers it made. A backlog
// is drained in transactions of at most drainBatch offers, each with its own
// time and deadlines, so other writers (status changes, takes, inbound)
// get the database between batches.
func (s *Store) Distribute(ctx context.Context, lineID string) (int, error) {
	total := 0
	for {
		var n int
		var more bool
		err := s.inTx(ctx, func(t *tx) error {
			var err error
			n, more, err = t.distribute(lineID, micros(s.now()))
			return err
		})
		if apperr.Is(err, apperr.NotFound) {
			return total, nil // the line was deleted meanwhile
		}
		if err != nil {
			return total, dbErr(err, "distribute")
		}
		total += n
		if !more {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			// Sessions still wait: the caller must know the line is not done.
			return total, dbErr(err, "distribute")
		}
	}
}

// drainBatch bounds the offers of one distribution transaction.
const drainBatch = 256

// distribute makes at most drainBatch offers on a line; more reports that
// sessions may still wait for an eligible operator.
func (t *tx) distribute(lineID string, now int64) (offers int, more bool, err error) {
	lr, err := t.lockLine(lineID)
	if err != nil || !lr.active {
		return 0, false, err
	}
	ops, names, err := t.loadOperators(lr, now)
	if err != nil || len(ops) == 0 {
		return 0, false, err
	}
	if lr.rules.Mode == line.ModeAll {
		return t.distributeAll(lr, ops, names, now)
	}
	// Offer times are distinct and increasing, so evenly's "least recently
	// offered" has no ties within a batch or with earlier batches.
	seq := session.LastOffer(ops, now)
	rows, err := t.query(qWaitingSessions, lineID)
	if err != nil {
		return 0, false, err
	}
	waiting, err := collect(rows, scanSessionRow)
	if err != nil {
		return 0, false, err
	}
	b := newOfferBatch(lr, now, "queued")
	more = len(waiting) == drainBatch
	for i := range waiting {
		r := &waiting[i]
		pick, wrapped := lr.rules.Choose(ops, func(j int) bool { return r.TriedHas(ops[j].ID) })
		if pick < 0 {
			more = false // nobody eligible: the rest waits, in order
			break
		}
		seq++ // a distinct, increasing offer time orders evenly's choice within one batch
		b.add(*r, &ops[pick], names[pick], wrapped, seq)
	}
	if err := t.writeOffers(b); err != nil {
		return 0, false, err
	}
	return len(b.offers), more, nil
}

// distributeAll shows every waiting session to every eligible operator who
// does not see it yet (the all mode).
func (t *tx) distributeAll(lr lineRules, ops []routing.Operator, names []string, now int64) (int, bool, error) {
	eligible := lr.rules.ChooseAll(ops)
	if len(eligible) == 0 {
		return 0, false, nil
	}
	rows, err := t.query(qWaitingAll, lr.id)
	if err != nil {
		return 0, false, err
	}
	waiting, err := collect(rows, scanSessionRow)
	if err != nil || len(waiting) == 0 {
		return 0, false, err
	}
	rows, err = t.query(qLineOffers, lr.id)
	if err != nil {
		return 0, false, err
	}
	seen := map[[2]string]bool{}
	for rows.Next() {
		var sid, uid string
		if err := rows.Scan(&sid, &uid); err != nil {
			rows.Close()
			return 0, false, err
		}
		seen[[2]string{sid, uid}] = true
	}
	rows.Close()
	offers := 0
	for i := range waiting {
		r := &waiting[i]
		var added []string
		var who string
		for _, j := range eligible {
			if seen[[2]string{r.ID, ops[j].ID}] || r.TriedHas(ops[j].ID) {
				continue // sees it already, or skipped it
			}
			if _, err := t.exec(qInsertOffer, r.ID, ops[j].ID, r.LineID, now); err != nil {
				return offers, false, err
			}
			added = append(added, ops[j].ID)
			if who != "" {
				who += ", "
			}
			who += names[j]
		}
		if len(added) == 0 {
			continue
		}
		offers += len(added)
		if err := t.event(r, "", dialog.Ev("offered_all", "names", who), now); err != nil {
			return offers, false, err
		}
		t.emit(events.Event{Type: events.SessionOffered, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
			SessionID: r.ID, UserIDs: added, Reason: "all", At: fromMicros(now), Queued: fromMicros(r.QueuedAt)})
		if offers >= drainBatch && i < len(waiting)-1 {
			return offers, true, nil // the rest in the next transaction
		}
	}
	return offers, false, nil
}

// Take gives an offered session to userID. Exactly one operator wins a
// session offered to many; the others get a Conflict.
func (s *Store) Take(ctx context.Context, wsID, sessionID, userID string) error {
	return s.act(ctx, Action{WorkspaceID: wsID, SessionID: sessionID, UserID: userID}, "take",
		func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
			offered, err := queryStrings(t, qSessionOffered, r.ID)
			if err != nil {
				return r, nil, err
			}
			return session.Take(r, now, userID, offered)
		})
}

// Skip passes an offer on. An operator who is the only eligible one cannot
// skip (SPEC §5): the session would come straight back.
func (s *Store) Skip(ctx context.Context, wsID, sessionID, userID string) error {
	return s.act(ctx, Action{WorkspaceID: wsID, SessionID: sessionID, UserID: userID}, "skip",
		func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
			offered, err := queryStrings(t, qSessionOffered, r.ID)
			if err != nil {
				return r, nil, err
			}
			q, err := t.queue(lr, now)
			if err != nil {
				return r, nil, err
			}
			return session.Skip(r, lr.settings, q, now, userID, offered)
		})
}

// queue reads a line's operators for a decision of the state machine.
func (t *tx) queue(lr lineRules, now int64) (session.Queue, error) {
	ops, names, err := t.loadOperators(lr, now)
	return session.Queue{Rules: lr.rules, Ops: ops, Names: names}, err
}

// capacityForUser tells the routing engine that the user's lines may have room.
func (t *tx) capacityForUser(wsID, userID string) error {
	lines, err := queryStrings(t, qUserLines, userID)
	for _, l := range lines {
		t.emit(events.Event{Type: events.Capacity, WorkspaceID: wsID, LineID: l, UserIDs: []string{userID}})
	}
	return err
}

// WaitingLines returns the lines that have waiting sessions, to distribute at start.
func (s *Store) WaitingLines(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT line_id FROM sessions WHERE status = 'queued' AND operator_id IS NULL`)
	if err != nil {
		return nil, dbErr(err, "waiting lines")
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var v string
		return v, sc.Scan(&v)
	})
}
