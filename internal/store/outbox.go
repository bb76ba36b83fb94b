package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
)

// The outbox (SPEC §11, docs/ARCHITECTURE.md "Outbound delivery"): a row per
// text for a customer, written by apply in the transaction of the
// transition that sends it. Workers (package delivery) claim due rows — only
// the oldest waiting one of each dialog, so a dialog's texts go out in order
// — under a lease, deliver them and record the outcome. A worker that dies
// leaves its lease to run out: the row is delivered again (at least once).

// Delivery states of an outbound message.
const (
	OutQueued    = "queued"
	OutSent      = "sent"
	OutDelivered = "delivered"
	OutRead      = "read"
	OutFailed    = "failed"
)

// OutboxGiveUp is how long an undeliverable text is retried before it is
// failed for good.
const OutboxGiveUp = 24 * time.Hour

var (
	qEnqueueOut = q(`INSERT INTO outbox (message_id, workspace_id, channel_id, dialog_id, state, next_at, give_up_at, created_at, updated_at)
		SELECT $1, workspace_id, channel_id, id, 'queued', $3, $4, $3, $3 FROM dialogs WHERE id = $2`)
	// The due rows that are the oldest waiting text of their dialog and
	// nobody holds a lease on. PostgreSQL skips rows another claimer has
	// locked; SQLite's writer is exclusive anyway.
	qDueOut = q(`SELECT o.message_id FROM outbox o
		WHERE ` + firstWaiting + ` AND o.next_at <= $1 AND o.lease_until <= $1
		ORDER BY o.next_at, o.message_id LIMIT $2{{FOR_UPDATE SKIP_LOCKED}}`)
	qLeaseOut = q(`UPDATE outbox SET lease_until = $2, attempts = attempts + 1 WHERE message_id = $1
		RETURNING workspace_id, channel_id, dialog_id, attempts, give_up_at`)
	qOutMessage = q(`SELECT m.session_id, m.kind, m.author_id, m.text, m.created_at, c.type FROM messages m JOIN channels c ON c.id = m.channel_id
		WHERE m.id = $1`)
	qOutState = q(`SELECT o.state, o.attempts, o.give_up_at, o.workspace_id, o.dialog_id, COALESCE(m.session_id, '')
		FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.message_id = $1{{FOR_UPDATE OF o}}`)
	qSetOut = q(`UPDATE outbox SET state = $2, next_at = $3, lease_until = 0, last_error = $4, updated_at = $5 WHERE message_id = $1`)
	// The earliest moment a claim can take something: a dialog's first
	// waiting text is due or its lease runs out (the texts behind it wait
	// for it, whatever their own time).
	qNextOut = q(`SELECT MIN(CASE WHEN o.lease_until > o.next_at THEN o.lease_until ELSE o.next_at END) FROM outbox o
		WHERE ` + firstWaiting)
)

// firstWaiting holds for an outbox row o that is its dialog's oldest
// waiting text: the only one of the dialog a claim may take (in order).
const firstWaiting = `o.state = 'queued' AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.dialog_id = o.dialog_id AND p.state = 'queued'
	AND (p.created_at < o.created_at OR (p.created_at = o.created_at AND p.message_id < o.message_id)))`

// enqueue writes the outbox row of message m, just sent to the customer.
func (t *tx) enqueue(r *sessionRow, m dialog.Message, at int64) error {
	_, err := t.exec(qEnqueueOut, m.ID, r.DialogID, at, at+clock.Duration(OutboxGiveUp))
	if err == nil {
		t.emit(events.Event{Type: events.Outbound, WorkspaceID: r.WorkspaceID, DialogID: r.DialogID, MessageID: m.ID})
	}
	return err
}

// Outbound is a claimed text to deliver.
type Outbound struct {
	Message     dialog.Message
	WorkspaceID string
	ChannelID   string
	ChannelType string
	Attempt     int       // 1 for the first try
	GiveUpAt    time.Time // after this, a failure is final
}

