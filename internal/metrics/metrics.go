// Package metrics is a small, concurrency-safe registry that exposes counters,
// histograms and gauge functions in the Prometheus text exposition format 0.0.4.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// DefBuckets are default latency buckets, in seconds.
var DefBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Registry holds metric families. The zero value is not usable; use NewRegistry.
type Registry struct {
	mu       sync.RWMutex
	families map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

type family struct {
	name, help, typ string
	labelNames      []string
	buckets         []float64      // histogram upper bounds, without +Inf
	fn              func() float64 // gauge func
	series          sync.Map       // joined label values -> *series
}

type series struct {
	labelValues []string
	intVal      atomic.Uint64   // counter: integral increments
	floatBits   atomic.Uint64   // counter: fractional adds; histogram: sum
	counts      []atomic.Uint64 // histogram: per-bucket (non-cumulative), last is +Inf
}

// CounterVec is a counter family partitioned by label values.
type CounterVec struct{ f *family }

// HistogramVec is a histogram family partitioned by label values.
type HistogramVec struct{ f *family }

// Counter registers a counter family. Panics on duplicate name or invalid metric/label name.
func (r *Registry) Counter(name, help string, labelNames ...string) *CounterVec {
	return &CounterVec{r.register(&family{name: name, help: help, typ: "counter", labelNames: labelNames})}
}

// Histogram registers a histogram family with the given upper bounds (sorted
// ascending; +Inf added automatically).
func (r *Registry) Histogram(name, help string, buckets []float64, labelNames ...string) *HistogramVec {
	b := slices.Clone(buckets)
	if n := len(b); n > 0 && math.IsInf(b[n-1], 1) {
		b = b[:n-1]
	}
	for i, v := range b {
		if math.IsNaN(v) || (i > 0 && v <= b[i-1]) {
			panic(fmt.Sprintf("metrics: histogram %q buckets must be strictly ascending", name))
		}
	}
	if slices.Contains(labelNames, "le") {
		panic(fmt.Sprintf("metrics: histogram %q uses reserved label name \"le\"", name))
	}
	return &HistogramVec{r.register(&family{name: name, help: help, typ: "histogram", labelNames: labelNames, buckets: b})}
}

// GaugeFunc registers a gauge whose value is read at scrape time.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	if fn == nil {
		panic(fmt.Sprintf("metrics: gauge %q has nil func", name))
	}
	r.register(&family{name: name, help: help, typ: "gauge", fn: fn})
}

func (r *Registry) register(f *family) *family {
	if !validName(f.name, true) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", f.name))
	}
	f.labelNames = slices.Clone(f.labelNames)
	for i, l := range f.labelNames {
		if !validName(l, false) || strings.HasPrefix(l, "__") || slices.Contains(f.labelNames[:i], l) {
			panic(fmt.Sprintf("metrics: invalid or duplicate label name %q for %q", l, f.name))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[f.name]; dup {
		panic(fmt.Sprintf("metrics: duplicate metric name %q", f.name))
	}
	r.families[f.name] = f
	if len(f.labelNames) == 0 && f.fn == nil {
		f.get(nil) // label-less families are exported as zero from the start
	}
	return f
}

func validName(s string, colon bool) bool {
	for i, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' || colon && c == ':') {
			return false
		}
	}
	return s != ""
}

// get returns the series for lvs, creating it if needed. Existing series are
// found lock-free through sync.Map.
func (f *family) get(lvs []string) *series {
	if len(lvs) != len(f.labelNames) {
		panic(fmt.Sprintf("metrics: %q expects %d label values, got %d", f.name, len(f.labelNames), len(lvs)))
	}
	var key string
	if len(lvs) == 1 {
		key = lvs[0]
	} else if len(lvs) > 1 {
		// 0xff never occurs in valid UTF-8, and only valid values are stored,
		// so the joined key is unambiguous. The stack buffer keeps Load alloc-free.
		var buf [128]byte
		b := append(buf[:0], lvs[0]...)
		for _, v := range lvs[1:] {
			b = append(append(b, 0xff), v...)
		}
		if s, ok := f.series.Load(string(b)); ok {
			return s.(*series)
		}
		key = string(b)
	}
	if s, ok := f.series.Load(key); ok {
		return s.(*series)
	}
	for _, v := range lvs {
		if !utf8.ValidString(v) {
			panic(fmt.Sprintf("metrics: %q label value %q is not valid UTF-8", f.name, v))
		}
	}
	s := &series{labelValues: slices.Clone(lvs)}
	if f.typ == "histogram" {
		s.counts = make([]atomic.Uint64, len(f.buckets)+1)
	}
	actual, _ := f.series.LoadOrStore(key, s)
	return actual.(*series)
}

