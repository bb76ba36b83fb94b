package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
)

// TestStatsScope: stats.view own sums the caller's rows, team the team's,
// all every row of the workspace; filters narrow within the scope.
func TestStatsScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr, lead, dir := w.caller("manager"), w.caller("lead"), w.caller("director")
		for _, c := range []*mcaller{mgr, mgr, w.mate, w.other, lead} {
			w.held(c)
		}
		fig := func(c *mcaller, query string) map[string]any {
			t.Helper()
			r := c.c.do("GET", "/api/v1/stats/summary?"+query, nil).want(http.StatusOK).json
			return get(r, "figures").(map[string]any)
		}
		num := func(m map[string]any, k string) int { return int(m[k].(float64)) }
		if f := fig(mgr, ""); num(f, "taken") != 2 || num(f, "received") != 2 {
			t.Fatalf("manager's own figures: %v", f)
		}
		if f := fig(lead, ""); num(f, "taken") != 4 {
			t.Fatalf("team head's figures: %v", f)
		}
		all := fig(dir, "")
		if num(all, "taken") != 5 || num(all, "received") <= 5 {
			t.Fatalf("director's figures: %v", all)
		}
		// The director sees the sessions nobody took, in the operators' table
		// under "": received adds up.
		rows := objects(t, dir.c.do("GET", "/api/v1/stats/operators", nil).want(http.StatusOK).json, "rows")
		sum, byOp := 0, map[string]int{}
		for _, r := range rows {
			f := r["figures"].(map[string]any)
			sum += num(f, "received")
			byOp[r["operator_id"].(string)] = num(f, "taken")
		}
		if sum != num(all, "received") || byOp[mgr.u.ID] != 2 || byOp[w.other.u.ID] != 1 || byOp[""] != 0 {
			t.Fatalf("operators' table %v, received %d of %d", byOp, sum, num(all, "received"))
		}
		mine := objects(t, mgr.c.do("GET", "/api/v1/stats/operators", nil).want(http.StatusOK).json, "rows")
		if len(mine) != 1 || mine[0]["operator_id"] != mgr.u.ID {
			t.Fatalf("manager's operators' table: %v", mine)
		}
		// Filtering by someone outside the scope finds nothing.
		if f := fig(lead, "operator_id="+w.other.u.ID); num(f, "received") != 0 {
			t.Fatalf("team head filtering by another team's operator: %v", f)
		}
		if f := fig(dir, "operator_id="+w.other.u.ID); num(f, "taken") != 1 {
			t.Fatalf("director filtering by operator: %v", f)
		}
		// Without stats.view: 403.
		w.caller("viewer").c.do("GET", "/api/v1/stats/summary", nil).wantErr(http.StatusForbidden, "forbidden")
		// Daily: every day of the period, in order.
		days := objects(t, dir.c.do("GET", "/api/v1/stats/daily?from=2026-02-27&to=2026-03-02", nil).want(http.StatusOK).json, "rows")
		if len(days) != 4 || days[0]["day"] != "2026-02-27" || days[3]["day"] != "2026-03-02" {
			t.Fatalf("daily rows: %v", days)
		}
	})
}

// TestStatsBadInput: malformed periods and filters are a 400 naming the
// parameter, the same on both engines.
func TestStatsBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		for _, c := range []struct{ query, field string }{
			{"from=2026-13-01", "from"},
			{"from=yesterday", "from"},
			{"to=2026-02-30", "to"},
			{"from=2026-03-02&to=2026-03-01", "to"},
			{"from=0001-01-01&to=9999-12-31", "from"},
			{"line_id=nope", "line_id"},
			{"operator_id=" + url.QueryEscape("\x00"), "operator_id"},
			{"from=" + url.QueryEscape("2026-01-01\x00"), "from"},
			{"channel_id=%ff%fe", "channel_id"},
		} {
			for _, path := range []string{"summary", "lines", "channels", "operators", "daily"} {
				r := h.c.do("GET", "/api/v1/stats/"+path+"?"+c.query, nil).wantErr(http.StatusBadRequest, "invalid")
				if r.errField() != c.field {
					t.Errorf("%s?%s: field %q, want %q (%s)", path, c.query, r.errField(), c.field, r.errMessage())
				}
			}
		}
	})
}

// The staffing planner: the whole week planned for the director; the team
// head and the manager, whose stats.view does not reach the workspace, are
// refused; bad parameters are a 400.
func TestStaffingAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		dir := w.caller("director")
		r := dir.c.do("GET", "/api/v1/stats/staffing?target_wait=30&service_level=90&handle_time=120", nil).want(http.StatusOK).json
		cells := objects(t, r, "cells")
		if len(cells) != 168 || get(r, "service_level").(float64) != 0.9 || get(r, "handle_time_seconds").(float64) != 120 {
			t.Fatalf("plan: %d cells, %v", len(cells), r)
		}
		if sched := get(r, "today", "scheduled").([]any); len(sched) != 24 {
			t.Fatalf("today's schedule: %v", sched)
		}
		for _, name := range []string{"lead", "manager"} {
			w.caller(name).c.do("GET", "/api/v1/stats/staffing", nil).wantErr(http.StatusForbidden, "forbidden")
		}
		for q, field := range map[string]string{"weeks=0": "weeks", "service_level=100": "service_level", "target_wait=x": "target_wait",
			"concurrency=1000": "concurrency", "handle_time=-1": "handle_time"} {
			if r := dir.c.do("GET", "/api/v1/stats/staffing?"+q, nil).wantErr(http.StatusBadRequest, "invalid"); r.errField() != field {
				t.Errorf("%s: field %q", q, r.errField())
			}
		}
		dir.c.do("GET", "/api/v1/stats/staffing?line_id=019a0000-0000-7000-8000-000000000000", nil).wantErr(http.StatusNotFound, "not_found")
	})
}
