package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
)

// What the web-chat widget needs of the store (docs/WIDGET.md): a channel's
// settings and sealed identity secret, the visitors and their tokens, a
// channel's health, and the receipts a widget sends for what it showed.

var (
	qLockChannel   = q(`SELECT ` + channelCols + ` FROM channels WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qUpdateChannel = q(`UPDATE channels SET name = $3, active = $4, settings = $5 WHERE workspace_id = $1 AND id = $2`)
	qChannelSecret = q(`SELECT identity_secret FROM channels WHERE workspace_id = $1 AND id = $2`)
	qSetSecret     = q(`UPDATE channels SET identity_secret = $3 WHERE workspace_id = $1 AND id = $2`)
	// A line's deletion takes its widget channels' visitors (their tokens) with it.
	qDelLineVisitors = q(`DELETE FROM widget_visitors WHERE channel_id IN (SELECT id FROM channels WHERE line_id = $1)`)
	qInsertVisitor   = q(`INSERT INTO widget_visitors (id, workspace_id, channel_id, customer, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`)
	// The contact a new visitor gave is their customer's, kept over what
	// an earlier device gave only where this one gave something.
	qSaveContact = q(`INSERT INTO customers (id, workspace_id, channel_id, external_id, name, email, phone, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (channel_id, external_id) DO UPDATE SET
		name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,
		email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE customers.email END,
		phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE customers.phone END`)
	qVisitorByToken  = q(`SELECT id, workspace_id, channel_id, customer, created_at FROM widget_visitors WHERE token_hash = $1`)
	qChannelOutboxes = q(`SELECT state, COUNT(*) FROM outbox WHERE channel_id = $1 AND state IN ('queued', 'failed') GROUP BY state`)
	qChannelLastErr  = q(`SELECT last_error FROM outbox WHERE channel_id = $1 AND state = 'failed' ORDER BY updated_at DESC LIMIT 1`)
	qChannelLastIn   = q(`SELECT MAX(last_message_at) FROM dialogs WHERE channel_id = $1`)
	// The texts of a dialog up to a message (by its time), for a receipt:
	// delivered or read moves every earlier one forward too — a text the
	// widget showed got there, whatever the outbox's worker has recorded.
	qSeenOut = q(`SELECT o.message_id, o.state, COALESCE(m.session_id, '') FROM outbox o JOIN messages m ON m.id = o.message_id
		WHERE o.dialog_id = $1 AND o.state IN ('queued', 'sent', 'delivered') AND o.created_at <= (SELECT created_at FROM outbox WHERE message_id = $2 AND dialog_id = $1)
		ORDER BY o.created_at, o.message_id{{FOR_UPDATE OF o}}`)
	qRatingToken = q(`SELECT COALESCE(s.rating_token, ''), s.rated FROM dialogs d JOIN sessions s ON s.id = d.session_id WHERE d.workspace_id = $1 AND d.id = $2`)
)

// UpdateChannel changes a channel's name, active flag or settings (change
// edits a copy; the id, workspace, line and type stay).
func (s *Store) UpdateChannel(ctx context.Context, wsID, id string, change func(*channel.Channel) error) (channel.Channel, error) {
	var out channel.Channel
	err := s.inTx(ctx, func(t *tx) error {
		old, err := scanChannel(t.stmt(qLockChannel).QueryRowContext(t.ctx, wsID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("channel %s not found", id)
		}
		if err != nil {
			return err
		}
		c := old
		if err := change(&c); err != nil {
			return err
		}
		c.ID, c.WorkspaceID, c.LineID, c.Type, c.CreatedAt = old.ID, old.WorkspaceID, old.LineID, old.Type, old.CreatedAt
		settings := "{}"
		if len(c.Settings) > 0 {
			settings = string(c.Settings)
		}
		if _, err := t.exec(qUpdateChannel, wsID, id, c.Name, c.Active, settings); err != nil {
			return err
		}
		out = c
		return t.audit(wsID, "channel", id, "update", old, c)
	})
	if err == nil {
		s.targets.clear() // after the commit: no read can refill it with the old channel
	}
	return out, dbErr(err, "update channel")
}

// ChannelSecret returns a channel's identity secret as stored (sealed).
func (s *Store) ChannelSecret(ctx context.Context, wsID, id string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, s.sqlOf(qChannelSecret), wsID, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundf("channel %s not found", id)
	}
	return v, dbErr(err, "read channel secret")
}

// SetChannelSecret replaces a channel's (sealed) identity secret.
func (s *Store) SetChannelSecret(ctx context.Context, wsID, id, sealed string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		res, err := t.exec(qSetSecret, wsID, id, sealed)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("channel %s not found", id)
		}
		return t.audit(wsID, "channel", id, "rotate_identity_secret", nil, nil)
	}), "rotate channel secret")
}

// Visitor is a widget's visitor: a browser's credential for the customer
// of a channel it stands for.
type Visitor struct {
	ID, WorkspaceID, ChannelID string
	// Customer is the customer's external id on the channel.
	Customer  string
	CreatedAt time.Time
}

// CreateVisitor stores a visitor with the hash of its token and, in the
// same transaction, the contact they gave (name, e-mail, phone: the
// pre-chat form) on their customer, created here when new; the customer's
// first message then finds them named.
func (s *Store) CreateVisitor(ctx context.Context, v Visitor, tokenHash string, contact dialog.Customer) (Visitor, error) {
	if v.ID == "" {
		v.ID = newID()
	}
	v.CreatedAt = s.now()
	at := micros(v.CreatedAt)
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(qInsertVisitor, v.ID, v.WorkspaceID, v.ChannelID, v.Customer, tokenHash, at); err != nil {
			return err
		}
		if contact.Name == "" && contact.Email == "" && contact.Phone == "" {
			return nil
		}
		_, err := t.exec(qSaveContact, newID(), v.WorkspaceID, v.ChannelID, v.Customer, contact.Name, contact.Email, contact.Phone, at)
		return err
	})
	return v, dbErr(err, "create visitor")
}

// NewID makes a record's id before it is stored: a visitor's (its
// anonymous customer is named after it), a channel's (its sealed secret is
// bound to it).
func NewID() string { return newID() }

// VisitorByToken finds the visitor whose token has this hash.
func (s *Store) VisitorByToken(ctx context.Context, tokenHash string) (Visitor, error) {
	var v Visitor
	var created int64
	err := s.read.QueryRowContext(ctx, s.sqlOf(qVisitorByToken), tokenHash).Scan(&v.ID, &v.WorkspaceID, &v.ChannelID, &v.Customer, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.New(apperr.Unauthorized, "unknown visitor token")
	}
	v.CreatedAt = fromMicros(created)
	return v, dbErr(err, "find visitor")
}

// ChannelHealth is what the Channels tab shows of a channel.
type ChannelHealth struct {
	LastInboundAt *time.Time   `json:"last_inbound_at"`
	Outbox        OutboxHealth `json:"outbox"`
}

// OutboxHealth counts a channel's waiting and failed texts.
type OutboxHealth struct {
	Queued    int    `json:"queued"`
	Failed    int    `json:"failed"`
	LastError string `json:"last_error"`
}

// ChannelHealth reads a channel's health.
func (s *Store) ChannelHealth(ctx context.Context, id string) (ChannelHealth, error) {
	var h ChannelHealth
	var last sql.NullInt64
	if err := s.read.QueryRowContext(ctx, s.sqlOf(qChannelLastIn), id).Scan(&last); err != nil {
		return h, dbErr(err, "channel health")
	}
	if last.Valid {
		at := fromMicros(last.Int64)
		h.LastInboundAt = &at
	}
	rows, err := s.read.QueryContext(ctx, s.sqlOf(qChannelOutboxes), id)
	if err != nil {
		return h, dbErr(err, "channel health")
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			rows.Close()
			return h, dbErr(err, "channel health")
		}
		if state == OutQueued {
			h.Outbox.Queued = n
		} else {
			h.Outbox.Failed = n
		}
	}
	rows.Close()
	if h.Outbox.Failed > 0 {
		if err := s.read.QueryRowContext(ctx, s.sqlOf(qChannelLastErr), id).Scan(&h.Outbox.LastError); err != nil {
			return h, dbErr(err, "channel health")
		}
	}
	return h, dbErr(rows.Err(), "channel health")
}

// MarkSeen records a widget's receipt: the texts of the dialog up to
// messageID reached the customer's screen (delivered) or were read. States
// only move forward; each change is a message.delivery event.
func (s *Store) MarkSeen(ctx context.Context, wsID, dialogID, messageID string, read bool) error {
	next := OutDelivered
	if read {
		next = OutRead
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		type row struct{ id, state, session string }
		var rs []row
		rows, err := t.query(qSeenOut, dialogID, messageID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.state, &r.session); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := micros(s.now())
		for _, r := range rs {
			if outRank[next] <= outRank[r.state] {
				continue
			}
			if _, err := t.exec(qSetOut, r.id, next, 0, "", now); err != nil {
				return err
			}
			t.emit(events.Event{Type: events.MessageDelivery, WorkspaceID: wsID, DialogID: dialogID, SessionID: r.session, MessageID: r.id, Status: next})
		}
		return nil
	}), "record receipt")
}

// RatingAsked returns the rating token of the dialog's latest session while
// it waits for the customer's rating ("" otherwise).
func (s *Store) RatingAsked(ctx context.Context, wsID, dialogID string) (string, error) {
	var token string
	var rated bool
	err := s.read.QueryRowContext(ctx, s.sqlOf(qRatingToken), wsID, dialogID).Scan(&token, &rated)
	if errors.Is(err, sql.ErrNoRows) || rated {
		return "", nil
	}
	return token, dbErr(err, "read rating request")
}
