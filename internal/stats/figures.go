package stats

import (
	"fmt"
	"time"

	"github.com/openlines/openlines/internal/apperr"
)

// Sums are the counters and histograms of one group of keys summed.
type Sums struct {
	Counts   Counts
	FRT, TTC Histogram
}

// Add adds o to s.
func (s *Sums) Add(o *Sums) {
	s.Counts.Add(o.Counts)
	for i := range s.FRT {
		s.FRT[i] += o.FRT[i]
		s.TTC[i] += o.TTC[i]
	}
}

// Figures are what the API shows for a group (SPEC §10). Durations are
// seconds read from the histograms (see Bucket for their error); nil when
// there is nothing to measure.
type Figures struct {
	Received      int64       `json:"received"`
	Taken         int64       `json:"taken"`
	Closed        int64       `json:"closed"`
	Unanswered    int64       `json:"unanswered"`
	Spam          int64       `json:"spam"`
	OffHours      int64       `json:"off_hours"`
	OffHoursShare *float64    `json:"off_hours_share"`
	Messages      int64       `json:"messages"`
	FirstResponse Quantiles   `json:"first_response"`
	TimeToClose   Quantiles   `json:"time_to_close"`
	Ratings       Ratings     `json:"ratings"`
	Votes         VoteFigures `json:"votes"`
}

// Quantiles are the median and p90 of a duration, in seconds, with how many
// durations were measured.
type Quantiles struct {
	Count  int64    `json:"count"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
	// Buckets is the distribution: the histogram's non-empty buckets in
	// order, each with its bounds in seconds (To is null for the last).
	Buckets []Range `json:"buckets"`
}

// Range is one bucket of a distribution: Count durations in [From, To).
type Range struct {
	From  float64  `json:"from"`
	To    *float64 `json:"to"`
	Count int64    `json:"count"`
}

// Ratings are the customers' ratings per scale: on the like scale the
// average is the share of likes, on the stars scale the mean of 1–5.
type Ratings struct {
	Count int64 `json:"count"`
	Like  Scale `json:"like"`
	Stars Scale `json:"stars"`
}

// Scale is one rating scale's count, average and distribution (by value:
// like 0,1; stars 1..5).
type Scale struct {
	Count   int64            `json:"count"`
	Average *float64         `json:"average"`
	Values  map[string]int64 `json:"values"`
}

// VoteFigures are the supervisors' scores (1–5).
type VoteFigures struct {
	Count   int64    `json:"count"`
	Average *float64 `json:"average"`
}

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

func quantiles(h *Histogram) Quantiles {
	q := Quantiles{Count: h.Total(), Buckets: []Range{}}
	for b, n := range h {
		if n > 0 {
			r := Range{Count: n}
			r.From, r.To = Bounds(b)
			q.Buckets = append(q.Buckets, r)
		}
	}
	if m, ok := h.Quantile(0.5); ok {
		p, _ := h.Quantile(0.9)
		q.Median, q.P90 = &m, &p
	}
	return q
}

// Of computes the figures of sums.
func Of(s *Sums) Figures {
	c := s.Counts
	f := Figures{Received: c[Received], Taken: c[Taken], Closed: c[Closed], Unanswered: c[Unanswered], Spam: c[Spam],
		OffHours: c[OffHours], OffHoursShare: ratio(c[OffHours], c[Received]), Messages: c[Messages],
		FirstResponse: quantiles(&s.FRT), TimeToClose: quantiles(&s.TTC)}
	likes := c[Likes] + c[Dislikes]
	f.Ratings.Like = Scale{Count: likes, Average: ratio(c[Likes], likes), Values: map[string]int64{"0": c[Dislikes], "1": c[Likes]}}
	var stars, sum int64
	f.Ratings.Stars.Values = map[string]int64{}
	for v := 1; v <= 5; v++ {
		n := c[Stars1+v-1]
		stars += n
		sum += int64(v) * n
		f.Ratings.Stars.Values[fmt.Sprint(v)] = n
	}
	f.Ratings.Stars.Count, f.Ratings.Stars.Average = stars, ratio(sum, stars)
	f.Ratings.Count = likes + stars
	f.Votes = VoteFigures{Count: c[Votes], Average: ratio(c[VoteSum], c[Votes])}
	return f
}

// Period is a range of days [From, To] in the workspace's zone.
type Period struct{ From, To int }

// MaxDays bounds a period: ten years of days.
const MaxDays = 3700

// ParsePeriod reads from and to as dates (YYYY-MM-DD); an empty to is from,
// an empty from is 30 days before to (today when both are empty).
func ParsePeriod(from, to string, today time.Time) (Period, error) {
	parse := func(field, v string) (time.Time, error) {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return d, apperr.FieldError(field, "must be a date YYYY-MM-DD")
		}
		return d, nil
	}
	var f, t time.Time
	var err error
	if to == "" {
		t = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	} else if t, err = parse("to", to); err != nil {
		return Period{}, err
	}
	if from == "" {
		f = t.AddDate(0, 0, -29)
	} else if f, err = parse("from", from); err != nil {
		return Period{}, err
	}
	if t.Before(f) {
		return Period{}, apperr.FieldError("to", "is before from")
	}
	if t.Sub(f) > MaxDays*24*time.Hour {
		return Period{}, apperr.FieldError("from", "the period is longer than %d days", MaxDays)
	}
	return Period{From: dayOf(f), To: dayOf(t)}, nil
}

func dayOf(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// DayString renders a day (yyyymmdd) as YYYY-MM-DD.
func DayString(day int) string { return fmt.Sprintf("%04d-%02d-%02d", day/10000, day/100%100, day%100) }
