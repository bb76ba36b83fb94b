package store

import (
	"context"
	"fmt"
	"slices"
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

// Figures sums the workspace's figures over a period per group (by "" for
// one group, or line, channel, operator, day), in the order of the key. It
// reads one row a day, line, channel and operator of the period and sums
// them here: the histograms are text (stats.Histogram.Encode), and a
// month of a large workspace is a few thousand rows.
func (s *Store) Figures(ctx context.Context, wsID string, f StatsFilter, by string) ([]StatsGroup, error) {
	col, ok := statsGroupCols[by]
	if !ok {
		return nil, apperr.FieldError("by", "must be one of line, channel, operator, day")
	}
	where, args := statsWhere(wsID, f)
	rows, err := s.read.QueryContext(ctx, `SELECT `+col+`, `+strings.Join(stats.Columns[:], ", ")+`, frt, ttc FROM stats_daily`+where, args...)
	if err != nil {
		return nil, dbErr(err, "statistics")
	}
	defer rows.Close()
	groups := map[string]*stats.Sums{}
	var keys []string
	var c stats.Counts
	var k any
	var frt, ttc string
	dest := []any{&k}
	for i := range c {
		dest = append(dest, &c[i])
	}
	dest = append(dest, &frt, &ttc)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, dbErr(err, "statistics")
		}
		key := asString(k)
		if by == "day" {
			key = stats.DayString(int(asInt64(k)))
		}
		g := groups[key]
		if g == nil {
			g = &stats.Sums{}
			groups[key] = g
			keys = append(keys, key)
		}
		g.Counts.Add(c)
		if err := g.FRT.AddEncoded(frt); err != nil {
			return nil, err
		}
		if err := g.TTC.AddEncoded(ttc); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "statistics")
	}
	slices.Sort(keys)
	out := make([]StatsGroup, 0, len(keys))
	for _, key := range keys {
		out = append(out, StatsGroup{By: key, Sums: *groups[key]})
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

// StatsRows lists every stored row of a workspace's figures with a
// non-zero value as "day line channel operator: counts frt ttc", in a
// stable order: what the rebuild test compares.
func (s *Store) StatsRows(ctx context.Context, wsID string) ([]string, error) {
	var out []string
	rows, err := s.read.QueryContext(ctx, `SELECT day, line_id, channel_id, operator_id, `+strings.Join(stats.Columns[:], ", ")+`, frt, ttc
		FROM stats_daily WHERE workspace_id = $1 ORDER BY day, line_id, channel_id, operator_id`, wsID)
	if err != nil {
		return nil, dbErr(err, "statistics rows")
	}
	defer rows.Close()
	for rows.Next() {
		var day int
		var l, c, o, frt, ttc string
		var n stats.Counts
		dest := []any{&day, &l, &c, &o}
		for i := range n {
			dest = append(dest, &n[i])
		}
		if err := rows.Scan(append(dest, &frt, &ttc)...); err != nil {
			return nil, err
		}
		if !n.Zero() || frt != "" || ttc != "" {
			out = append(out, fmt.Sprintf("%d %s %s %s: %v frt[%s] ttc[%s]", day, l, c, o, n, frt, ttc))
		}
	}
	return out, rows.Err()
}
