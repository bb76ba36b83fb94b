package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/session"
)

// The session lifecycle (SPEC §4, §6, §7) in the store: each operation
// locks the session (its line first), asks the state machine of package
// session what the event means, and applies the answer (apply.go). Its
// timers (no-answer, auto-close, full-close) are rows of session_timers.

var (
	qSetTimer = q(`INSERT INTO session_timers (session_id, kind, due_at) VALUES ($1, $2, $3)
		ON CONFLICT (session_id, kind) DO UPDATE SET due_at = excluded.due_at`)
	qClearTimer     = q(`DELETE FROM session_timers WHERE session_id = $1 AND kind = $2`)
	qClearTimers    = q(`DELETE FROM session_timers WHERE session_id = $1`)
	qDueTimers      = q(`SELECT t.session_id, t.kind, s.workspace_id FROM session_timers t JOIN sessions s ON s.id = t.session_id WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT 256`)
	qTimerDue       = q(`SELECT due_at FROM session_timers WHERE session_id = $1 AND kind = $2`)
	qSessionToken   = q(`SELECT workspace_id, id FROM sessions WHERE rating_token = $1`)
	qInsertRating   = q(`INSERT INTO ratings (session_id, workspace_id, line_id, operator_id, scale, value, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`)
	qAddParticipant = q(`INSERT INTO session_participants (session_id, user_id, joined_at) VALUES ($1, $2, $3)
		ON CONFLICT (session_id, user_id) DO NOTHING`)
	qUpsertVote = q(`INSERT INTO session_votes (session_id, voter_id, workspace_id, score, comment, created_at, line_id, operator_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (session_id, voter_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, created_at = excluded.created_at,
		line_id = excluded.line_id, operator_id = excluded.operator_id`)
	qUserBrief = q(`SELECT name, active FROM users WHERE workspace_id = $1 AND id = $2`)
)

func (t *tx) setTimer(r *sessionRow, kind string, due int64) error {
	if _, err := t.exec(qSetTimer, r.ID, kind, due); err != nil {
		return err
	}
	t.emit(events.Event{Type: events.TimersChanged, WorkspaceID: r.WorkspaceID, SessionID: r.ID})
	return nil
}

func (t *tx) clearTimer(r *sessionRow, kind string) error {
	_, err := t.exec(qClearTimer, r.ID, kind)
	return err
}

func newToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// insertRating writes a rating the state machine accepted.
func (t *tx) insertRating(r *sessionRow, f session.Rated, at int64) error {
	if _, err := t.exec(qInsertRating, r.ID, r.WorkspaceID, r.LineID, nullStr(r.OperatorID), f.Scale, f.Value, f.Comment, at); err != nil {
		if isUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "this conversation has already been rated")
		}
		return err
	}
	return nil
}

// Rate takes a customer's rating by the token of the rating request.
func (s *Store) Rate(ctx context.Context, token string, value int, comment string) error {
	if len(comment) > 2000 {
		return apperr.FieldError("comment", "is longer than 2000 bytes")
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var wsID, id string
		if err := t.row(qSessionToken, []any{token}, &wsID, &id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFoundf("no conversation waits for a rating with this token")
			}
			return err
		}
		r, lr, err := t.lockSession(wsID, id)
		if err != nil {
			return err
		}
		now := micros(s.now())
		next, fx, err := session.Rate(r, lr.settings, now, value, comment)
		if err != nil {
			return err
		}
		_, err = t.apply(&r, &next, fx, now)
		return err
	}), "rate")
}

// runLifecycleTimers fires the due lifecycle timers; each row is deleted by
// the transaction that handles it, so it fires once.
func (t *tx) runLifecycleTimers(now int64) (int, error) {
	type due struct{ id, kind, ws string }
	rows, err := t.query(qDueTimers, now)
	if err != nil {
		return 0, err
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.kind, &d.ws); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	n := 0
	for _, d := range list {
		r, lr, err := t.lockSession(d.ws, d.id)
		if err != nil {
			return n, err
		}
		var at int64
		if err := t.row(qTimerDue, []any{d.id, d.kind}, &at); errors.Is(err, sql.ErrNoRows) || (err == nil && at > now) {
			continue // cleared or moved meanwhile
		} else if err != nil {
			return n, err
		}
		if err := t.clearTimer(&r, d.kind); err != nil {
			return n, err
		}
		n++
		next, fx := session.TimerFired(r, lr.settings, at, session.Timer(d.kind))
		if _, err := t.apply(&r, &next, fx, at); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Action is an operator action on a session (SPEC §6).
type Action struct {
	WorkspaceID, SessionID string
	UserID                 string // who acts
	// Privileged is the intercept right: finish, pin or transfer a session
	// held by someone else.
	Privileged bool
}

func (a Action) actor() session.Actor {
	return session.Actor{UserID: a.UserID, Privileged: a.Privileged}
}

// transition is one call of the state machine on a locked session.
type transition func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error)

// act locks the session, runs the transition and applies it.
func (s *Store) act(ctx context.Context, a Action, what string, fn transition) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		r, lr, err := t.lockSession(a.WorkspaceID, a.SessionID)
		if err != nil {
			return err
		}
		now := micros(s.now())
		next, fx, err := fn(t, r, lr, now)
		if err != nil {
			return err
		}
		_, err = t.apply(&r, &next, fx, now)
		return err
	}), what)
}

