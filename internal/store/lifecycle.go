package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
)

// The session lifecycle (SPEC §4, §6, §7): auto-replies, working hours,
// closing, ratings and the operator actions beyond take and skip. Its timers
// (no-answer, auto-close, full-close) are rows of session_timers.

// Lifecycle timer kinds.
const (
	timerNoAnswer  = "no_answer"
	timerAutoClose = "auto_close"
	timerFullClose = "full_close"
)

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
	qUpsertVote = q(`INSERT INTO session_votes (session_id, voter_id, workspace_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (session_id, voter_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, created_at = excluded.created_at`)
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

func seconds(n int) int64 { return int64(n) * 1e6 }

// opened sends what a line sends when a customer opens a session — the
// off-hours text (the session was flagged when created) or else the welcome
// text — and starts the no-answer timer.
func (t *tx) opened(r *sessionRow, st line.Settings, at int64) error {
	switch {
	case r.OffHoursSent:
		if err := t.autoReply(r, dialog.KindAuto, st.WorkingHours.OffHoursText, at); err != nil {
			return err
		}
	case !r.OffHours && st.WelcomeEnabled:
		if err := t.autoReply(r, dialog.KindAuto, st.WelcomeText, at); err != nil {
			return err
		}
	}
	if st.NoAnswerEnabled {
		return t.setTimer(r, timerNoAnswer, at+seconds(st.NoAnswerTime))
	}
	return nil
}

// offHours flags a session written to outside working hours and sends the
// off-hours text once per session.
func (t *tx) offHours(r *sessionRow, st line.Settings, at int64) error {
	if st.WorkingHours.IsOpen(fromMicros(at)) {
		return nil
	}
	r.OffHours = true
	if st.WorkingHours.OffHoursRule == line.RuleText && !r.OffHoursSent {
		r.OffHoursSent = true
		return t.autoReply(r, dialog.KindAuto, st.WorkingHours.OffHoursText, at)
	}
	return nil
}

// ratingReply reads a customer's text as an answer to a rating request:
// "1"/"0" on the like scale, "1".."5" on stars.
func ratingReply(scale, text string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || !line.ValidRating(scale, v) {
		return 0, false
	}
	return v, true
}

// closeSession closes r now: no texts, no timers, no offers.
func (t *tx) closeSession(r *sessionRow, status string, at int64) error {
	old := *r
	r.Status, r.ClosedAt, r.OfferedAlone, r.OfferDeadline = status, at, "", 0
	if err := t.dropOffers(r.ID); err != nil {
		return err
	}
	if _, err := t.exec(qClearTimers, r.ID); err != nil {
		return err
	}
	return t.saveSession(&old, r)
}

// finish ends a session (SPEC §4): the close text and the rating request
// when on, then closing for full_close_delay; with neither, closed at once.
func (t *tx) finish(r *sessionRow, st line.Settings, by string, at int64) error {
	old := *r
	sent := false
	if st.CloseRule == line.RuleText {
		if err := t.autoReply(r, dialog.KindAuto, st.CloseText, at); err != nil {
			return err
		}
		sent = true
	}
	if st.RatingEnabled && !r.Rated {
		r.RatingToken, r.RatingRequestedAt = newToken(), at
		if err := t.autoReply(r, dialog.KindRatingRequest, st.RatingText, at); err != nil {
			return err
		}
		sent = true
	}
	if !sent || st.FullCloseDelay == 0 {
		if err := t.saveSession(&old, r); err != nil {
			return err
		}
		return t.closeSession(r, dialog.StatusClosed, at)
	}
	r.Status = dialog.StatusClosing
	r.OfferedAlone, r.OfferDeadline = "", 0
	if err := t.dropOffers(r.ID); err != nil {
		return err
	}
	if _, err := t.exec(qClearTimers, r.ID); err != nil {
		return err
	}
	if err := t.saveSession(&old, r); err != nil {
		return err
	}
	return t.setTimer(r, timerFullClose, at+seconds(st.FullCloseDelay))
}

func newToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// rate records a customer's rating of a session.
func (t *tx) rate(r *sessionRow, st line.Settings, value int, comment string, at int64) error {
	if r.Rated {
		return apperr.New(apperr.Conflict, "this conversation has already been rated")
	}
	if r.RatingRequestedAt == 0 {
		return apperr.New(apperr.Conflict, "no rating was requested for this conversation")
	}
	if st.RatingWindow > 0 && at > r.RatingRequestedAt+seconds(st.RatingWindow) {
		return apperr.New(apperr.Conflict, "the time to rate this conversation has passed")
	}
	if !line.ValidRating(st.RatingScale, value) {
		if st.RatingScale == line.RatingStars {
			return apperr.FieldError("value", "must be 1 to 5 stars")
		}
		return apperr.FieldError("value", "must be 1 (like) or 0 (dislike)")
	}
	if _, err := t.exec(qInsertRating, r.ID, r.WorkspaceID, r.LineID, nullStr(r.OperatorID), st.RatingScale, value, comment, at); err != nil {
		if isUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "this conversation has already been rated")
		}
		return err
	}
	old := *r
	r.Rated = true
	if err := t.saveSession(&old, r); err != nil {
		return err
	}
	if err := t.event(r, "", dialog.Ev("rated", "rating", ratingText(st.RatingScale, value), "scale", st.RatingScale, "value", strconv.Itoa(value)), at); err != nil {
		return err
	}
	if strings.TrimSpace(st.RatingThanksText) != "" {
		if err := t.autoReply(r, dialog.KindAuto, st.RatingThanksText, at); err != nil {
			return err
		}
	}
	t.emit(events.Event{Type: events.SessionChanged, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
		SessionID: r.ID, Status: r.Status, Reason: "rated"})
	if st.CloseOnRating && r.Status == dialog.StatusClosing {
		return t.closeSession(r, dialog.StatusClosed, at)
	}
	return nil
}

func ratingText(scale string, v int) string {
	if scale == line.RatingStars {
		return fmt.Sprintf("%d of 5", v)
	}
	if v == 1 {
		return "like"
	}
	return "dislike"
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
		return t.rate(&r, lr.settings, value, comment, micros(s.now()))
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
		st := lr.settings
		switch d.kind {
		case timerNoAnswer:
			if dialog.IsOpen(r.Status) && r.OperatorID == "" && st.NoAnswerEnabled {
				if err := t.autoReply(&r, dialog.KindAuto, st.NoAnswerText, at); err != nil {
					return n, err
				}
			}
		case timerAutoClose:
			if r.Status == dialog.StatusWaitingClient {
				if strings.TrimSpace(st.AutoCloseText) != "" {
					if err := t.autoReply(&r, dialog.KindAuto, st.AutoCloseText, at); err != nil {
						return n, err
					}
				}
				if err := t.event(&r, "", dialog.Ev("auto_closed"), at); err != nil {
					return n, err
				}
				if err := t.closeSession(&r, dialog.StatusClosed, at); err != nil {
					return n, err
				}
				t.emitChanged(&r, "auto-closed")
			}
		case timerFullClose:
			if r.Status == dialog.StatusClosing {
				if err := t.closeSession(&r, dialog.StatusClosed, at); err != nil {
					return n, err
				}
				if err := t.event(&r, "", dialog.Ev("closed"), at); err != nil {
					return n, err
				}
				t.emitChanged(&r, "closed")
			}
		}
	}
	return n, nil
}

func (t *tx) emitChanged(r *sessionRow, why string) {
	t.emit(events.Event{Type: events.SessionChanged, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
		SessionID: r.ID, Status: r.Status, Reason: why, UserIDs: nonEmpty(r.OperatorID)})
}

// Action is an operator action on a session (SPEC §6).
type Action struct {
	WorkspaceID, SessionID string
	UserID                 string // who acts
	// Privileged is the intercept right: finish, pin or transfer a session
	// held by someone else.
	Privileged bool
}

