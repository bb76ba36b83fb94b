package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/stats"
)

// The statistics tables (migration 0015) are written by the functions here,
// called from the one place a session changes (insertSession, saveSession)
// and from apply for ratings, votes and operator messages, all in the
// transaction of the change: the figures cannot drift from the sessions.
// What each thing contributes is package stats's; this file only moves it.

// statsUpsert adds a delta to the counters of one key and returns its
// histograms and channel; the channel is chanExpr: a parameter, or the
// channel of dialog $4.
func statsUpsert(chanExpr string) *query {
	cols := strings.Join(stats.Columns[:], ", ")
	var vals, sets []string
	for i, c := range stats.Columns {
		vals = append(vals, fmt.Sprintf("$%d", i+6))
		sets = append(sets, fmt.Sprintf("%s = stats_daily.%s + excluded.%s", c, c, c))
	}
	return q(`INSERT INTO stats_daily (workspace_id, day, line_id, channel_id, operator_id, ` + cols + `)
		VALUES ($1, $2, $3, ` + chanExpr + `, $5, ` + strings.Join(vals, ", ") + `)
		ON CONFLICT (workspace_id, day, line_id, channel_id, operator_id) DO UPDATE SET ` + strings.Join(sets, ", ") + `
		RETURNING frt, ttc, channel_id`)
}

var (
	qStatsAdd    = statsUpsert(`(SELECT channel_id FROM dialogs WHERE id = $4)`)
	qStatsInsert = q(`INSERT INTO stats_daily (workspace_id, day, line_id, channel_id, operator_id, ` + strings.Join(stats.Columns[:], ", ") + `, frt, ttc)
		VALUES (` + placeholders(1, 5+stats.NumCounts+2) + `)`)
	qStatsHist = q(`UPDATE stats_daily SET frt = $6, ttc = $7
		WHERE workspace_id = $1 AND day = $2 AND line_id = $3 AND channel_id = $4 AND operator_id = $5`)
	qWorkspaceZone  = q(`SELECT timezone FROM workspaces WHERE id = $1`)
	qSessionAnswers = q(`SELECT author_id, COUNT(*) FROM messages WHERE dialog_id = $1 AND session_id = $2
		AND direction = 'out' AND kind = 'text' AND author_id IS NOT NULL GROUP BY author_id`)
	qVoteOf = q(`SELECT score, line_id, operator_id FROM session_votes WHERE session_id = $1 AND voter_id = $2`)
)

// statsDelta is a change of one key's figures: counters, and histogram
// buckets (bucket → change).
type statsDelta struct {
	counts   stats.Counts
	frt, ttc map[int]int64
}

func (d *statsDelta) zero() bool { return d.counts.Zero() && len(d.frt) == 0 && len(d.ttc) == 0 }

// bump moves one duration between buckets of a histogram delta.
func bump(m *map[int]int64, bucket int, by int64) {
	if bucket < 0 {
		return
	}
	if *m == nil {
		*m = map[int]int64{}
	}
	if (*m)[bucket] += by; (*m)[bucket] == 0 {
		delete(*m, bucket)
	}
}

// applyHist adds a delta to an encoded histogram.
func applyHist(enc string, d map[int]int64) (string, error) {
	var h stats.Histogram
	if err := h.AddEncoded(enc); err != nil {
		return "", err
	}
	for b, n := range d {
		h[b] += n
	}
	return h.Encode(), nil
}

// statsZone is the time zone of a workspace's figures, read once a
// transaction.
func (t *tx) statsZone(wsID string) (*time.Location, error) {
	if loc, ok := t.zones[wsID]; ok {
		return loc, nil
	}
	var name string
	if err := t.row(qWorkspaceZone, []any{wsID}, &name); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: time zone %q: %w", wsID, name, err)
	}
	if t.zones == nil {
		t.zones = map[string]*time.Location{}
	}
	t.zones[wsID] = loc
	return loc, nil
}

// statsAdd adds a delta to the key of a session of dialogID (whose channel
// the key takes): one statement for the counters, one more when a
// histogram changes (read by the first, under the row's lock).
func (t *tx) statsAdd(wsID, dialogID string, k stats.Key, d statsDelta) error {
	if d.zero() {
		return nil
	}
	args := []any{wsID, k.Day, k.Line, dialogID, k.Operator}
	for _, v := range d.counts {
		args = append(args, v)
	}
	var frt, ttc, ch string
	if err := t.row(qStatsAdd, args, &frt, &ttc, &ch); err != nil {
		return err
	}
	if len(d.frt) == 0 && len(d.ttc) == 0 {
		return nil
	}
	frt, err := applyHist(frt, d.frt)
	if err != nil {
		return err
	}
	if ttc, err = applyHist(ttc, d.ttc); err != nil {
		return err
	}
	_, err = t.exec(qStatsHist, wsID, k.Day, k.Line, ch, k.Operator, frt, ttc)
	return err
}

