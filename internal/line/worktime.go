package line

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/apperr"
)

// WorkingHours is when a line works (SPEC §7). Weekdays are keyed "mon".."sun";
// a day with no intervals, or listed in DaysOff, is not worked. Intervals are
// "HH:MM" local times in Timezone; To may be "24:00"; an interval never
// crosses midnight (split it in two days instead).
type WorkingHours struct {
	Enabled      bool                  `json:"enabled"`
	Timezone     string                `json:"timezone"`
	Week         map[string][]Interval `json:"week"`
	DaysOff      []string              `json:"days_off"`
	Holidays     []string              `json:"holidays"`
	OffHoursRule string                `json:"off_hours_rule"`
	OffHoursText string                `json:"off_hours_text"`
}

// Interval is one stretch of working time within a day.
type Interval struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Weekdays in the order the week is shown, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// ServerTimezone is the IANA name of the server's zone, the default of new lines.
var ServerTimezone = detectTimezone()

func detectTimezone() string {
	if tz := os.Getenv("TZ"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 {
			name := target[i+len("zoneinfo/"):]
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return "UTC"
}

// DefaultWorkingHours is Mon–Fri 09:00–18:00 in the server's zone, switched off.
func DefaultWorkingHours() WorkingHours {
	week := map[string][]Interval{}
	for _, d := range Weekdays[:5] {
		week[d] = []Interval{{"09:00", "18:00"}}
	}
	return WorkingHours{
		Timezone:     ServerTimezone,
		Week:         week,
		DaysOff:      []string{},
		Holidays:     []string{},
		OffHoursRule: RuleText,
		OffHoursText: "We are closed now. Leave your message and we will answer during working hours.",
	}
}

// Validate checks the timezone, intervals, days off and holidays, sorts the
// intervals of each day and refuses overlaps.
func (w *WorkingHours) Validate() error {
	if w.Timezone == "" {
		return apperr.FieldError("working_hours.timezone", "is required")
	}
	if _, err := time.LoadLocation(w.Timezone); err != nil || w.Timezone == "Local" {
		return apperr.FieldError("working_hours.timezone", "%q is not an IANA time zone such as Europe/Moscow", w.Timezone)
	}
	if w.Week == nil {
		w.Week = map[string][]Interval{}
	}
	for day, ivs := range w.Week {
		field := "working_hours.week." + day
		if !isWeekday(day) {
			return apperr.FieldError("working_hours.week", "%q is not a weekday (mon, tue, wed, thu, fri, sat, sun)", day)
		}
		if len(ivs) > 24 {
			return apperr.FieldError(field, "has more than 24 intervals")
		}
		for i := range ivs {
			from, ok1 := parseClock(ivs[i].From, false)
			to, ok2 := parseClock(ivs[i].To, true)
			if !ok1 {
				return apperr.FieldError(field, "from %q is not a time HH:MM", ivs[i].From)
			}
			if !ok2 {
				return apperr.FieldError(field, "to %q is not a time HH:MM (24:00 allowed)", ivs[i].To)
			}
			if from >= to {
				return apperr.FieldError(field, "interval %s–%s ends before it starts; split a night shift over two days", ivs[i].From, ivs[i].To)
			}
		}
		sort.Slice(ivs, func(a, b int) bool { return ivs[a].From < ivs[b].From })
		for i := 1; i < len(ivs); i++ {
			prevTo, _ := parseClock(ivs[i-1].To, true)
			from, _ := parseClock(ivs[i].From, false)
			if from < prevTo {
				return apperr.FieldError(field, "intervals %s–%s and %s–%s overlap", ivs[i-1].From, ivs[i-1].To, ivs[i].From, ivs[i].To)
			}
		}
	}
	if w.DaysOff == nil {
		w.DaysOff = []string{}
	}
	seen := map[string]bool{}
	for _, d := range w.DaysOff {
		if !isWeekday(d) {
			return apperr.FieldError("working_hours.days_off", "%q is not a weekday (mon, tue, wed, thu, fri, sat, sun)", d)
		}
		if seen[d] {
			return apperr.FieldError("working_hours.days_off", "lists %s twice", d)
		}
		seen[d] = true
	}
	if w.Holidays == nil {
		w.Holidays = []string{}
	}
	if len(w.Holidays) > 1000 {
		return apperr.FieldError("working_hours.holidays", "has more than 1000 dates")
	}
	seen = map[string]bool{}
	for _, h := range w.Holidays {
		if !validHoliday(h) {
			return apperr.FieldError("working_hours.holidays", "%q is neither a yearly date MM-DD nor a date YYYY-MM-DD", h)
		}
		if seen[h] {
			return apperr.FieldError("working_hours.holidays", "lists %s twice", h)
		}
		seen[h] = true
	}
	if err := oneOf("working_hours.off_hours_rule", w.OffHoursRule, RuleText, RuleNone); err != nil {
		return err
	}
	return text("working_hours.off_hours_text", w.OffHoursText, w.Enabled && w.OffHoursRule == RuleText)
}

func isWeekday(d string) bool {
	for _, w := range Weekdays {
		if d == w {
			return true
		}
	}
	return false
}

// parseClock turns "HH:MM" into minutes since midnight; "24:00" only when allow24.
func parseClock(s string, allow24 bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := atoi2(s[0:2]), atoi2(s[3:5])
	if h < 0 || m < 0 || m > 59 {
		return 0, false
	}
	if h == 24 && m == 0 && allow24 {
		return 24 * 60, true
	}
	if h > 23 {
		return 0, false
	}
	return h*60 + m, true
}

func atoi2(s string) int {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

func validHoliday(s string) bool {
	switch len(s) {
	case 5: // MM-DD, checked against a leap year so that 02-29 is allowed
		_, err := time.Parse("2006-01-02", "2024-"+s)
		return err == nil
	case 10:
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	}
	return false
}

var zones sync.Map // name → *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// IsOpen reports whether t falls within the working hours (SPEC §7). The
// hours are wall-clock times in the line's zone, so they stay right across
// daylight-saving changes. Disabled working hours are always open; an
// unknown zone (which Validate refuses) counts as UTC.
func (w *WorkingHours) IsOpen(t time.Time) bool {
	if !w.Enabled {
		return true
	}
	loc, err := location(w.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	date := local.Format("2006-01-02")
	for _, h := range w.Holidays {
		if h == date || h == date[5:] {
			return false
		}
	}
	day := Weekdays[(int(local.Weekday())+6)%7] // Monday first
	for _, d := range w.DaysOff {
		if d == day {
			return false
		}
	}
	minute := local.Hour()*60 + local.Minute()
	for _, iv := range w.Week[day] {
		from, _ := parseClock(iv.From, false)
		to, _ := parseClock(iv.To, true)
		if minute >= from && minute < to {
			return true
		}
	}
	return false
}
