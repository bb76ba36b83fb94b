package store

import (
	"context"

	"github.com/openlines/openlines/internal/routing"
)

// OpenSessionStatuses are the statuses of a session not yet over, the ones
// the metrics count (closed and spam sessions only ever grow).
var OpenSessionStatuses = []string{"queued", "in_work", "waiting_client", "closing"}

// OpsCounts is the state of the contact center across workspaces, read for
// the metrics at scrape time.
type OpsCounts struct {
	Sessions        map[string]int // open sessions by status
	QueuedByLine    map[string]int // waiting sessions nobody holds, by line id (every line, 0 included)
	OperatorsOnline int
	OutboxBacklog   map[string]int // queued outbound texts by channel type (every type in use, 0 included)
}

// OpsCounts counts what the metrics report. Each query reads an index:
// sessions_one_open, sessions_waiting, presence's rows, outbox_due.
func (s *Store) OpsCounts(ctx context.Context) (OpsCounts, error) {
	c := OpsCounts{Sessions: map[string]int{}, QueuedByLine: map[string]int{}, OutboxBacklog: map[string]int{}}
	group := func(into map[string]int, query string, args ...any) error {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			into[k] += n
		}
		return rows.Err()
	}
	err := group(c.Sessions, `SELECT status, COUNT(*) FROM sessions WHERE status NOT IN ('closed','spam') GROUP BY status`)
	if err == nil {
		err = group(c.QueuedByLine, `SELECT l.id, COUNT(s.id) FROM lines l
			LEFT JOIN sessions s ON s.line_id = l.id AND s.status = 'queued' AND s.operator_id IS NULL GROUP BY l.id`)
	}
	if err == nil {
		err = group(c.OutboxBacklog, `SELECT DISTINCT type, 0 FROM channels`)
	}
	if err == nil {
		err = group(c.OutboxBacklog, `SELECT c.type, COUNT(*) FROM outbox o JOIN channels c ON c.id = o.channel_id
			WHERE o.state = 'queued' GROUP BY c.type`)
	}
	if err == nil {
		since := micros(s.now()) - int64(routing.OnlineWindow.Microseconds())
		err = s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM presence WHERE status = 'online' AND last_seen > $1`, since).Scan(&c.OperatorsOnline)
	}
	if err != nil {
		return OpsCounts{}, dbErr(err, "count for the metrics")
	}
	return c, nil
}
