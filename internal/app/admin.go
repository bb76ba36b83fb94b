package app

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openlines/openlines/internal/metrics"
)

// adminHandler serves the admin listener (--metrics-addr): /metrics, and
// with profiling on, net/http/pprof under /debug/pprof/ (both behind the
// metrics token when one is set). The main listener
// never serves pprof: profiles show code paths, timings and memory an
// outside caller has no business seeing, and a CPU profile costs CPU.
func adminHandler(reg *prometheus.Registry, token string, profiling bool, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg, token, log))
	if profiling {
		for path, h := range map[string]http.HandlerFunc{"/debug/pprof/": pprof.Index, "/debug/pprof/cmdline": pprof.Cmdline,
			"/debug/pprof/profile": pprof.Profile, "/debug/pprof/symbol": pprof.Symbol, "/debug/pprof/trace": pprof.Trace} {
			mux.Handle(path, metrics.RequireBearer(token, h))
		}
	}
	return mux
}
