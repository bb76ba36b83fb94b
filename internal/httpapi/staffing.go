package httpapi

import (
	"net/http"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/stats"
)

// staffing is GET /api/v1/stats/staffing: the operators needed per hour of
// the week for a service level, from the arrivals of the last weeks
// (package stats, Plan), the busiest hour cross-checked by the simulator,
// and today's scheduled operators (the line's queue, active, minus
// absences) beside it. It reads the whole workspace's (or line's)
// arrivals, so it needs stats.view at scope all.
func (s *Server) staffing(w http.ResponseWriter, r *http.Request, p principal) error {
	if p.Rights.Grants[access.StatsView] != access.All {
		return apperr.New(apperr.Forbidden, "the staffing planner needs stats.view for the whole workspace")
	}
	qv := r.URL.Query()
	weeks, err := intParam(qv.Get("weeks"), "weeks", 4, 1, 26)
	if err != nil {
		return err
	}
	target, err := intParam(qv.Get("target_wait"), "target_wait", 20, 1, 3600)
	if err != nil {
		return err
	}
	slPct, err := intParam(qv.Get("service_level"), "service_level", 80, 1, 99)
	if err != nil {
		return err
	}
	conc, err := intParam(qv.Get("concurrency"), "concurrency", 1, 1, 100)
	if err != nil {
		return err
	}
	handle, err := intParam(qv.Get("handle_time"), "handle_time", 0, 1, 86400)
	if err != nil {
		return err
	}
	lineID := qv.Get("line_id")
	ctx := r.Context()
	ws, loc, err := s.workspaceZone(r, p)
	if err != nil {
		return err
	}
	lines, err := s.store.ListLines(ctx, p.ws())
	if err != nil {
		return err
	}
	queue := map[string]bool{}
	found := lineID == ""
	for _, l := range lines {
		if lineID == "" || l.ID == lineID {
			found = found || l.ID == lineID
			for _, u := range l.Settings.Queue {
				queue[u] = true
			}
		}
	}
	if !found {
		return apperr.NotFoundf("line %s not found", lineID)
	}
	now := s.store.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	since := today.AddDate(0, 0, -7*weeks)
	hours, measured, err := s.store.StaffingHistory(ctx, p.ws(), lineID, since, today)
	if err != nil {
		return err
	}
	in := stats.StaffingInput{HandleSeconds: measured, Concurrency: conc, TargetWait: float64(target), ServiceLevel: float64(slPct) / 100}
	if handle > 0 {
		in.HandleSeconds = float64(handle)
	}
	if in.HandleSeconds <= 0 {
		in.HandleSeconds = 300 // nothing measured yet: five minutes
	}
	for _, hc := range hours {
		t := time.Unix(hc.Hour*3600, 0).In(loc)
		in.Arrivals[(int(t.Weekday())+6)%7][t.Hour()] += float64(hc.N) / float64(weeks)
	}
	cells := stats.Plan(in)
	check, err := stats.CrossCheck(ctx, in, cells, 20000)
	if err != nil {
		return err
	}
	scheduled, err := s.scheduledToday(r, p, queue, today)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"timezone": ws.Timezone, "weeks": weeks, "from": since.Format(time.DateOnly), "to": today.AddDate(0, 0, -1).Format(time.DateOnly),
		"handle_time_seconds": in.HandleSeconds, "measured_handle_time_seconds": measured, "concurrency": conc,
		"target_wait_seconds": target, "service_level": in.ServiceLevel, "cells": cells, "check": check,
		"today": map[string]any{"date": today.Format(time.DateOnly), "weekday": (int(today.Weekday()) + 6) % 7, "scheduled": scheduled},
	})
	return nil
}

// scheduledToday counts, for each hour of today, the active queue members
// with no absence covering that hour.
func (s *Server) scheduledToday(r *http.Request, p principal, queue map[string]bool, today time.Time) ([]int, error) {
	out := make([]int, 24)
	us, err := s.store.ListUsers(r.Context(), p.ws(), nil)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if !u.Active || !queue[u.ID] {
			continue
		}
		abs, err := s.store.ListAbsences(r.Context(), p.ws(), u.ID)
		if err != nil {
			return nil, err
		}
		for hr := range 24 {
			// Wall-clock hours: a DST day has 23 or 25 real ones.
			from := time.Date(today.Year(), today.Month(), today.Day(), hr, 0, 0, 0, today.Location())
			to := time.Date(today.Year(), today.Month(), today.Day(), hr+1, 0, 0, 0, today.Location())
			away := false
			for _, a := range abs {
				if a.StartsAt.Before(to) && a.EndsAt.After(from) {
					away = true
				}
			}
			if !away {
				out[hr]++
			}
		}
	}
	return out, nil
}