// Finish ends a session held by the caller (or any, with the intercept right).
func (s *Store) Finish(ctx context.Context, a Action) error {
	return s.act(ctx, a, "finish", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		return session.Finish(r, lr.settings, now, a.actor(), newToken())
	})
}

// Spam closes a session at once as spam, with no texts (SPEC §4).
func (s *Store) Spam(ctx context.Context, a Action) error {
	return s.act(ctx, a, "spam", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		offered, err := t.offeredIfUnheld(&r)
		if err != nil {
			return r, nil, err
		}
		return session.Spam(r, now, a.actor(), offered)
	})
}

// Pin keeps a session with its operator even when they become unavailable.
func (s *Store) Pin(ctx context.Context, a Action, pinned bool) error {
	return s.act(ctx, a, "pin", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		return session.Pin(r, now, a.actor(), pinned)
	})
}

// Intercept takes over a session another operator holds (intercept right).
func (s *Store) Intercept(ctx context.Context, a Action) error {
	return s.act(ctx, a, "intercept", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		p, err := t.person(a.WorkspaceID, a.UserID)
		if err != nil {
			return r, nil, err
		}
		return session.Intercept(r, now, p)
	})
}

// offeredIfUnheld reads who is offered a session nobody holds (nil when
// someone holds it: then offers do not matter).
func (t *tx) offeredIfUnheld(r *sessionRow) ([]string, error) {
	if r.OperatorID != "" {
		return nil, nil
	}
	return queryStrings(t, qSessionOffered, r.ID)
}

// person reads a user of the workspace for the state machine.
func (t *tx) person(wsID, id string) (session.Person, error) {
	p := session.Person{ID: id, Found: true}
	err := t.row(qUserBrief, []any{wsID, id}, &p.Name, &p.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return session.Person{ID: id}, nil
	}
	return p, err
}

// Join adds the caller to a session as a participant.
func (s *Store) Join(ctx context.Context, a Action) error {
	return s.act(ctx, a, "join", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		p, err := t.person(a.WorkspaceID, a.UserID)
		if err != nil {
			return r, nil, err
		}
		joined, err := t.joined(r.ID, a.UserID)
		if err != nil {
			return r, nil, err
		}
		return session.Join(r, now, p, joined)
	})
}

// Transfer hands a session to a user, who holds it at once, or to a line,
// where it is queued under that line's rules (SPEC §6). The holder may
// transfer; before it is taken, an operator it is offered to; with the
// intercept right, anyone.
func (s *Store) Transfer(ctx context.Context, a Action, toUser, toLine string) error {
	if (toUser == "") == (toLine == "") {
		return apperr.FieldError("user_id", "give exactly one of user_id and line_id")
	}
	return s.act(ctx, a, "transfer", func(t *tx, r sessionRow, lr lineRules, now int64) (sessionRow, []session.Effect, error) {
		offered, err := t.offeredIfUnheld(&r)
		if err != nil {
			return r, nil, err
		}
		if toUser != "" {
			p, err := t.person(a.WorkspaceID, toUser)
			if err != nil {
				return r, nil, err
			}
			return session.Transfer(r, now, a.actor(), offered, &p, nil)
		}
		target := session.LineTarget{ID: toLine}
		if toLine != r.LineID {
			switch l, err := t.lockLine(toLine); {
			case apperr.Is(err, apperr.NotFound):
			case err != nil:
				return r, nil, err
			default:
				target.Found, target.WorkspaceID, target.Active = true, l.workspaceID, l.active
				if err := t.row(qLineName, []any{toLine}, &target.Name); err != nil {
					return r, nil, err
				}
			}
		}
		return session.Transfer(r, now, a.actor(), offered, nil, &target)
	})
}

var qLineName = q(`SELECT name FROM lines WHERE id = $1`)

