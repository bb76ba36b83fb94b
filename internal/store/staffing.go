package store

import (
	"context"
	"time"
)

// HourCount is how many sessions opened in one hour (unix time / 3600).
type HourCount struct {
	Hour int64
	N    int64
}

// StaffingHistory reads what the staffing planner measures over [since,
// until): the sessions opened per UTC hour and the mean handle time of the
// answered sessions closed meanwhile (from the first reply to the close;
// 0 when there are none), of one line or of all ("").
func (s *Store) StaffingHistory(ctx context.Context, wsID, lineID string, since, until time.Time) ([]HourCount, float64, error) {
	args := []any{wsID, micros(since), micros(until)}
	line := ""
	if lineID != "" {
		args = append(args, lineID)
		line = " AND line_id = $4"
	}
	rows, err := s.read.QueryContext(ctx, `SELECT opened_at / 3600000000, COUNT(*) FROM sessions
		WHERE workspace_id = $1 AND opened_at >= $2 AND opened_at < $3`+line+` GROUP BY opened_at / 3600000000`, args...)
	if err != nil {
		return nil, 0, dbErr(err, "staffing")
	}
	hours, err := collect(rows, func(sc interface{ Scan(...any) error }) (HourCount, error) {
		var h HourCount
		return h, sc.Scan(&h.Hour, &h.N)
	})
	if err != nil {
		return nil, 0, dbErr(err, "staffing")
	}
	var mean float64
	var n int64
	err = s.read.QueryRowContext(ctx, `SELECT COALESCE(AVG(CAST(closed_at - first_response_at AS DOUBLE PRECISION)), 0) / 1e6, COUNT(*) FROM sessions
		WHERE workspace_id = $1 AND opened_at >= $2 AND opened_at < $3 AND status = 'closed' AND first_response_at IS NOT NULL
		AND closed_at IS NOT NULL`+line, args...).Scan(&mean, &n)
	if err != nil {
		return nil, 0, dbErr(err, "staffing")
	}
	return hours, mean, nil
}