// act runs fn on a locked, open session.
func (s *Store) act(ctx context.Context, a Action, what string, fn func(t *tx, r *sessionRow, lr lineRules, now int64) error) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		r, lr, err := t.lockSession(a.WorkspaceID, a.SessionID)
		if err != nil {
			return err
		}
		if !dialog.IsOpen(r.Status) {
			return apperr.New(apperr.Conflict, "the session is already %s", r.Status)
		}
		return fn(t, &r, lr, micros(s.now()))
	}), what)
}

// mayHandle: the holder, or with the intercept right anyone.
func mayHandle(a Action, r *sessionRow, what string) error {
	if r.OperatorID == a.UserID || a.Privileged {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the operator holding the session may %s it", what)
}

// Finish ends a session held by the caller (or any, with the intercept right).
func (s *Store) Finish(ctx context.Context, a Action) error {
	return s.act(ctx, a, "finish", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		if r.Status == dialog.StatusClosing {
			return apperr.New(apperr.Conflict, "the session is already finishing")
		}
		if err := mayHandle(a, r, "finish"); err != nil {
			return err
		}
		if err := t.event(r, a.UserID, dialog.Ev("finished"), now); err != nil {
			return err
		}
		if err := t.finish(r, lr.settings, a.UserID, now); err != nil {
			return err
		}
		t.emitChanged(r, "finished")
		return nil
	})
}

// Spam closes a session at once as spam, with no texts (SPEC §4).
func (s *Store) Spam(ctx context.Context, a Action) error {
	return s.act(ctx, a, "spam", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		if r.OperatorID != "" && r.OperatorID != a.UserID && !a.Privileged {
			return apperr.New(apperr.Forbidden, "only the operator holding the session may mark it as spam")
		}
		if err := t.event(r, a.UserID, dialog.Ev("spam"), now); err != nil {
			return err
		}
		if err := t.closeSession(r, dialog.StatusSpam, now); err != nil {
			return err
		}
		t.emitChanged(r, "spam")
		return nil
	})
}

// Pin keeps a session with its operator even when they become unavailable.
func (s *Store) Pin(ctx context.Context, a Action, pinned bool) error {
	return s.act(ctx, a, "pin", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		if err := mayHandle(a, r, "pin"); err != nil {
			return err
		}
		if r.Pinned == pinned {
			return nil
		}
		old := *r
		r.Pinned = pinned
		if err := t.saveSession(&old, r); err != nil {
			return err
		}
		text := "Pinned"
		if !pinned {
			text = "Unpinned"
		}
		if err := t.event(r, a.UserID, dialog.Ev(strings.ToLower(text)), now); err != nil {
			return err
		}
		t.emitChanged(r, strings.ToLower(text))
		return nil
	})
}

// Intercept takes over a session another operator holds (intercept right).
func (s *Store) Intercept(ctx context.Context, a Action) error {
	return s.act(ctx, a, "intercept", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		switch {
		case r.OperatorID == "":
			return apperr.New(apperr.Conflict, "nobody holds this session; take it instead")
		case r.OperatorID == a.UserID:
			return apperr.New(apperr.Conflict, "you already hold this session")
		}
		name, err := t.activeUser(a.WorkspaceID, a.UserID)
		if err != nil {
			return err
		}
		prev := r.OperatorID
		if err := t.assign(r, a.UserID, true); err != nil {
			return err
		}
		if err := t.event(r, a.UserID, dialog.Ev("intercepted", "name", name), now); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.SessionTaken, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
			SessionID: r.ID, UserIDs: []string{a.UserID, prev}, Status: r.Status, Reason: "intercepted"})
		return nil
	})
}

// assign makes user the session's holder: offers end and the no-answer
// timer stops. direct marks a transfer or an intercept: held in or out of
// the line's queue.
func (t *tx) assign(r *sessionRow, user string, direct bool) error {
	old := *r
	r.OperatorID, r.OfferedAlone, r.OfferDeadline, r.Tried, r.Direct = user, "", 0, "", direct
	if r.Status == dialog.StatusQueued {
		r.Status = dialog.StatusInWork
	}
	if err := t.dropOffers(r.ID); err != nil {
		return err
	}
	if err := t.clearTimer(r, timerNoAnswer); err != nil {
		return err
	}
	return t.saveSession(&old, r)
}

