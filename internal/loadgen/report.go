package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// String lists the counts by kind, statuses first: "409: 2, timeout: 1".
func (e Errors) String() string {
	if e.Total() == 0 {
		return "none"
	}
	keys := make([]string, 0, len(e))
	for k, v := range e {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, e[k])
	}
	return strings.Join(parts, ", ")
}

func (l Latency) String() string {
	if l.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", msStr(l.P50), msStr(l.P90), msStr(l.P99), msStr(l.Max), l.N)
}

func msStr(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// WriteText prints the result for a person.
func (r *Result) WriteText(w io.Writer) {
	if r.Setup.Kept && len(r.Throughput) == 0 && len(r.Latency) == 0 {
		fmt.Fprintf(w, "set up for %s on %s (run %s):\n", r.Scenario, r.URL, r.Setup.RunID)
		if r.Setup.LineID != "" {
			fmt.Fprintf(w, "  line      %s  %q\n  channel   %s  (POST %s/api/v1/channels/%s/messages)\n", r.Setup.LineID, r.Setup.LineName, r.Setup.ChannelID, r.URL, r.Setup.ChannelID)
		}
		if len(r.Setup.Operators) > 0 {
			fmt.Fprintf(w, "  operators %s\n  password  %s\n", strings.Join(r.Setup.Operators, ", "), r.Setup.Password)
		}
		return
	}
	mode := "flat out"
	if r.Rate > 0 {
		mode = fmt.Sprintf("at %g/s", r.Rate)
	}
	fmt.Fprintf(w, "openlines bench %s — %s, %d connections %s, %.3f s\n", r.Scenario, r.URL, r.Connections, mode, r.Elapsed)
	for _, t := range r.Throughput {
		fmt.Fprintf(w, "  %-22s %d in %.3f s = %.1f/s", t.Name, t.Count, t.Seconds, t.PerSecond)
		if t.Ratio > 0 {
			fmt.Fprintf(w, "   (ratio to bare net/http: %.4f)", t.Ratio)
		}
		fmt.Fprintln(w)
	}
	for _, l := range r.Latency {
		fmt.Fprintf(w, "  %-22s %s\n", l.Name+" latency", l)
	}
	if d := r.Delivery; d != nil {
		how := fmt.Sprintf("messages × %d screens", d.Sockets)
		if d.OwnOnly {
			how = fmt.Sprintf("each to its operator's screen of %d", d.Sockets)
		}
		fmt.Fprintf(w, "  %-22s %d of %d (%s, %d dialogs); %d before the acknowledgement\n", "delivered", d.Delivered, d.Expected, how, d.Dialogs, d.BeforeAck)
	}
	if b := r.Backlog; b != nil {
		fmt.Fprintf(w, "  %-22s %d sessions to %d operators (limit %d each); all online after %.3f s; completion by %s, watch socket dropped %d times\n",
			"backlog", b.Sessions, b.Operators, b.Limit, b.OnlineSeconds, b.Completion, b.WatchDrops)
	}
	if s := r.Sockets; s != nil {
		fmt.Fprintf(w, "  %-22s %d of %d opened (%.1f/s), %d still open after %.1f s", "sockets", s.Opened, s.Requested, s.ConnectsPerSecond, s.OpenAfterHold, s.HoldSeconds)
		if s.RSSPerSocket != 0 {
			fmt.Fprintf(w, "; server RSS per socket %.1f KiB", float64(s.RSSPerSocket)/1024)
		}
		fmt.Fprintln(w)
	}
	r.writeWidgetText(w)
	fmt.Fprintf(w, "  %-22s %s\n", "errors", r.Errors)
	if b := r.Baseline; b != nil {
		fmt.Fprintf(w, "  %-22s %d in %.3f s = %.1f/s; %s; errors %s\n", "bare net/http", b.Requests, b.Elapsed, b.PerSecond, b.Latency, b.Errors)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "  %-22s pid %d, RSS %s before, %s after\n", "server", s.PID, mib(s.RSSBefore), mib(s.RSSAfter))
	}
}
