package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
)

var (
	qInsertChannel = q(`INSERT INTO channels (id, workspace_id, line_id, type, name, active, created_at, settings, identity_secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	qLineExists    = q(`SELECT COUNT(*) FROM lines WHERE workspace_id = $1 AND id = $2`)
)

const channelCols = `id, workspace_id, line_id, type, name, active, created_at, settings`

func scanChannel(sc interface{ Scan(...any) error }) (channel.Channel, error) {
	return scanChannelWith(sc)
}

// scanChannelWith scans channelCols and then extra.
func scanChannelWith(sc interface{ Scan(...any) error }, extra ...any) (channel.Channel, error) {
	var c channel.Channel
	var created int64
	var settings string
	err := sc.Scan(append([]any{&c.ID, &c.WorkspaceID, &c.LineID, &c.Type, &c.Name, &c.Active, &created, &settings}, extra...)...)
	c.CreatedAt = fromMicros(created)
	if settings != "" && settings != "{}" {
		c.Settings = json.RawMessage(settings)
	}
	return c, err
}

// CreateChannel binds a new channel to a line of the workspace.
func (s *Store) CreateChannel(ctx context.Context, c channel.Channel) (channel.Channel, error) {
	c, _, err := s.createChannel(ctx, c, "", "")
	return c, err
}

// CreateChannelWithKey creates a channel and its first key (by the hash of
// its secret) in one transaction: a channel never exists without the key
// its creator was shown.
func (s *Store) CreateChannelWithKey(ctx context.Context, c channel.Channel, hash, hint string) (channel.Channel, ChannelKey, error) {
	return s.createChannel(ctx, c, hash, hint)
}

func (s *Store) createChannel(ctx context.Context, c channel.Channel, hash, hint string) (channel.Channel, ChannelKey, error) {
	if c.ID == "" {
		c.ID = newID()
	}
	c.Active = true
	c.CreatedAt = s.now()
	var k ChannelKey
	err := s.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.row(qLineExists, []any{c.WorkspaceID, c.LineID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("line %s not found", c.LineID)
		}
		settings := "{}"
		if len(c.Settings) > 0 {
			settings = string(c.Settings)
		}
		if _, err := t.exec(qInsertChannel, c.ID, c.WorkspaceID, c.LineID, c.Type, c.Name, c.Active, micros(c.CreatedAt), settings, c.IdentitySecret); err != nil {
			return err
		}
		if hash != "" {
			k = ChannelKey{ID: newID(), ChannelID: c.ID, Hint: hint, CreatedAt: c.CreatedAt}
			if _, err := t.exec(qInsertKey, k.ID, c.WorkspaceID, c.ID, hash, hint, micros(k.CreatedAt)); err != nil {
				return err
			}
		}
		return t.audit(c.WorkspaceID, "channel", c.ID, "create", nil, c)
	})
	return c, k, dbErr(err, "create channel")
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
// active flag of its line. It is on every inbound message's path, so the
// answer is cached for targetTTL; a change of a line (settings, active,
// deletion, a plan that deactivates it) on this node clears the cache at
// once, and other nodes see it within targetTTL. An empty wsID finds the
// channel in any workspace: the widget's public routes know only its id.
func (s *Store) InboundTarget(ctx context.Context, wsID, channelID string) (c channel.Channel, lineActive bool, err error) {
	key := wsID + "/" + channelID
	t, gen, ok := s.targets.get(key, s.clock.Now())
	if ok {
		return t.ch, t.lineActive, nil
	}
	c, err = scanChannelWith(s.read.QueryRowContext(ctx, `SELECT `+prefixed("c.", channelCols)+`, l.active FROM channels c JOIN lines l ON l.id = c.line_id
		WHERE ($1 = '' OR c.workspace_id = $1) AND c.id = $2`, wsID, channelID), &lineActive)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, apperr.NotFoundf("channel %s not found", channelID)
	}
	if err != nil {
		return c, false, dbErr(err, "get channel")
	}
	s.targets.put(key, target{ch: c, lineActive: lineActive}, gen, s.clock.Now())
	return c, lineActive, nil
}

// targetTTL bounds how long a cached inbound target is believed.
const targetTTL = 2 * time.Second

type target struct {
	ch         channel.Channel
	lineActive bool
	at         time.Time
}

// targetCache holds recent inbound targets by workspace and channel. Its
// generation moves at every clear, so a read that raced with a change is
// never stored.
type targetCache struct {
	mu  sync.Mutex
	m   map[string]target
	gen uint64
}

func (c *targetCache) get(key string, now time.Time) (target, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	if !ok || now.Sub(t.at) >= targetTTL || now.Before(t.at) {
		return target{}, c.gen, false
	}
	return t, c.gen, true
}

func (c *targetCache) put(key string, t target, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // a line changed since the read began
	}
	if c.m == nil || len(c.m) >= 10_000 {
		c.m = map[string]target{}
	}
	t.at = now
	c.m[key] = t
}

// clear forgets every target: a line changed.
func (c *targetCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}