func addFloat(u *atomic.Uint64, v float64) {
	for {
		old := u.Load()
		if u.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Add adds v (which must be >= 0) to the series identified by labelValues.
func (c *CounterVec) Add(v float64, labelValues ...string) {
	if v < 0 {
		panic(fmt.Sprintf("metrics: counter %q cannot decrease", c.f.name))
	}
	s := c.f.get(labelValues)
	if v < 1<<53 && v == math.Trunc(v) {
		s.intVal.Add(uint64(v))
		return
	}
	addFloat(&s.floatBits, v)
}

// Inc adds 1 to the series identified by labelValues.
func (c *CounterVec) Inc(labelValues ...string) { c.f.get(labelValues).intVal.Add(1) }

// Observe records v in the series identified by labelValues.
func (h *HistogramVec) Observe(v float64, labelValues ...string) {
	s := h.f.get(labelValues)
	i, b := 0, h.f.buckets
	for i < len(b) && !(v <= b[i]) { // few buckets: linear scan; NaN lands in +Inf
		i++
	}
	s.counts[i].Add(1)
	addFloat(&s.floatBits, v)
}

// WriteText writes all families, sorted by name, in the Prometheus text format.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.RLock()
	fams := slices.SortedFunc(maps.Values(r.families), func(a, b *family) int { return strings.Compare(a.name, b.name) })
	r.mu.RUnlock()
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		var ss []*series
		f.series.Range(func(_, v any) bool { ss = append(ss, v.(*series)); return true })
		if f.fn == nil && len(ss) == 0 {
			continue
		}
		slices.SortFunc(ss, func(a, b *series) int { return slices.Compare(a.labelValues, b.labelValues) })
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.typ)
		if f.fn != nil {
			writeSample(bw, f.name, "", f.fn())
		}
		for _, s := range ss {
			var lb strings.Builder // rendered labels without braces: a="x",b="y"
			for i, n := range f.labelNames {
				fmt.Fprintf(&lb, "%s=\"%s\",", n, valueEscaper.Replace(s.labelValues[i]))
			}
			labels := strings.TrimSuffix(lb.String(), ",")
			if f.typ == "counter" {
				writeSample(bw, f.name, labels, float64(s.intVal.Load())+math.Float64frombits(s.floatBits.Load()))
				continue
			}
			var cum uint64
			for i := range s.counts {
				cum += s.counts[i].Load()
				le := math.Inf(1)
				if i < len(f.buckets) {
					le = f.buckets[i]
				}
				writeSample(bw, f.name+"_bucket", lb.String()+`le="`+formatFloat(le)+`"`, float64(cum))
			}
			writeSample(bw, f.name+"_sum", labels, math.Float64frombits(s.floatBits.Load()))
			writeSample(bw, f.name+"_count", labels, float64(cum))
		}
	}
	return bw.Flush()
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func writeSample(w *bufio.Writer, name, labels string, v float64) {
	w.WriteString(name)
	if labels != "" {
		w.WriteString("{" + labels + "}")
	}
	w.WriteString(" " + formatFloat(v) + "\n")
}

// formatFloat formats like Prometheus: "+Inf", "-Inf", "NaN", integral values
// without exponent when exactly representable, otherwise the shortest repr.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == 0:
		return "0" // also normalizes -0
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ServeHTTP serves the registry in the Prometheus text format.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = r.WriteText(w)
}
