package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/stats"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// statsWorld is the seeded scenario of the statistics tests: a workspace in
// New York with two lines, three channels, two operators and five sessions
// over three days, one of them the 23-hour day DST starts (8 March 2026).
type statsWorld struct {
	s              *store.Store
	clk            *clock.Fake
	ws             workspace.Workspace
	l1, l2         line.Line
	c1, c2, c3     channel.Channel
	a, b           string // operators
	sessions       []string
	engine, period string
}

func seedStats(t *testing.T, engine string) *statsWorld {
	t.Helper()
	w := &statsWorld{clk: clock.NewFake(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), engine: engine}
	w.s = storetest.Open(t, engine, store.Options{Clock: w.clk})
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.ws, err = w.s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
	must(err)
	must(w.s.SetWorkspaceTimezone(ctx, w.ws.ID, "America/New_York"))
	for i, id := range []*string{&w.a, &w.b} {
		u, err := w.s.CreateUser(ctx, user.User{WorkspaceID: w.ws.ID, Email: fmt.Sprintf("op%d@acme.io", i), Name: fmt.Sprintf("Op %d", i),
			Role: user.Administrator, Active: true, PasswordHash: "x"})
		must(err)
		*id = u.ID
	}
	st1 := quiet()
	st1.CloseRule, st1.RatingScale, st1.CloseOnRating = line.RuleNone, "stars", true
	w.l1, err = w.s.CreateLine(ctx, w.ws.ID, "Sales", st1)
	must(err)
	st2 := quiet()
	st2.CloseRule, st2.RatingEnabled = line.RuleNone, false
	st2.WorkingHours.Enabled, st2.WorkingHours.Timezone, st2.WorkingHours.OffHoursRule = true, "America/New_York", line.RuleNone
	w.l2, err = w.s.CreateLine(ctx, w.ws.ID, "Support", st2)
	must(err)
	for i, c := range []*channel.Channel{&w.c1, &w.c2, &w.c3} {
		ln := w.l1.ID
		if i == 2 {
			ln = w.l2.ID
		}
		*c, err = w.s.CreateChannel(ctx, channel.Channel{WorkspaceID: w.ws.ID, LineID: ln, Type: channel.TypeAPI, Name: fmt.Sprint("ch", i)})
		must(err)
	}
	n := 0
	in := func(ch channel.Channel, customer, text string) dialog.InboundResult {
		n++
		r, err := w.s.Ingest(ctx, dialog.Inbound{WorkspaceID: w.ws.ID, ChannelID: ch.ID, LineID: ch.LineID,
			Customer: dialog.Customer{ExternalID: customer, Name: customer}, ExternalID: fmt.Sprint("m", n), Text: text})
		must(err)
		return r
	}
	at := func(s string) { w.clk.Set(mustTime(t, s)) }
	reply := func(r dialog.InboundResult, op string) {
		_, err := w.s.AddOperatorReply(ctx, w.ws.ID, r.DialogID, store.Writer{UserID: op, MayIntercept: true}, "Hello")
		must(err)
	}
	act := func(r dialog.InboundResult, op string) store.Action {
		return store.Action{WorkspaceID: w.ws.ID, SessionID: r.SessionID, UserID: op, Privileged: true}
	}
	// S1, 7 March 10:00 EST, Sales/ch0: A answers in 30 s, twice; finished,
	// rated 5 stars after 11 minutes, which closes it.
	at("2026-03-07T15:00:00Z")
	s1 := in(w.c1, "c1", "Hi")
	at("2026-03-07T15:00:30Z")
	reply(s1, w.a)
	at("2026-03-07T15:01:00Z")
	reply(s1, w.a)
	at("2026-03-07T15:10:00Z")
	must(w.s.Finish(ctx, act(s1, w.a)))
	at("2026-03-07T15:11:00Z")
	in(w.c1, "c1", "5")
	// S2, 23:30 EST on 7 March (8 March in UTC), Sales/ch1: spam.
	at("2026-03-08T04:30:00Z")
	s2 := in(w.c2, "c2", "Buy now")
	at("2026-03-08T04:35:00Z")
	must(w.s.Spam(ctx, act(s2, w.a)))
	// S3, Sunday 8 March 10:00 EDT (off hours), Support/ch2: B answers in
	// 2 min, finishes after 20 min; A votes 4.
	at("2026-03-08T14:00:00Z")
	s3 := in(w.c3, "c3", "Help")
	at("2026-03-08T14:02:00Z")
	reply(s3, w.b)
	at("2026-03-08T14:20:00Z")
	must(w.s.Finish(ctx, act(s3, w.b)))
	must(w.s.Vote(ctx, act(s3, w.a), 4, "good"))
	// S4, 8 March 11:00 EDT, Sales/ch0: A answers in 10 s, transfers it to
	// Support, where B answers and finishes after 5 min.
	at("2026-03-08T15:00:00Z")
	s4 := in(w.c1, "c4", "Question")
	at("2026-03-08T15:00:10Z")
	reply(s4, w.a)
	must(w.s.Transfer(ctx, act(s4, w.a), "", w.l2.ID))
	at("2026-03-08T15:01:00Z")
	reply(s4, w.b)
	at("2026-03-08T15:05:00Z")
	must(w.s.Finish(ctx, act(s4, w.b)))
	// S5, Monday 9 March 12:00 EDT, Support/ch2: finished unanswered after
	// an hour.
	at("2026-03-09T16:00:00Z")
	s5 := in(w.c3, "c5", "Anyone?")
	at("2026-03-09T17:00:00Z")
	must(w.s.Finish(ctx, act(s5, w.b)))
	w.sessions = []string{s1.SessionID, s2.SessionID, s3.SessionID, s4.SessionID, s5.SessionID}
	return w
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// figures is a compact rendering of the figures a test asserts exactly.
func figures(f stats.Figures) string {
	q := func(q stats.Quantiles) string {
		if q.Median == nil {
			return fmt.Sprintf("%d/-/-", q.Count)
		}
		return fmt.Sprintf("%d/%.1f/%.1f", q.Count, *q.Median, *q.P90)
	}
	avg := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	return fmt.Sprintf("recv=%d taken=%d closed=%d unans=%d spam=%d off=%d(%s) msgs=%d frt=%s ttc=%s stars=%d(%s) likes=%d votes=%d(%s)",
		f.Received, f.Taken, f.Closed, f.Unanswered, f.Spam, f.OffHours, avg(f.OffHoursShare), f.Messages, q(f.FirstResponse), q(f.TimeToClose),
		f.Ratings.Stars.Count, avg(f.Ratings.Stars.Average), f.Ratings.Like.Count, f.Votes.Count, avg(f.Votes.Average))
}

func (w *statsWorld) figures(t *testing.T, by string, f store.StatsFilter) map[string]string {
	t.Helper()
	if f.Period == (stats.Period{}) {
		f.Period = stats.Period{From: 20260307, To: 20260309}
	}
	gs, err := w.s.Figures(ctx, w.ws.ID, f, by)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range gs {
		out[g.By] = figures(stats.Of(&g.Sums))
	}
	return out
}

// v is the value a percentile of d seconds reads as (its bucket's).
func v(d int64) float64 { return stats.Value(stats.Bucket(d * 1e6)) }

func TestStatsScenario(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := seedStats(t, engine)
		want := fmt.Sprintf("recv=5 taken=3 closed=4 unans=1 spam=1 off=1(0.20) msgs=5 frt=3/%.1f/%.1f ttc=4/%.1f/%.1f stars=1(5.00) likes=0 votes=1(4.00)",
			v(30), v(120), v(660), v(3600))
		if got := w.figures(t, "", store.StatsFilter{})[""]; got != want {
			t.Fatalf("summary\n got %s\nwant %s", got, want)
		}
		byDay := w.figures(t, "day", store.StatsFilter{})
		wantDay := map[string]string{
			"2026-03-07": fmt.Sprintf("recv=2 taken=1 closed=1 unans=0 spam=1 off=0(0.00) msgs=2 frt=1/%.1f/%.1f ttc=1/%.1f/%.1f stars=1(5.00) likes=0 votes=0(-)", v(30), v(30), v(660), v(660)),
			"2026-03-08": fmt.Sprintf("recv=2 taken=2 closed=2 unans=0 spam=0 off=1(0.50) msgs=3 frt=2/%.1f/%.1f ttc=2/%.1f/%.1f stars=0(-) likes=0 votes=1(4.00)", v(10), v(120), v(300), v(1200)),
			"2026-03-09": fmt.Sprintf("recv=1 taken=0 closed=1 unans=1 spam=0 off=0(0.00) msgs=0 frt=0/-/- ttc=1/%.1f/%.1f stars=0(-) likes=0 votes=0(-)", v(3600), v(3600)),
		}
		assertGroups(t, "by day", byDay, wantDay)
		assertGroups(t, "by line", w.figures(t, "line", store.StatsFilter{}), map[string]string{
			w.l1.ID: fmt.Sprintf("recv=2 taken=1 closed=1 unans=0 spam=1 off=0(0.00) msgs=2 frt=1/%.1f/%.1f ttc=1/%.1f/%.1f stars=1(5.00) likes=0 votes=0(-)", v(30), v(30), v(660), v(660)),
			w.l2.ID: fmt.Sprintf("recv=3 taken=2 closed=3 unans=1 spam=0 off=1(0.33) msgs=3 frt=2/%.1f/%.1f ttc=3/%.1f/%.1f stars=0(-) likes=0 votes=1(4.00)", v(10), v(120), v(1200), v(3600)),
		})
		byChannel := w.figures(t, "channel", store.StatsFilter{})
		for ch, recv := range map[string]string{w.c1.ID: "recv=2 ", w.c2.ID: "recv=1 ", w.c3.ID: "recv=2 "} {
			if got := byChannel[ch]; len(got) < len(recv) || got[:len(recv)] != recv {
				t.Fatalf("channel %s: %s, want %s…", ch, got, recv)
			}
		}
		byOp := w.figures(t, "operator", store.StatsFilter{})
		assertGroups(t, "by operator", byOp, map[string]string{
			w.a: fmt.Sprintf("recv=1 taken=1 closed=1 unans=0 spam=0 off=0(0.00) msgs=3 frt=1/%.1f/%.1f ttc=1/%.1f/%.1f stars=1(5.00) likes=0 votes=0(-)", v(30), v(30), v(660), v(660)),
			w.b: fmt.Sprintf("recv=2 taken=2 closed=2 unans=0 spam=0 off=1(0.50) msgs=2 frt=2/%.1f/%.1f ttc=2/%.1f/%.1f stars=0(-) likes=0 votes=1(4.00)", v(10), v(120), v(300), v(1200)),
			"":  fmt.Sprintf("recv=2 taken=0 closed=1 unans=1 spam=1 off=0(0.00) msgs=0 frt=0/-/- ttc=1/%.1f/%.1f stars=0(-) likes=0 votes=0(-)", v(3600), v(3600)),
		})
		// Scope: an operator sees only their own rows; a team its members'.
		own := w.figures(t, "", store.StatsFilter{People: []string{w.b}})[""]
		if own != byOp[w.b] {
			t.Fatalf("own scope %s, want B's %s", own, byOp[w.b])
		}
		if got := w.figures(t, "", store.StatsFilter{People: []string{}}); len(got) != 0 {
			t.Fatalf("nobody's scope shows %v", got)
		}
		// Filters and a period of one day.
		if got := w.figures(t, "", store.StatsFilter{Period: stats.Period{From: 20260308, To: 20260308}, ChannelID: w.c1.ID})[""]; got[:7] != "recv=1 " {
			t.Fatalf("8 March on ch0: %s", got)
		}
		// In UTC the spam of 23:30 EST falls on 8 March.
		if err := w.s.SetWorkspaceTimezone(ctx, w.ws.ID, "UTC"); err != nil {
			t.Fatal(err)
		}
		utc := w.figures(t, "day", store.StatsFilter{})
		if utc["2026-03-07"][:7] != "recv=1 " || utc["2026-03-08"][:7] != "recv=3 " {
			t.Fatalf("UTC days: %v", utc)
		}
	})
}