func (t *tx) activeUser(wsID, id string) (string, error) {
	var name string
	var active bool
	if err := t.row(qUserBrief, []any{wsID, id}, &name, &active); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", apperr.NotFoundf("user %s not found", id)
		}
		return "", err
	}
	if !active {
		return "", apperr.New(apperr.Conflict, "user %s is deactivated", name)
	}
	return name, nil
}

// Join adds the caller to a session as a participant.
func (s *Store) Join(ctx context.Context, a Action) error {
	return s.act(ctx, a, "join", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		if r.OperatorID == a.UserID {
			return apperr.New(apperr.Conflict, "you hold this session already")
		}
		name, err := t.activeUser(a.WorkspaceID, a.UserID)
		if err != nil {
			return err
		}
		res, err := t.exec(qAddParticipant, r.ID, a.UserID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // joined before
		}
		if err := t.event(r, a.UserID, dialog.Ev("joined", "name", name), now); err != nil {
			return err
		}
		t.emitChanged(r, "joined")
		return nil
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
	return s.act(ctx, a, "transfer", func(t *tx, r *sessionRow, lr lineRules, now int64) error {
		if r.Status == dialog.StatusClosing {
			return apperr.New(apperr.Conflict, "a finishing session cannot be transferred")
		}
		allowed := r.OperatorID == a.UserID || a.Privileged
		if !allowed && r.OperatorID == "" {
			offered, err := queryStrings(t, qSessionOffered, r.ID)
			if err != nil {
				return err
			}
			allowed = contains(offered, a.UserID)
		}
		if !allowed {
			return apperr.New(apperr.Forbidden, "only the operator holding the session, or one it is offered to, may transfer it")
		}
		if toUser != "" {
			name, err := t.activeUser(a.WorkspaceID, toUser)
			if err != nil {
				return err
			}
			if r.OperatorID == toUser {
				return apperr.New(apperr.Conflict, "%s already holds this session", name)
			}
			prev := r.OperatorID
			if err := t.assign(r, toUser, true); err != nil {
				return err
			}
			if err := t.event(r, a.UserID, dialog.Ev("transferred_user", "name", name), now); err != nil {
				return err
			}
			t.emit(events.Event{Type: events.SessionTaken, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
				SessionID: r.ID, UserIDs: append([]string{toUser}, nonEmpty(prev)...), Status: r.Status, Reason: "transferred"})
			return nil
		}
		if toLine == r.LineID {
			return apperr.New(apperr.Conflict, "the session is already on this line")
		}
		target, err := t.lockLine(toLine)
		if err != nil || target.workspaceID != a.WorkspaceID {
			return apperr.NotFoundf("line %s not found", toLine)
		}
		if !target.active {
			return apperr.New(apperr.Conflict, "the line is not active (the plan's limit or an administrator deactivated it)")
		}
		var name string
		if err := t.row(qLineName, []any{toLine}, &name); err != nil {
			return err
		}
		old := *r
		from := old.LineID
		r.LineID, r.OperatorID, r.OfferedAlone, r.OfferDeadline, r.Tried, r.Direct = toLine, "", "", 0, "", false
		r.Status, r.QueuedAt = dialog.StatusQueued, now
		if err := t.dropOffers(r.ID); err != nil {
			return err
		}
		if err := t.saveSession(&old, r); err != nil {
			return err
		}
		if err := t.event(r, a.UserID, dialog.Ev("transferred_line", "name", name), now); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.SessionRequeued, WorkspaceID: r.WorkspaceID, LineID: toLine, DialogID: r.DialogID,
			SessionID: r.ID, UserIDs: nonEmpty(old.OperatorID), Reason: "transferred"})
		t.emit(events.Event{Type: events.Capacity, WorkspaceID: r.WorkspaceID, LineID: from})
		return nil
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
		if _, err := t.exec(qUpsertVote, r.ID, a.UserID, a.WorkspaceID, score, comment, now); err != nil {
			return err
		}
		return t.event(&r, a.UserID, dialog.Ev("vote", "score", strconv.Itoa(score)), now)
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
