package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
)

var (
	qInsertChannel = q(`INSERT INTO channels (id, workspace_id, line_id, type, name, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	qLineExists    = q(`SELECT COUNT(*) FROM lines WHERE workspace_id = $1 AND id = $2`)
)

const channelCols = `id, workspace_id, line_id, type, name, active, created_at`

func scanChannel(sc interface{ Scan(...any) error }) (channel.Channel, error) {
	var c channel.Channel
	var created int64
	err := sc.Scan(&c.ID, &c.WorkspaceID, &c.LineID, &c.Type, &c.Name, &c.Active, &created)
	c.CreatedAt = fromMicros(created)
	return c, err
}

// CreateChannel binds a new channel to a line of the workspace.
func (s *Store) CreateChannel(ctx context.Context, c channel.Channel) (channel.Channel, error) {
	c.ID = newID()
	c.Active = true
	c.CreatedAt = s.now()
	err := s.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.row(qLineExists, []any{c.WorkspaceID, c.LineID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("line %s not found", c.LineID)
		}
		_, err := t.exec(qInsertChannel, c.ID, c.WorkspaceID, c.LineID, c.Type, c.Name, c.Active, micros(c.CreatedAt))
		return err
	})
	return c, dbErr(err, "create channel")
}

// GetChannel returns a channel of the workspace.
func (s *Store) GetChannel(ctx context.Context, wsID, id string) (channel.Channel, error) {
	c, err := scanChannel(s.read.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE workspace_id = $1 AND id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFoundf("channel %s not found", id)
	}
	return c, dbErr(err, "get channel")
}

// ListChannels returns the channels of one line of the workspace.
func (s *Store) ListChannels(ctx context.Context, wsID, lineID string) ([]channel.Channel, error) {
	if _, err := s.GetLine(ctx, wsID, lineID); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+channelCols+` FROM channels WHERE workspace_id = $1 AND line_id = $2 ORDER BY created_at, id`, wsID, lineID)
	if err != nil {
		return nil, dbErr(err, "list channels")
	}
	return collect(rows, scanChannel)
}

// InboundTarget returns the channel a customer message arrives on, with the
// active flag of its line, checked in the workspace.
func (s *Store) InboundTarget(ctx context.Context, wsID, channelID string) (c channel.Channel, lineActive bool, err error) {
	var created int64
	err = s.read.QueryRowContext(ctx, `SELECT `+prefixed("c.", channelCols)+`, l.active FROM channels c JOIN lines l ON l.id = c.line_id
		WHERE c.workspace_id = $1 AND c.id = $2`, wsID, channelID).
		Scan(&c.ID, &c.WorkspaceID, &c.LineID, &c.Type, &c.Name, &c.Active, &created, &lineActive)
	c.CreatedAt = fromMicros(created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, apperr.NotFoundf("channel %s not found", channelID)
	}
	return c, lineActive, dbErr(err, "get channel")
}
