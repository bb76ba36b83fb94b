package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/events"
)

// ChannelKey is a channel's credential for its inbound, as listed: the
// secret itself is shown once, when it is made.
type ChannelKey struct {
	ID        string    `json:"id"`
	ChannelID string    `json:"channel_id"`
	Hint      string    `json:"hint"` // the secret's first characters
	CreatedAt time.Time `json:"created_at"`
}

var (
	qChannelOfWS  = q(`SELECT COUNT(*) FROM channels WHERE workspace_id = $1 AND id = $2`)
	qInsertKey    = q(`INSERT INTO channel_keys (id, workspace_id, channel_id, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5, $6)`)
	qDeleteKey    = q(`DELETE FROM channel_keys WHERE workspace_id = $1 AND channel_id = $2 AND id = $3`)
	qDelLineKeys  = q(`DELETE FROM channel_keys WHERE channel_id IN (SELECT id FROM channels WHERE line_id = $1)`)
	qChannelOfKey = q(`SELECT ` + prefixed("c.", channelCols) + ` FROM channel_keys k JOIN channels c ON c.id = k.channel_id WHERE k.hash = $1`)
)

// CreateChannelKey stores a new key of a channel of the workspace by the
// hash of its secret.
func (s *Store) CreateChannelKey(ctx context.Context, wsID, channelID, hash, hint string) (ChannelKey, error) {
	k := ChannelKey{ID: newID(), ChannelID: channelID, Hint: hint, CreatedAt: s.now()}
	err := s.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.row(qChannelOfWS, []any{wsID, channelID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("channel %s not found", channelID)
		}
		if _, err := t.exec(qInsertKey, k.ID, wsID, channelID, hash, hint, micros(k.CreatedAt)); err != nil {
			return err
		}
		return t.audit(wsID, "channel", channelID, "key_created", nil, k)
	})
	return k, dbErr(err, "create channel key")
}

// ListChannelKeys lists a channel's keys, oldest first.
func (s *Store) ListChannelKeys(ctx context.Context, wsID, channelID string) ([]ChannelKey, error) {
	if _, err := s.GetChannel(ctx, wsID, channelID); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, channel_id, hint, created_at FROM channel_keys WHERE workspace_id = $1 AND channel_id = $2
		ORDER BY created_at, id`, wsID, channelID)
	if err != nil {
		return nil, dbErr(err, "list channel keys")
	}
	ks, err := collect(rows, func(sc interface{ Scan(...any) error }) (ChannelKey, error) {
		var k ChannelKey
		var at int64
		err := sc.Scan(&k.ID, &k.ChannelID, &k.Hint, &at)
		k.CreatedAt = fromMicros(at)
		return k, err
	})
	return ks, dbErr(err, "list channel keys")
}

// DeleteChannelKey revokes a key: every node stops believing it at once
// (events.KeyRevoked).
func (s *Store) DeleteChannelKey(ctx context.Context, wsID, channelID, keyID string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		res, err := t.exec(qDeleteKey, wsID, channelID, keyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("key %s of channel %s not found", keyID, channelID)
		}
		t.emit(events.Event{Type: events.KeyRevoked, WorkspaceID: wsID, Reason: channelID})
		return t.audit(wsID, "channel", channelID, "key_deleted", ChannelKey{ID: keyID, ChannelID: channelID}, nil)
	}), "delete channel key")
}

// ChannelByKey returns the channel a key (by the hash of its secret)
// belongs to; an unknown key is Unauthorized.
func (s *Store) ChannelByKey(ctx context.Context, hash string) (channel.Channel, error) {
	c, err := scanChannel(s.read.QueryRowContext(ctx, s.sqlOf(qChannelOfKey), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.New(apperr.Unauthorized, "the channel key is not valid (revoked, or its channel was deleted)")
	}
	return c, dbErr(err, "channel key")
}