// Vote records a supervisor's score (1–5) of a session; voting again replaces it.
func (s *Store) Vote(ctx context.Context, a Action, score int, comment string) error {
	if score < 1 || score > 5 {
		return apperr.FieldError("score", "must be 1 to 5")
	}
	if len(comment) > 2000 {
		return apperr.FieldError("comment", "is longer than 2000 bytes")
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		r, _, err := t.lockSession(a.WorkspaceID, a.SessionID)
		if err != nil {
			return err
		}
		now := micros(s.now())
		next, fx := session.Vote(r, now, a.UserID, score, comment)
		_, err = t.apply(&r, &next, fx, now)
		return err
	}), "vote")
}

// AddNote stores a private note on a dialog: shown to operators, never sent.
func (s *Store) AddNote(ctx context.Context, wsID, dialogID, userID, text string) (dialog.Message, error) {
	m := dialog.Message{ID: newID(), DialogID: dialogID, Direction: dialog.System, Kind: dialog.KindNote, AuthorID: &userID, Text: text, CreatedAt: s.now()}
	err := s.inTx(ctx, func(t *tx) error {
		var sid sql.NullString
		var id, channelID string
		var status, op sql.NullString
		if err := t.row(qDialogState, []any{wsID, dialogID}, &id, &channelID, &sid, &status, &op); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFoundf("dialog %s not found", dialogID)
			}
			return err
		}
		m.SessionID = fromNullString(sid)
		if _, err := t.exec(qInsertAt, m.ID, dialogID, sid, userID, text, micros(m.CreatedAt), dialog.System, dialog.KindNote, nil); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.MessageCreated, WorkspaceID: wsID, DialogID: dialogID, SessionID: sid.String, MessageID: m.ID, Reason: "note", Data: &m})
		return nil
	})
	return m, dbErr(err, "add note")
}

// Target is a line or a user found by the forward search.
type Target struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// Online and Status are a user's presence (SPEC §5), shown in the
	// transfer picker; lines have none.
	Online *bool  `json:"online,omitempty"`
	Status string `json:"status,omitempty"`
}

// TransferTargets finds active lines and users of the workspace whose name
// (or e-mail) contains q, case-insensitively in any script. Every active
// line is a target (a session may go to any line: SPEC §6; a line's name
// tells nothing of its dialogs). A non-nil within narrows the people to
// within themselves and those who share a line's queue with one of them.
func (s *Store) TransferTargets(ctx context.Context, wsID, q string, within []string) (lines, users []Target, err error) {
	q = strings.ToLower(strings.TrimSpace(q))
	match := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(strings.ToLower(p), q) {
				return true
			}
		}
		return false
	}
	lines, users = []Target{}, []Target{}
	args := []any{wsID}
	userCond := ""
	if within != nil {
		in := bind(&args, within)
		userCond = ` AND (u.id IN (` + in + `) OR u.id IN (SELECT user_id FROM line_queue WHERE line_id IN (SELECT line_id FROM line_queue WHERE user_id IN (` + in + `))))`
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, name FROM lines WHERE workspace_id = $1 AND active ORDER BY name, id`, wsID)
	if err != nil {
		return nil, nil, dbErr(err, "search")
	}
	all, err := collect(rows, func(sc interface{ Scan(...any) error }) (Target, error) {
		var t Target
		return t, sc.Scan(&t.ID, &t.Name)
	})
	if err != nil {
		return nil, nil, dbErr(err, "search")
	}
	for _, l := range all {
		if match(l.Name) && len(lines) < 20 {
			lines = append(lines, l)
		}
	}
	rows, err = s.read.QueryContext(ctx, `SELECT u.id, u.name, u.email, COALESCE(p.status, 'offline'), COALESCE(p.last_seen, 0) FROM users u
		LEFT JOIN presence p ON p.user_id = u.id WHERE u.workspace_id = $1 AND u.active`+userCond+` ORDER BY u.name, u.id`, args...)
	if err != nil {
		return nil, nil, dbErr(err, "search")
	}
	all, err = collect(rows, func(sc interface{ Scan(...any) error }) (Target, error) {
		var t Target
		var lastSeen int64
		if err := sc.Scan(&t.ID, &t.Name, &t.Email, &t.Status, &lastSeen); err != nil {
			return t, err
		}
		p := s.presenceOf(t.Status, lastSeen, t.ID)
		t.Online = &p.Online
		return t, nil
	})
	if err != nil {
		return nil, nil, dbErr(err, "search")
	}
	for _, u := range all {
		if match(u.Name, u.Email) && len(users) < 20 {
			users = append(users, u)
		}
	}
	return lines, users, nil
}