// ClaimOutbound leases up to limit due texts for lease: each is the oldest
// waiting text of its dialog, and no other claimer gets it until the lease
// runs out or its outcome is recorded.
func (s *Store) ClaimOutbound(ctx context.Context, limit int, lease time.Duration) ([]Outbound, error) {
	var out []Outbound
	err := s.inTx(ctx, func(t *tx) error {
		out = out[:0]
		now := micros(s.now())
		ids, err := queryStrings(t, qDueOut, now, limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			o := Outbound{Message: dialog.Message{ID: id, Direction: dialog.Out}}
			var giveUp int64
			if err := t.row(qLeaseOut, []any{id, now + clock.Duration(lease)}, &o.WorkspaceID, &o.ChannelID, &o.Message.DialogID, &o.Attempt, &giveUp); err != nil {
				return err
			}
			o.GiveUpAt = fromMicros(giveUp)
			var sid, author sql.NullString
			var at int64
			if err := t.row(qOutMessage, []any{id}, &sid, &o.Message.Kind, &author, &o.Message.Text, &at, &o.ChannelType); err != nil {
				return err
			}
			o.Message.SessionID, o.Message.AuthorID, o.Message.CreatedAt = fromNullString(sid), fromNullString(author), fromMicros(at)
			out = append(out, o)
		}
		return nil
	})
	return out, dbErr(err, "claim outbound")
}

// OutboundResult is the outcome of one delivery attempt.
type OutboundResult struct {
	State string // OutSent, OutDelivered, OutRead; "" when the attempt failed
	Err   string // why it failed
	// Retry is when to try again after a failure; zero (or past the give-up
	// time, or a permanent failure) fails the text for good.
	Retry time.Time
}

// RecordOutbound stores the outcome of delivering a claimed text, or a
// later receipt (delivered, read) of a sent one. A state never goes back:
// a late "sent" does not undo "read", and a failed text stays failed.
func (s *Store) RecordOutbound(ctx context.Context, messageID string, res OutboundResult) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var state, wsID, dialogID, sessionID string
		var attempts int
		var giveUp int64
		if err := t.row(qOutState, []any{messageID}, &state, &attempts, &giveUp, &wsID, &dialogID, &sessionID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFoundf("no outbound message %s", messageID)
			}
			return err
		}
		now := micros(s.now())
		next, nextAt, why := res.State, int64(0), ""
		switch {
		case next != "" && outRank[next] <= outRank[state]:
			return nil // older news: a late "sent" after "read", or anything after "failed"
		case next == "" && state != OutQueued:
			return nil // another attempt (after this one's lease ran out) got it through
		case next == "":
			// Retried until the give-up time — the last attempt at that
			// time — then failed for good.
			why = res.Err
			if !res.Retry.IsZero() && now < giveUp {
				next, nextAt = OutQueued, min(micros(res.Retry), giveUp)
			} else {
				next = OutFailed
			}
		}
		if _, err := t.exec(qSetOut, messageID, next, nextAt, why, now); err != nil {
			return err
		}
		if next != state {
			// With the session, so that it reaches the screens that see it.
			t.emit(events.Event{Type: events.MessageDelivery, WorkspaceID: wsID, DialogID: dialogID, SessionID: sessionID, MessageID: messageID,
				Status: next, Reason: why})
		}
		return nil
	}), "record delivery")
}

// outRank orders delivery states: a state only moves forward.
var outRank = map[string]int{OutQueued: 0, OutSent: 1, OutDelivered: 2, OutRead: 3, OutFailed: 4}

// NextOutbound returns when the earliest waiting text is due (or its lease
// runs out), if any.
func (s *Store) NextOutbound(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.read.QueryRowContext(ctx, s.sqlOf(qNextOut)).Scan(&v); err != nil {
		return time.Time{}, false, dbErr(err, "next outbound")
	}
	return fromMicros(v.Int64), v.Valid, nil
}
