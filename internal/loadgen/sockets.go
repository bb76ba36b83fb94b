package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// SocketsResult is the sockets scenario's detail.
type SocketsResult struct {
	Requested         int     `json:"requested"`
	Opened            int64   `json:"opened"`
	OpenAfterHold     int64   `json:"open_after_hold"`
	HoldSeconds       float64 `json:"hold_s"`
	ConnectsPerSecond float64 `json:"connects_per_second"`
	// RSSPerSocket is the growth of the server's resident memory divided by
	// the sockets open, in bytes; 0 when the server was not found.
	RSSPerSocket int64 `json:"rss_per_socket_bytes,omitempty"`
}

// runSockets opens cfg.Sockets operator WebSockets (spread over the
// cfg.Operators accounts, cfg.Connections handshakes at a time), holds them
// open and idle for cfg.Hold, and reports the server's memory before and
// after. Each socket has a reader that discards what the server sends
// (presence changes), as a screen would.
func runSockets(ctx context.Context, e *env, res *Result) error {
	e.logf("sockets: opening %d operator WebSockets, %d at a time", e.cfg.Sockets, e.cfg.Connections)
	holdSockets(ctx, e, res, func(ctx context.Context, i int) (*websocket.Conn, error) {
		return e.a.dial(ctx, e.ops[i%len(e.ops)], e.cfg.Timeout)
	}, func(ctx context.Context, c *websocket.Conn) { readEvents(ctx, c, func(*event, time.Time) {}) })
	return nil
}

// holdSockets opens cfg.Sockets sockets with dial, cfg.Connections at a
// time, each read by read (which returns when the socket ends), holds them
// open for cfg.Hold, and fills in res.Sockets, the server's memory after,
// the errors and the connect latency.
func holdSockets(ctx context.Context, e *env, res *Result, dial func(ctx context.Context, i int) (*websocket.Conn, error), read func(ctx context.Context, c *websocket.Conn)) *outcome {
	cfg := e.cfg
	conns := make([]*websocket.Conn, cfg.Sockets)
	readCtx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	var (
		readers sync.WaitGroup
		closing atomic.Bool
		dropped atomic.Int64
	)
	o := drive(ctx, load{conns: cfg.Connections, count: cfg.Sockets, duration: MaxDuration, timeout: cfg.Timeout}, func(ctx context.Context, i int) error {
		c, err := dial(ctx, i)
		if err != nil {
			return err
		}
		conns[i] = c
		readers.Go(func() {
			read(readCtx, c)
			if !closing.Load() {
				dropped.Add(1)
			}
		})
		return nil
	})
	e.logf("%s: %d open; holding them for %v", cfg.Scenario, o.OK, cfg.Hold)
	t := time.NewTimer(cfg.Hold)
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	t.Stop()
	if res.Server != nil {
		res.Server.RSSAfter = rss("/proc", res.Server.PID)
	}
	closing.Store(true)
	lost := dropped.Load()
	stopReading()
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
	readers.Wait()
	s := &SocketsResult{Requested: cfg.Sockets, Opened: o.OK, OpenAfterHold: o.OK - lost, HoldSeconds: round3(cfg.Hold.Seconds()), ConnectsPerSecond: round1(o.PerSecond())}
	if res.Server != nil && s.OpenAfterHold > 0 {
		s.RSSPerSocket = (res.Server.RSSAfter - res.Server.RSSBefore) / s.OpenAfterHold
	}
	if lost > 0 {
		res.Errors["socket_dropped"] += lost
	}
	res.Errors.add(o.Errors)
	res.Sockets = s
	res.Elapsed = round3(o.Elapsed.Seconds())
	res.Latency = append(res.Latency, o.latency("connect"))
	return o
}
