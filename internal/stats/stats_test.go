package stats

import (
	"math"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/session"
)

func TestBucketBoundsAndError(t *testing.T) {
	if Bucket(0) != 0 || Bucket(999_999) != 0 || Bucket(1_000_000) != 1 {
		t.Fatalf("first buckets: %d %d %d", Bucket(0), Bucket(999_999), Bucket(1_000_000))
	}
	// 2 s opens bucket 5 (four buckets an octave).
	if Bucket(1_999_999) != 4 || Bucket(2_000_000) != 5 {
		t.Fatalf("octave: %d %d", Bucket(1_999_999), Bucket(2_000_000))
	}
	prev := 0
	maxErr := 0.0
	for us := int64(1_000_000); us < 40*24*3600*1_000_000; us = us*101/100 + 7 {
		b := Bucket(us)
		if b < prev {
			t.Fatalf("bucket of %d went down: %d < %d", us, b, prev)
		}
		prev = b
		if e := math.Abs(Value(b)-float64(us)/1e6) / (float64(us) / 1e6); e > maxErr {
			maxErr = e
		}
	}
	if maxErr > math.Exp2(1.0/8)-1+1e-9 {
		t.Fatalf("relative error %.4f above the documented bound", maxErr)
	}
	if Bucket(math.MaxInt64) != MaxBucket {
		t.Fatal("huge durations must land in the last bucket")
	}
}

func TestQuantileNearestRank(t *testing.T) {
	var h Histogram
	if _, ok := h.Quantile(0.5); ok {
		t.Fatal("empty histogram has no median")
	}
	for _, s := range []int64{1, 2, 3, 10, 60} { // seconds
		h[Bucket(s*1e6)]++
	}
	if m, _ := h.Quantile(0.5); m != Value(Bucket(3e6)) {
		t.Fatalf("median %v, want the bucket of 3 s (%v)", m, Value(Bucket(3e6)))
	}
	if p, _ := h.Quantile(0.9); p != Value(Bucket(60e6)) {
		t.Fatalf("p90 %v, want the bucket of 60 s", p)
	}
}

func TestDayFollowsZoneAndDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 2026-03-08 is a 23-hour day in New York; 04:30 UTC is still 7 March.
	at := time.Date(2026, 3, 8, 4, 30, 0, 0, time.UTC).UnixMicro()
	if d := Day(at, ny); d != 20260307 {
		t.Fatalf("day %d", d)
	}
	if d := Day(at, time.UTC); d != 20260308 {
		t.Fatalf("UTC day %d", d)
	}
	if h := DayTime(20260309, ny).Sub(DayTime(20260308, ny)); h != 23*time.Hour {
		t.Fatalf("DST day lasts %v", h)
	}
}

func TestSessionContribution(t *testing.T) {
	s := session.State{LineID: "l", OperatorID: "u", Status: "closed", Answered: false, OffHours: true,
		OpenedAt: 1e12, ClosedAt: 1e12 + 90e6}
	c := OfSession(&s, "ch", time.UTC)
	want := Counts{}
	want[Received], want[Taken], want[Closed], want[Unanswered], want[OffHours] = 1, 1, 1, 1, 1
	if c.Counts != want || c.FRT != -1 || c.TTC != Bucket(90e6) || c.Key.Channel != "ch" || c.Key.Operator != "u" {
		t.Fatalf("%+v", c)
	}
	s.Status = "spam"
	if c := OfSession(&s, "ch", time.UTC); c.Counts[Spam] != 1 || c.Counts[Closed] != 0 || c.TTC != -1 {
		t.Fatalf("spam %+v", c)
	}
	if OfRating("like", 0)[Dislikes] != 1 || OfRating("stars", 4)[Stars4] != 1 || OfVote(3)[VoteSum] != 3 {
		t.Fatal("rating/vote counts")
	}
}

func TestHistogramEncoding(t *testing.T) {
	var h Histogram
	if h.Encode() != "" {
		t.Fatal("an empty histogram encodes as nothing")
	}
	h[0], h[17], h[MaxBucket] = 2, 1, 5
	if e := h.Encode(); e != "0:2,17:1,96:5" {
		t.Fatalf("encoded %q", e)
	}
	var g Histogram
	if err := g.AddEncoded(h.Encode()); err != nil || g != h {
		t.Fatalf("round trip: %v %v", g, err)
	}
	g[17] = -1 // a delta may be negative
	var d Histogram
	d.AddEncoded(g.Encode())
	if d[17] != -1 {
		t.Fatal("negative counts")
	}
	for _, bad := range []string{"x", "1", "1:", "97:1", "-1:2", "1:2,", "1:2,,3:4"} {
		if err := (&Histogram{}).AddEncoded(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
