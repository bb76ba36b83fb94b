package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing/sim"
)

// simulate runs the discrete-event simulator of one open line (package
// internal/routing/sim) and prints what customers would wait: to size a team
// before hiring, and to see the routing agree with the Erlang C formula.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", stderr)
	mode := fs.String("mode", line.ModeEvenly, "distribution mode: evenly, strictly or all")
	operators := fs.Int("operators", 5, fmt.Sprintf("operators in the line's queue, 1..%d", sim.MaxOperators))
	arrival := fs.Float64("arrival-rate", 0, "customers arriving per second, e.g. 0.05 for 3 a minute (required)")
	service := fs.Float64("service-rate", 0, "sessions one operator finishes per second of handling: 1/(mean handling time in seconds) (required)")
	limit := fs.Int("limit", 1, fmt.Sprintf("sessions one operator handles at once (limit_enabled with this limit), 1..%d", line.MaxLimit))
	queueTime := fs.Int("queue-time", 60, fmt.Sprintf("seconds an offered operator has to take a session, 1..%d", line.MaxQueueTime))
	takeP := fs.Float64("take-probability", 1, "chance an offered operator takes the session at once rather than letting queue-time pass, (0, 1]")
	sessions := fs.Int("sessions", 100_000, fmt.Sprintf("sessions to simulate, 1..%d", sim.MaxSessions))
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same result")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *mode != line.ModeEvenly && *mode != line.ModeStrictly && *mode != line.ModeAll:
		return usageErr("--mode: %q is not one of evenly, strictly, all", *mode)
	case *operators < 1 || *operators > sim.MaxOperators:
		return usageErr("--operators: %d is out of range 1..%d", *operators, sim.MaxOperators)
	case !(*arrival > 0) || math.IsInf(*arrival, 0):
		return usageErr("--arrival-rate: is required and must be a positive number of customers per second (got %v)", *arrival)
	case !(*service > 0) || math.IsInf(*service, 0):
		return usageErr("--service-rate: is required and must be a positive number of sessions per second, 1/(mean handling time) (got %v)", *service)
	case *limit < 1 || *limit > line.MaxLimit:
		return usageErr("--limit: %d is out of range 1..%d", *limit, line.MaxLimit)
	case *queueTime < 1 || *queueTime > line.MaxQueueTime:
		return usageErr("--queue-time: %d is out of range 1..%d seconds", *queueTime, line.MaxQueueTime)
	case !(*takeP > 0) || *takeP > 1:
		return usageErr("--take-probability: %v is out of range (0, 1]", *takeP)
	case *sessions < 1 || *sessions > sim.MaxSessions:
		return usageErr("--sessions: %d is out of range 1..%d", *sessions, sim.MaxSessions)
	}
	cfg := sim.Config{
		Mode:            *mode,
		Operators:       *operators,
		ArrivalRate:     *arrival,
		ServiceRate:     *service,
		Limit:           *limit,
		QueueTime:       float64(*queueTime),
		TakeProbability: *takeP,
		Sessions:        *sessions,
		Seed:            *seed,
	}
	r, err := sim.Run(ctx, cfg)
	if err != nil {
		return err
	}
	capacity := float64(cfg.Operators) * float64(cfg.Limit) * cfg.ServiceRate
	warning := ""
	if cfg.ArrivalRate >= capacity {
		warning = fmt.Sprintf("warning: customers arrive at %.4g/s, at or above what %d operators × %d at once can handle (%.4g/s): the queue grows without bound, and these figures only grow with --sessions", cfg.ArrivalRate, cfg.Operators, cfg.Limit, capacity)
	}
	if *asJSON {
		if warning != "" {
			fmt.Fprintln(stderr, warning)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}

	w := func(format string, args ...any) { fmt.Fprintf(stdout, format, args...) }
	w("Simulated line: mode %s, %d operators, limit %d, queue_time %d s, take probability %g\n",
		cfg.Mode, cfg.Operators, cfg.Limit, *queueTime, cfg.TakeProbability)
	w("Customers arrive %.4g/s (one every %s); handling takes %s on average; load %.1f%%\n",
		cfg.ArrivalRate, seconds(1/cfg.ArrivalRate), seconds(1/cfg.ServiceRate), 100*r.Load)
	w("%d sessions over %s of simulated time (first %d left out as warm-up), seed %d\n\n",
		r.Sessions, seconds(r.ElapsedVirtualSeconds), r.Sessions-r.MeasuredSessions, cfg.Seed)
	erlang := func(v *float64, f func(float64) string) string {
		if v == nil {
			return ""
		}
		return "(Erlang C: " + f(*v) + ")"
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }
	row := func(label, value, formula string) {
		w("%s\n", strings.TrimRight(fmt.Sprintf("  %-32s%-12s%s", label, value, formula), " "))
	}
	row("P(wait)", pct(r.PWait), erlang(r.ErlangCPWait, pct))
	row("mean wait", seconds(r.MeanWait), erlang(r.ErlangCMeanWait, seconds))
	row("p90 wait", seconds(r.P90Wait), "")
	row("mean wait of those who waited", seconds(r.MeanWaitOfWaiting), "")
	row("operator utilization", pct(r.Utilization), "")
	row("offers per session", fmt.Sprintf("%.3f", float64(r.Offers)/float64(r.Sessions)), "")
	if places := cfg.Operators * cfg.Limit; cfg.Limit > 1 && cfg.ArrivalRate < capacity {
		// L sessions side by side, each at rate μ: M/M/(N·L).
		p, mw := sim.ErlangC(cfg.ArrivalRate, cfg.ServiceRate, places)
		w("\n  As %d single-session places, Erlang C gives P(wait) %s, mean wait %s.\n", places, pct(p), seconds(mw))
	}
	if warning != "" {
		w("\n%s\n", warning)
	}
	return nil
}

// seconds formats a time in seconds for people: 0.42 s, 12.3 s, 4m5s, 28.9 days.
func seconds(s float64) string {
	switch {
	case math.IsInf(s, 0) || math.IsNaN(s):
		return fmt.Sprint(s)
	case s < 10:
		return fmt.Sprintf("%.3g s", s)
	case s < 60:
		return fmt.Sprintf("%.1f s", s)
	case s < 48*3600:
		return time.Duration(s * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%.1f days", s/(24*3600))
}
