package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/stats"
)

// StatsFilter selects the rows of the statistics summed by a query.
type StatsFilter struct {
	Period                      stats.Period
	LineID, ChannelID, Operator string
	// People narrows the rows to these operators (stats.view own or team);
	// nil is everyone.
	People []string
}

// StatsGroup is one group of a statistics query: By names its key value
// (a line, channel, operator id or a day YYYY-MM-DD; "" for the summary).
type StatsGroup struct {
	By   string
	Sums stats.Sums
}

// The groupings a statistics query may ask for, by their column.
var statsGroupCols = map[string]string{"": "''", "line": "line_id", "channel": "channel_id", "operator": "operator_id", "day": "day"}

// Figures sums the workspace's figures over a period per group (by "" for one
// group, or line, channel, operator, day), in the order of the key.
func (s *Store) Figures(ctx context.Context, wsID string, f StatsFilter, by string) ([]StatsGroup, error) {
	col, ok := statsGroupCols[by]
	if !ok {
		return nil, apperr.FieldError("by", "must be one of line, channel, operator, day")
	}
	where, args := statsWhere(wsID, f)
	sums := make([]string, len(stats.Columns))
	for i, c := range stats.Columns {
		sums[i] = "COALESCE(SUM(" + c + "), 0)"
	}
	groups := map[string]*stats.Sums{}
	var order []string
	group := func(k string) *stats.Sums {
		g := groups[k]
		if g == nil {
			g = &stats.Sums{}
			groups[k] = g
			order = append(order, k)
		}
		return g
	}
	key := func(v any) string {
		if by == "day" {
			return stats.DayString(int(asInt64(v)))
		}
		return fmt.Sprint(asString(v))
	}
	groupBy, histBy := "", " GROUP BY metric, bucket"
	if by != "" {
		groupBy, histBy = ` GROUP BY `+col+` ORDER BY `+col, ` GROUP BY `+col+`, metric, bucket`
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+col+`, `+strings.Join(sums, ", ")+` FROM stats_daily`+where+groupBy, args...)
	if err != nil {
		return nil, dbErr(err, "statistics")
	}
	for rows.Next() {
		var k any
		var c stats.Counts
		dest := []any{&k}
		for i := range c {
			dest = append(dest, &c[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, dbErr(err, "statistics")
		}
		if by == "" && c.Zero() {
			continue // the summary of no rows
		}
		group(key(k)).Counts = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "statistics")
	}
	rows, err = s.read.QueryContext(ctx, `SELECT `+col+`, metric, bucket, SUM(n) FROM stats_hist`+where+histBy, args...)
	if err != nil {
		return nil, dbErr(err, "statistics")
	}
	defer rows.Close()
	for rows.Next() {
		var k any
		var metric, bucket int
		var n int64
		if err := rows.Scan(&k, &metric, &bucket, &n); err != nil {
			return nil, dbErr(err, "statistics")
		}
		if bucket < 0 || bucket > stats.MaxBucket || n == 0 {
			continue
		}
		g := group(key(k))
		if metric == stats.MetricFRT {
			g.FRT[bucket] += n
		} else {
			g.TTC[bucket] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "statistics")
	}
	out := make([]StatsGroup, 0, len(order))
	for _, k := range order {
		out = append(out, StatsGroup{By: k, Sums: *groups[k]})
	}
	return out, nil
}

func statsWhere(wsID string, f StatsFilter) (string, []any) {
	args := []any{wsID, f.Period.From, f.Period.To}
	var w strings.Builder
	w.WriteString(` WHERE workspace_id = $1 AND day BETWEEN $2 AND $3`)
	eq := func(col, v string) {
		if v != "" {
			args = append(args, v)
			fmt.Fprintf(&w, " AND %s = $%d", col, len(args))
		}
	}
	eq("line_id", f.LineID)
	eq("channel_id", f.ChannelID)
	eq("operator_id", f.Operator)
	if f.People != nil {
		ph := make([]string, len(f.People))
		for i, p := range f.People {
			args = append(args, p)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		if len(ph) == 0 {
			w.WriteString(" AND FALSE")
		} else {
			fmt.Fprintf(&w, " AND operator_id IN (%s)", strings.Join(ph, ", "))
		}
	}
	return w.String(), args
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// StatsRows lists every stored row of a workspace's figures with a non-zero
// value, as "day line channel operator: counts" and "day metric line channel
// operator bucket: n" lines in a stable order: what the rebuild test
// compares.
func (s *Store) StatsRows(ctx context.Context, wsID string) ([]string, error) {
	var out []string
	cols := strings.Join(stats.Columns[:], ", ")
	rows, err := s.read.QueryContext(ctx, `SELECT day, line_id, channel_id, operator_id, `+cols+` FROM stats_daily WHERE workspace_id = $1
		ORDER BY day, line_id, channel_id, operator_id`, wsID)
	if err != nil {
		return nil, dbErr(err, "statistics rows")
	}
	for rows.Next() {
		var day int
		var l, c, o string
		var n stats.Counts
		dest := []any{&day, &l, &c, &o}
		for i := range n {
			dest = append(dest, &n[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, err
		}
		if !n.Zero() {
			out = append(out, fmt.Sprintf("%d %s %s %s: %v", day, l, c, o, n))
		}
	}
	rows.Close()
	rows, err = s.read.QueryContext(ctx, `SELECT day, metric, line_id, channel_id, operator_id, bucket, n FROM stats_hist WHERE workspace_id = $1 AND n <> 0
		ORDER BY day, metric, line_id, channel_id, operator_id, bucket`, wsID)
	if err != nil {
		return nil, dbErr(err, "statistics rows")
	}
	defer rows.Close()
	for rows.Next() {
		var day, metric, bucket int
		var l, c, o string
		var n int64
		if err := rows.Scan(&day, &metric, &l, &c, &o, &bucket, &n); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%d m%d %s %s %s b%d: %d", day, metric, l, c, o, bucket, n))
	}
	return out, rows.Err()
}
