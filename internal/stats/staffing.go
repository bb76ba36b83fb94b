package stats

import (
	"context"
	"math"
	"time"

	"github.com/openlines/openlines/internal/routing/sim"
)

// The staffing planner (issue 15): from the arrivals measured per hour of
// the week and the handle time, how many operators each hour needs for a
// service level — a share of inquiries taken within a target wait — by the
// Erlang C model (M/M/n, the routing simulator's ErlangC), with the peak
// hour cross-checked by the simulator, which runs the production routing
// rules.

// StaffingInput is what the plan is made from.
type StaffingInput struct {
	// Arrivals are the mean sessions opened in each hour of the week
	// (weekday 0 is Monday), in the workspace's zone.
	Arrivals      [7][24]float64
	HandleSeconds float64 // mean handle time of a session
	Concurrency   int     // sessions one operator handles at once (≥ 1)
	TargetWait    float64 // seconds
	ServiceLevel  float64 // the share to take within TargetWait, (0, 1)
}

// Cell is one hour of the week's plan.
type Cell struct {
	Weekday      int     `json:"weekday"` // 0 Monday … 6 Sunday
	Hour         int     `json:"hour"`
	Arrivals     float64 `json:"arrivals_per_hour"`
	Operators    int     `json:"operators"`
	ServiceLevel float64 `json:"service_level"`
	MeanWait     float64 `json:"mean_wait_seconds"`
}

// ServiceLevel is, for an M/M/n queue, the share of arrivals taken within
// t seconds, 1 − C·e^(−(nμ−λ)t), with the mean wait (Erlang C).
func ServiceLevel(lambda, mu float64, n int, t float64) (sl, meanWait float64) {
	c, w := sim.ErlangC(lambda, mu, n)
	if math.IsInf(w, 1) || math.IsNaN(c) {
		return 0, w
	}
	return 1 - c*math.Exp(-(float64(n)*mu-lambda)*t), w
}

// MaxPlaces bounds the operators' places a plan tries for one hour.
const MaxPlaces = 10_000

// Plan sizes every hour of the week.
func Plan(in StaffingInput) []Cell {
	mu := 1 / in.HandleSeconds
	conc := max(in.Concurrency, 1)
	cells := make([]Cell, 0, 7*24)
	for d := range 7 {
		for hr := range 24 {
			a := in.Arrivals[d][hr]
			c := Cell{Weekday: d, Hour: hr, Arrivals: a, ServiceLevel: 1}
			if a > 0 {
				lambda := a / 3600
				// Places: operators × the sessions each handles at once.
				p := max(1, int(math.Floor(lambda/mu))+1)
				for ; p < MaxPlaces; p++ {
					sl, w := ServiceLevel(lambda, mu, p, in.TargetWait)
					if sl >= in.ServiceLevel {
						c.ServiceLevel, c.MeanWait = sl, w
						break
					}
				}
				c.Operators = (p + conc - 1) / conc
			}
			cells = append(cells, c)
		}
	}
	return cells
}

// Check is the simulator's run of the plan's busiest hour beside the model.
type Check struct {
	Weekday         int     `json:"weekday"`
	Hour            int     `json:"hour"`
	Places          int     `json:"places"`
	ErlangPWait     float64 `json:"erlang_c_p_wait"`
	ErlangMeanWait  float64 `json:"erlang_c_mean_wait_seconds"`
	SimulatedPWait  float64 `json:"simulated_p_wait"`
	SimulatedMean   float64 `json:"simulated_mean_wait_seconds"`
	SimulatedP90    float64 `json:"simulated_p90_wait_seconds"`
	SimulatedLoad   float64 `json:"load"`
	SimulatedRounds int     `json:"simulated_sessions"`
}

// CrossCheck simulates the busiest hour of a plan with the places it
// planned (every offer taken at once, so the line is the M/M/n queue the
// model assumes); nil when no hour has arrivals.
func CrossCheck(ctx context.Context, in StaffingInput, cells []Cell, sessions int) (*Check, error) {
	best := -1
	for i, c := range cells {
		if c.Arrivals > 0 && (best < 0 || c.Arrivals > cells[best].Arrivals) {
			best = i
		}
	}
	if best < 0 {
		return nil, nil
	}
	c := cells[best]
	mu := 1 / in.HandleSeconds
	lambda := c.Arrivals / 3600
	places := c.Operators * max(in.Concurrency, 1)
	if places > sim.MaxOperators {
		places = sim.MaxOperators
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := sim.Run(ctx, sim.Config{Operators: places, ArrivalRate: lambda, ServiceRate: mu, Sessions: sessions, Seed: 15})
	if err != nil {
		return nil, err
	}
	ch := &Check{Weekday: c.Weekday, Hour: c.Hour, Places: places, SimulatedPWait: r.PWait, SimulatedMean: r.MeanWait,
		SimulatedP90: r.P90Wait, SimulatedLoad: r.Load, SimulatedRounds: r.Sessions}
	ch.ErlangPWait, ch.ErlangMeanWait = sim.ErlangC(lambda, mu, places)
	return ch, nil
}
