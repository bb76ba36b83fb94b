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

var qStatsClear = q(`DELETE FROM stats_daily WHERE workspace_id = $1`)

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
	if _, err := t.exec(qStatsClear, wsID); err != nil {
		return err
	}
	sums := map[stats.Key]*stats.Sums{}
	sum := func(k stats.Key) *stats.Sums {
		if sums[k] == nil {
			sums[k] = &stats.Sums{}
		}
		return sums[k]
	}
	add := func(k stats.Key, c stats.Counts) { sum(k).Counts.Add(c) }
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
		g := sum(c.Key)
		g.Counts.Add(c.Counts)
		if c.FRT >= 0 {
			g.FRT[c.FRT]++
		}
		if c.TTC >= 0 {
			g.TTC[c.TTC]++
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
	for k, g := range sums {
		args := []any{wsID, k.Day, k.Line, k.Channel, k.Operator}
		for _, v := range g.Counts {
			args = append(args, v)
		}
		if _, err := t.exec(qStatsInsert, append(args, g.FRT.Encode(), g.TTC.Encode())...); err != nil {
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
