// Package metrics is the Prometheus face of OpenLines, built on
// prometheus/client_golang: a registry with the Go runtime and process
// collectors, the database pools, the business gauges read from the store
// at scrape time, and the handler that serves them (optionally behind a
// bearer token). The HTTP counters live with the HTTP server (httpapi), the
// delivery counters with the composition root (app); all of them register
// here.
package metrics

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/store"
)

// Namespace prefixes every OpenLines metric.
const Namespace = "openlines"

// LatencyBuckets are the latency histograms' upper bounds, in seconds: from
// half a millisecond (a cached read) to ten seconds (a request that waited
// out a busy database).
var LatencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// WaitBuckets bound the offer latency histogram, in seconds: a session is
// offered within milliseconds when an operator has room, or waits minutes
// in the queue when none has.
var WaitBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// NewRegistry returns a registry holding the Go runtime (go_*) and process
// (process_*) collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves what g gathers in the Prometheus text format, behind
// RequireBearer(token).
func Handler(g prometheus.Gatherer, token string, log *slog.Logger) http.Handler {
	return RequireBearer(token, promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slogPrinter{log}, ErrorHandling: promhttp.ContinueOnError}))
}

// RequireBearer lets through only requests with "Authorization: Bearer
// <token>" (compared in constant time), answering 401 to others; an empty
// token lets everything through.
func RequireBearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="openlines-admin"`)
			http.Error(w, "this needs the bearer token given by --metrics-token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	if p.log != nil {
		p.log.Warn("metrics: " + fmt.Sprint(v...))
	}
}

// RegisterDBPools registers the client_golang database/sql collector
// (go_sql_*) for the store's pools, told apart by the pool label: SQLite's
// one write connection ("write") and its read pool ("read"), or
// PostgreSQL's one pool for both ("read_write"); db_name is the engine.
func RegisterDBPools(reg prometheus.Registerer, st *store.Store) {
	write, read := st.Pools()
	pools := map[string]*sql.DB{"write": write, "read": read}
	if write == read {
		pools = map[string]*sql.DB{"read_write": write}
	}
	for pool, db := range pools {
		prometheus.WrapRegistererWith(prometheus.Labels{"pool": pool}, reg).
			MustRegister(collectors.NewDBStatsCollector(db, st.Engine()))
	}
}

// Business reads the contact center's state at scrape time: what the
// database holds (Counts) and the sockets this node holds.
type Business struct {
	Counts    func(ctx context.Context) (store.OpsCounts, error)
	Operators func() int // operators' WebSocket connections
	Widgets   func() int // widget visitors' WebSocket connections
	Log       *slog.Logger
	// Timeout bounds the database queries of one scrape (default 2 s).
	Timeout time.Duration
}

var (
	descSessions = prometheus.NewDesc(Namespace+"_sessions", "Open sessions by status.", []string{"status"}, nil)
	descQueued   = prometheus.NewDesc(Namespace+"_line_queued_sessions", "Sessions waiting in a line's queue, nobody holding them.", []string{"line_id"}, nil)
	descOnline   = prometheus.NewDesc(Namespace+"_operators_online", "Operators online (status online, a heartbeat in the last minute).", nil, nil)
	descBacklog  = prometheus.NewDesc(Namespace+"_outbox_backlog_messages", "Texts for customers waiting in the outbox, by channel type.", []string{"channel_type"}, nil)
	descSockets  = prometheus.NewDesc(Namespace+"_websocket_connections", "Open WebSocket connections on this node, by kind (operator, widget).", []string{"kind"}, nil)
	descDBUp     = prometheus.NewDesc(Namespace+"_metrics_database_up", "1 when the last scrape could read the business gauges from the database, 0 when not.", nil, nil)
)

// Describe implements prometheus.Collector.
func (b *Business) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessions, descQueued, descOnline, descBacklog, descSockets, descDBUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. When the database does not
// answer, the database gauges are left out and openlines_metrics_database_up
// is 0: a scrape never fails because of them.
func (b *Business) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if b.Operators != nil {
		gauge(descSockets, float64(b.Operators()), "operator")
	}
	if b.Widgets != nil {
		gauge(descSockets, float64(b.Widgets()), "widget")
	}
	if b.Counts == nil {
		return
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := b.Counts(ctx)
	if err != nil {
		if b.Log != nil {
			b.Log.Warn("metrics: business gauges", "error", err)
		}
		gauge(descDBUp, 0)
		return
	}
	gauge(descDBUp, 1)
	for _, st := range store.OpenSessionStatuses {
		gauge(descSessions, float64(c.Sessions[st]), st)
	}
	for line, n := range c.QueuedByLine {
		gauge(descQueued, float64(n), line)
	}
	gauge(descOnline, float64(c.OperatorsOnline))
	for typ, n := range c.OutboxBacklog {
		gauge(descBacklog, float64(n), typ)
	}
}

// Flow counts what passes through this node: the offer latency, heard on
// the event bus, and the outcome of every delivery attempt.
type Flow struct {
	offers     prometheus.Histogram
	deliveries *prometheus.CounterVec
}

// NewFlow registers the flow's metrics on reg.
func NewFlow(reg prometheus.Registerer) *Flow {
	f := &Flow{
		offers: prometheus.NewHistogram(prometheus.HistogramOpts{Name: Namespace + "_offer_latency_seconds",
			Help: "Time from a session entering the queue to its offer to operators, for offers this node made.", Buckets: WaitBuckets}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Namespace + "_outbox_deliveries_total",
			Help: "Delivery attempts of texts for customers by channel type and result (sent, delivered, read, temporary_error, permanent_error)."},
			[]string{"channel_type", "result"}),
	}
	reg.MustRegister(f.offers, f.deliveries)
	return f
}

// OnEvents is a bus subscriber: every session.offered that carries the
// time its session was queued (only offers made on this node do) is one
// observation.
func (f *Flow) OnEvents(evs []events.Event) {
	for _, ev := range evs {
		if ev.Type == events.SessionOffered && !ev.Queued.IsZero() && !ev.At.IsZero() {
			f.offers.Observe(max(ev.At.Sub(ev.Queued).Seconds(), 0))
		}
	}
}

// Delivered counts one delivery attempt (delivery.Options.Observe).
func (f *Flow) Delivered(channelType, result string) {
	f.deliveries.WithLabelValues(channelType, result).Inc()
}

// RegisterBuildInfo registers openlines_build_info, 1 with the binary's
// version and the database engine as labels (join it to other series to
// see which version produced them).
func RegisterBuildInfo(reg prometheus.Registerer, version, engine string) {
	if version == "" {
		version = "unknown"
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: Namespace + "_build_info",
		Help:        "The running binary: always 1, its version and database engine as labels.",
		ConstLabels: prometheus.Labels{"version": version, "engine": engine}}, func() float64 { return 1 }))
}
