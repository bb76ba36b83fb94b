package httpapi

import (
	"net/http"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/stats"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/workspace"
)

// The statistics (SPEC §10): figures over a period of days in the
// workspace's time zone, summed from the counters the store keeps (package
// stats), within the caller's stats.view scope: own — the caller's rows,
// team — the caller's and their teammates', all — every row, including the
// sessions nobody took.
func (s *Server) registerStats() {
	for path, by := range map[string]string{"summary": "", "lines": "line", "channels": "channel", "operators": "operator", "daily": "day"} {
		s.handle("GET /api/v1/stats/"+path, needs(access.StatsView), s.statsHandler(by))
	}
	s.handle("GET /api/v1/stats/staffing", needs(access.StatsView), s.staffing)
}

// statsKeys names the key of a row by its grouping.
var statsKeys = map[string]string{"line": "line_id", "channel": "channel_id", "operator": "operator_id", "day": "day"}

// workspaceZone is the caller's workspace with the zone its statistics
// and exports count in.
func (s *Server) workspaceZone(r *http.Request, p principal) (workspace.Workspace, *time.Location, error) {
	ws, err := s.store.GetWorkspace(r.Context(), p.ws())
	if err != nil {
		return ws, nil, err
	}
	loc, err := time.LoadLocation(ws.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return ws, loc, nil
}

// statsFilter reads the period and filters of a statistics request.
func (s *Server) statsFilter(r *http.Request, p principal) (store.StatsFilter, string, error) {
	ws, loc, err := s.workspaceZone(r, p)
	if err != nil {
		return store.StatsFilter{}, "", err
	}
	q := r.URL.Query()
	period, err := stats.ParsePeriod(q.Get("from"), q.Get("to"), s.store.Now().In(loc))
	if err != nil {
		return store.StatsFilter{}, "", err
	}
	return store.StatsFilter{Period: period, LineID: q.Get("line_id"), ChannelID: q.Get("channel_id"), Operator: q.Get("operator_id"),
		People: within(p, access.StatsView)}, ws.Timezone, nil
}

func (s *Server) statsHandler(by string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		f, zone, err := s.statsFilter(r, p)
		if err != nil {
			return err
		}
		gs, err := s.store.Figures(r.Context(), p.ws(), f, by)
		if err != nil {
			return err
		}
		out := map[string]any{"from": stats.DayString(f.Period.From), "to": stats.DayString(f.Period.To), "timezone": zone}
		if by == "" {
			var sum stats.Sums
			for _, g := range gs {
				sum.Add(&g.Sums)
			}
			out["figures"] = stats.Of(&sum)
			writeJSON(w, http.StatusOK, out)
			return nil
		}
		rows := []map[string]any{}
		add := func(key string, sums *stats.Sums) {
			rows = append(rows, map[string]any{statsKeys[by]: key, "figures": stats.Of(sums)})
		}
		if by == "day" {
			// Every day of the period, the empty ones too: what a chart plots.
			have := map[string]*stats.Sums{}
			for i := range gs {
				have[gs[i].By] = &gs[i].Sums
			}
			for d := stats.DayTime(f.Period.From, time.UTC); ; d = d.AddDate(0, 0, 1) {
				day := d.Format(time.DateOnly)
				sums := have[day]
				if sums == nil {
					sums = &stats.Sums{}
				}
				add(day, sums)
				if day == stats.DayString(f.Period.To) {
					break
				}
			}
		} else {
			for i := range gs {
				add(gs[i].By, &gs[i].Sums)
			}
		}
		out["rows"] = rows
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}