// statsSession moves a session's contribution to the figures from old (nil
// for a new session) to next.
func (t *tx) statsSession(old, next *sessionRow) error {
	loc, err := t.statsZone(next.WorkspaceID)
	if err != nil {
		return err
	}
	n := stats.OfSession(next, "", loc)
	var o stats.Contribution
	if old != nil {
		o = stats.OfSession(old, "", loc)
	}
	ws, dlg := next.WorkspaceID, next.DialogID
	var od, nd statsDelta // what leaves the old key, what the new one gets
	nd.counts = n.Counts
	bump(&nd.frt, n.FRT, 1)
	bump(&nd.ttc, n.TTC, 1)
	if old != nil {
		if o.Key == n.Key {
			nd.counts = n.Counts.Sub(o.Counts)
			bump(&nd.frt, o.FRT, -1)
			bump(&nd.ttc, o.TTC, -1)
		} else {
			od.counts = stats.Counts{}.Sub(o.Counts)
			bump(&od.frt, o.FRT, -1)
			bump(&od.ttc, o.TTC, -1)
		}
	}
	if err := t.statsAdd(ws, dlg, o.Key, od); err != nil {
		return err
	}
	if err := t.statsAdd(ws, dlg, n.Key, nd); err != nil {
		return err
	}
	if old != nil && old.LineID != next.LineID {
		return t.statsMoveMessages(old, next, n.Key.Day)
	}
	return nil
}

// statsMoveMessages moves the operator messages of a session transferred
// to another line with it (transfers are rare; messages count per line).
func (t *tx) statsMoveMessages(old, next *sessionRow, day int) error {
	rows, err := t.query(qSessionAnswers, next.DialogID, next.ID)
	if err != nil {
		return err
	}
	type byAuthor struct {
		author string
		n      int64
	}
	var all []byAuthor
	for rows.Next() {
		var b byAuthor
		if err := rows.Scan(&b.author, &b.n); err != nil {
			rows.Close()
			return err
		}
		all = append(all, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, b := range all {
		if err := t.statsAdd(next.WorkspaceID, next.DialogID, stats.Key{Day: day, Line: old.LineID, Operator: b.author}, statsDelta{counts: stats.OfMessages(-b.n)}); err != nil {
			return err
		}
		if err := t.statsAdd(next.WorkspaceID, next.DialogID, stats.Key{Day: day, Line: next.LineID, Operator: b.author}, statsDelta{counts: stats.OfMessages(b.n)}); err != nil {
			return err
		}
	}
	return nil
}

// statsOf adds counts for the session r as it is now, for operator.
func (t *tx) statsOf(r *sessionRow, operator string, c stats.Counts) error {
	loc, err := t.statsZone(r.WorkspaceID)
	if err != nil {
		return err
	}
	return t.statsAdd(r.WorkspaceID, r.DialogID, stats.Key{Day: stats.Day(r.OpenedAt, loc), Line: r.LineID, Operator: operator}, statsDelta{counts: c})
}

// statsVote replaces the counts of a supervisor's earlier vote on the
// session, if any, by the new one; it is called before the vote is saved.
func (t *tx) statsVote(r *sessionRow, voter string, score int) error {
	var old int
	var line, op string
	switch err := t.row(qVoteOf, []any{r.ID, voter}, &old, &line, &op); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		loc, err := t.statsZone(r.WorkspaceID)
		if err != nil {
			return err
		}
		k := stats.Key{Day: stats.Day(r.OpenedAt, loc), Line: line, Operator: op}
		if err := t.statsAdd(r.WorkspaceID, r.DialogID, k, statsDelta{counts: stats.Counts{}.Sub(stats.OfVote(old))}); err != nil {
			return err
		}
	}
	return t.statsOf(r, r.OperatorID, stats.OfVote(score))
}

// SetWorkspaceTimezone sets the zone whose days the statistics count in and
// recomputes the workspace's figures in it, in one transaction.
func (s *Store) SetWorkspaceTimezone(ctx context.Context, wsID, zone string) error {
	if zone == "" || zone == "Local" || len(zone) > 64 {
		return apperr.FieldError("timezone", "must be an IANA time zone such as Europe/Moscow")
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return apperr.FieldError("timezone", "%q is not an IANA time zone such as Europe/Moscow", zone)
	}
	return dbErr(s.inTx(ctx, func(t *tx) error {
		res, err := t.tx.ExecContext(ctx, `UPDATE workspaces SET timezone = $2 WHERE id = $1`, wsID, zone)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("workspace %s not found", wsID)
		}
		return t.rebuildStats(wsID)
	}), "set time zone")
}
