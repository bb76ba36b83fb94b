package store

import (
	"context"

	"github.com/openlines/openlines/internal/stats"
)

// The rebuild sums the contributions of package stats over the history —
// sessions, ratings, votes, operator messages — exactly as the incremental
// path adds them, so after either the tables hold the same figures
// (TestStatsRebuildEqualsIncremental).

var rebuildSessions = `SELECT ` + prefixed("s.", sessionRowCols) + `, d.channel_id FROM sessions s JOIN dialogs d ON d.id = s.dialog_id WHERE s.workspace_id = $1`

const (
	rebuildRatings = `SELECT r.scale, r.value, r.line_id, COALESCE(r.operator_id, ''), s.opened_at, d.channel_id
		FROM ratings r JOIN sessions s ON s.id = r.session_id JOIN dialogs d ON d.id = s.dialog_id WHERE r.workspace_id = $1`
	rebuildVotes = `SELECT v.score, 0, v.line_id, v.operator_id, s.opened_at, d.channel_id
		FROM session_votes v JOIN sessions s ON s.id = v.session_id JOIN dialogs d ON d.id = s.dialog_id WHERE v.workspace_id = $1`
	rebuildMessages = `SELECT COUNT(*), 0, s.line_id, m.author_id, s.opened_at, d.channel_id
		FROM messages m JOIN sessions s ON s.id = m.session_id JOIN dialogs d ON d.id = m.dialog_id
		WHERE m.workspace_id = $1 AND m.direction = 'out' AND m.kind = 'text' AND m.author_id IS NOT NULL
		GROUP BY s.id, s.line_id, m.author_id, s.opened_at, d.channel_id`
)

var (
	qStatsClear = q(`DELETE FROM stats_daily WHERE workspace_id = $1`)
	qHistClear  = q(`DELETE FROM stats_hist WHERE workspace_id = $1`)
)

type histKey struct {
	key            stats.Key
	metric, bucket int
}

// RebuildStats recomputes a workspace's figures from its history.
func (s *Store) RebuildStats(ctx context.Context, wsID string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error { return t.rebuildStats(wsID) }), "rebuild statistics")
}

func (t *tx) rebuildStats(wsID string) error {
	t.zones = nil // the zone may just have changed
	loc, err := t.statsZone(wsID)
	if err != nil {
		return err
	}
	for _, q := range []*query{qStatsClear, qHistClear} {
		if _, err := t.exec(q, wsID); err != nil {
			return err
		}
	}
	counts := map[stats.Key]*stats.Counts{}
	add := func(k stats.Key, c stats.Counts) {
		if counts[k] == nil {
			counts[k] = &stats.Counts{}
		}
		counts[k].Add(c)
	}
	hist := map[histKey]int64{}
	rows, err := t.tx.QueryContext(t.ctx, rebuildSessions, wsID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ch string
		r, err := scanSessionRow(withExtra{rows, &ch})
		if err != nil {
			rows.Close()
			return err
		}
		c := stats.OfSession(&r, ch, loc)
		add(c.Key, c.Counts)
		if c.FRT >= 0 {
			hist[histKey{c.Key, stats.MetricFRT, c.FRT}]++
		}
		if c.TTC >= 0 {
			hist[histKey{c.Key, stats.MetricTTC, c.TTC}]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, sel := range []string{rebuildRatings, rebuildVotes, rebuildMessages} {
		rows, err := t.tx.QueryContext(t.ctx, sel, wsID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var scale string
			var a, b, opened int64
			var k stats.Key
			dest := []any{&a, &b, &k.Line, &k.Operator, &opened, &k.Channel}
			if i == 0 {
				dest[0] = &scale
				dest[1] = &a
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			k.Day = stats.Day(opened, loc)
			switch i {
			case 0:
				add(k, stats.OfRating(scale, int(a)))
			case 1:
				add(k, stats.OfVote(int(a)))
			case 2:
				add(k, stats.OfMessages(a))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for k, c := range counts {
		args := []any{wsID, k.Day, k.Line, k.Channel, k.Operator}
		for _, v := range c {
			args = append(args, v)
		}
		if _, err := t.exec(qStatsAddKey, args...); err != nil {
			return err
		}
	}
	for h, n := range hist {
		if _, err := t.exec(qHistAddKey, wsID, h.key.Day, h.metric, h.key.Line, h.key.Channel, h.key.Operator, h.bucket, n); err != nil {
			return err
		}
	}
	return nil
}

// withExtra scans a row's leading columns into a scanner's destinations and
// its last ones into extra.
type withExtra struct {
	rows  interface{ Scan(...any) error }
	extra *string
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra)...) }