func assertGroups(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d groups %v, want %d", what, len(got), got, len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("%s %q\n got %s\nwant %s", what, k, got[k], w)
		}
	}
}

// TestStatsRebuildEqualsIncremental: the rows the transitions wrote are the
// rows the rebuild computes from the history.
func TestStatsRebuildEqualsIncremental(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := seedStats(t, engine)
		inc, err := w.s.StatsRows(ctx, w.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc) != 6 { // the scenario's six keys
			t.Fatalf("only %d rows: %v", len(inc), inc)
		}
		if err := w.s.RebuildStats(ctx, w.ws.ID); err != nil {
			t.Fatal(err)
		}
		reb, err := w.s.StatsRows(ctx, w.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(inc) != fmt.Sprint(reb) {
			t.Fatalf("incremental\n%v\nrebuilt\n%v", inc, reb)
		}
	})
}

// The staffing planner's history: sessions per UTC hour and the handle time.
func TestStaffingHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := seedStats(t, engine)
		hours, handle, err := w.s.StaffingHistory(ctx, w.ws.ID, "", mustTime(t, "2026-03-07T00:00:00Z"), mustTime(t, "2026-03-10T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, h := range hours {
			got[time.Unix(h.Hour*3600, 0).UTC().Format("01-02T15")] = h.N
		}
		want := map[string]int64{"03-07T15": 1, "03-08T04": 1, "03-08T14": 1, "03-08T15": 1, "03-09T16": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("hours %v, want %v", got, want)
		}
		// Answered and closed: S1 (30 s → 11 min: 630 s), S3 (2 min → 20 min:
		// 1080 s), S4 (10 s → 5 min: 290 s).
		if want := (630.0 + 1080 + 290) / 3; handle < want-1e-6 || handle > want+1e-6 {
			t.Fatalf("handle time %v, want %v", handle, want)
		}
		hours, _, err = w.s.StaffingHistory(ctx, w.ws.ID, w.l1.ID, mustTime(t, "2026-03-07T00:00:00Z"), mustTime(t, "2026-03-10T00:00:00Z"))
		if err != nil || len(hours) != 2 {
			t.Fatalf("Sales' hours: %v %v", hours, err)
		}
	})
}
