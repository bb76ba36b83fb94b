// Package stats defines the figures of SPEC §10 and how each session, rating,
// supervisor vote and operator message contributes to them. It is pure: the
// store keeps the figures as counters and histograms per workspace, day (in
// the workspace's time zone), line, channel and operator, and moves a
// session's contribution between them whenever the state machine changes the
// session (store/stats.go), in the same transaction; a rebuild sums the same
// contributions over the history. Because both paths call the functions of
// this package, they cannot disagree.
//
// A session counts on the day it opened (a cohort): received, and what
// became of it since — taken, closed, unanswered, spam, its first response
// and close times — on the line it is on now and for the operator who holds
// (or last held) it. A rating counts for the line and operator it was given
// to, a vote for the line and operator the session had when the supervisor
// voted, an operator message for its author on the session's line; all on
// the session's opening day.
package stats

import (
	"math"
	"time"

	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/session"
)

// The counters of one key (day, line, channel, operator), in the order of
// their columns (Columns).
const (
	Received   = iota // sessions opened
	Taken             // held by an operator
	Closed            // closed (not spam)
	Unanswered        // closed with no operator reply
	Spam              // marked spam
	OffHours          // opened outside working hours
	Messages          // operator messages to customers
	Likes             // ratings on the like scale: 1
	Dislikes          // ratings on the like scale: 0
	Stars1            // ratings on the stars scale: 1 … 5
	Stars2
	Stars3
	Stars4
	Stars5
	Votes   // supervisor votes
	VoteSum // their scores summed
	NumCounts
)

// Columns names the counters' columns of the store's table, by index.
var Columns = [NumCounts]string{"received", "taken", "closed", "unanswered", "spam", "off_hours", "messages",
	"likes", "dislikes", "stars1", "stars2", "stars3", "stars4", "stars5", "votes", "vote_sum"}

// Counts is one value per counter.
type Counts [NumCounts]int64

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// Sub returns c - o.
func (c Counts) Sub(o Counts) Counts {
	for i := range c {
		c[i] -= o[i]
	}
	return c
}

// Zero reports whether every counter is zero.
func (c Counts) Zero() bool { return c == Counts{} }

// Key is where a contribution is counted. Operator is "" for none.
type Key struct {
	Day                     int // yyyymmdd in the workspace's zone
	Line, Channel, Operator string
}

// Day is the date (yyyymmdd) of at in loc.
func Day(at clock.Micros, loc *time.Location) int {
	y, m, d := time.UnixMicro(at).In(loc).Date()
	return y*10000 + int(m)*100 + d
}

// DayTime is the start of day (yyyymmdd) in loc.
func DayTime(day int, loc *time.Location) time.Time {
	return time.Date(day/10000, time.Month(day/100%100), day%100, 0, 0, 0, 0, loc)
}

// Contribution is what one session adds to the figures.
type Contribution struct {
	Key    Key
	Counts Counts
	// FRT and TTC are the histogram buckets of the first response and
	// close times, -1 when the session has none (yet).
	FRT, TTC int
}

// Histograms: the metrics kept as histograms, by their code in the store.
const (
	MetricFRT = 1 // first response time
	MetricTTC = 2 // time to close
)

// OfSession is the contribution of a session on channel, its day in loc.
func OfSession(s *session.State, channel string, loc *time.Location) Contribution {
	c := Contribution{Key: Key{Day: Day(s.OpenedAt, loc), Line: s.LineID, Channel: channel, Operator: s.OperatorID}, FRT: -1, TTC: -1}
	c.Counts[Received] = 1
	if s.OperatorID != "" {
		c.Counts[Taken] = 1
	}
	if s.OffHours {
		c.Counts[OffHours] = 1
	}
	switch s.Status {
	case dialog.StatusClosed:
		c.Counts[Closed] = 1
		if !s.Answered {
			c.Counts[Unanswered] = 1
		}
		if s.ClosedAt != 0 {
			c.TTC = Bucket(s.ClosedAt - s.OpenedAt)
		}
	case dialog.StatusSpam:
		c.Counts[Spam] = 1
	}
	if s.FirstResponseAt != 0 {
		c.FRT = Bucket(s.FirstResponseAt - s.OpenedAt)
	}
	return c
}

// OfRating is what a customer's rating adds.
func OfRating(scale string, value int) Counts {
	var c Counts
	switch {
	case scale == "like" && value == 1:
		c[Likes] = 1
	case scale == "like":
		c[Dislikes] = 1
	case value >= 1 && value <= 5:
		c[Stars1+value-1] = 1
	}
	return c
}

// OfVote is what a supervisor's vote adds.
func OfVote(score int) Counts {
	var c Counts
	c[Votes], c[VoteSum] = 1, int64(score)
	return c
}

// OfMessages is what n operator messages add.
func OfMessages(n int64) Counts {
	var c Counts
	c[Messages] = n
	return c
}

// The histogram buckets are fixed and log-scale: bucket 0 holds durations
// under one second, bucket b ≥ 1 those in [2^((b-1)/4), 2^(b/4)) seconds
// (four buckets an octave), up to bucket MaxBucket which holds everything
// from 2^((MaxBucket-1)/4) s (about 6 months) on. A percentile is read as
// the geometric middle of the bucket holding it, so its relative error is at
// most 2^(1/8) - 1 ≈ 9.05% (and under half a second in bucket 0).
const (
	BucketsPerOctave = 4
	MaxBucket        = 96
)

// Bucket is the histogram bucket of a duration in microseconds.
func Bucket(us int64) int {
	if us < 1e6 {
		return 0
	}
	// Integer-exact at the bounds: compare against the bounds rather than
	// trusting log2 rounding.
	b := 1 + int(math.Floor(BucketsPerOctave*math.Log2(float64(us)/1e6)))
	for b > 1 && float64(us) < lower(b)*1e6 {
		b--
	}
	for b < MaxBucket && float64(us) >= lower(b+1)*1e6 {
		b++
	}
	return min(b, MaxBucket)
}

// lower is the lower bound of bucket b ≥ 1 in seconds.
func lower(b int) float64 { return math.Exp2(float64(b-1) / BucketsPerOctave) }

// Value is the duration in seconds a bucket stands for: the geometric middle
// of its bounds (0.5 s for bucket 0).
func Value(b int) float64 {
	if b <= 0 {
		return 0.5
	}
	return lower(b) * math.Exp2(1.0/(2*BucketsPerOctave))
}

// Bounds are bucket b's bounds in seconds: [from, to), to nil for the last.
func Bounds(b int) (from float64, to *float64) {
	if b > 0 {
		from = lower(b)
	}
	if b < MaxBucket {
		up := lower(b + 1)
		to = &up
	}
	return from, to
}

// Histogram is a count per bucket.
type Histogram [MaxBucket + 1]int64

// Total is the number of durations counted.
func (h *Histogram) Total() int64 {
	var n int64
	for _, v := range h {
		n += v
	}
	return n
}

// Quantile is the q-quantile (0 < q ≤ 1) in seconds by the nearest rank:
// the value of the bucket holding the ⌈q·n⌉-th smallest duration; ok is
// false for an empty histogram.
func (h *Histogram) Quantile(q float64) (float64, bool) {
	n := h.Total()
	if n == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for b, v := range h {
		seen += v
		if seen >= rank {
			return Value(b), true
		}
	}
	return Value(MaxBucket), true
}
