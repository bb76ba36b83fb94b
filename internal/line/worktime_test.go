package line

import (
	"testing"
	"time"
)

func hours(tz string) WorkingHours {
	w := DefaultWorkingHours()
	w.Enabled, w.Timezone = true, tz
	w.Week["mon"] = []Interval{{"09:00", "13:00"}, {"14:00", "18:00"}}
	w.DaysOff = []string{"sat", "sun"}
	w.Holidays = []string{"01-01", "2026-05-11"}
	if err := w.Validate(); err != nil {
		panic(err)
	}
	return w
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsOpen(t *testing.T) {
	moscow, ny := hours("Europe/Moscow"), hours("America/New_York")
	cases := []struct {
		w    WorkingHours
		at   string
		open bool
	}{
		// Moscow is UTC+3 all year.
		{moscow, "2026-03-02T06:00:00Z", true},  // Mon 09:00
		{moscow, "2026-03-02T05:59:00Z", false}, // Mon 08:59
		{moscow, "2026-03-02T10:30:00Z", false}, // Mon 13:30, lunch gap
		{moscow, "2026-03-02T11:00:00Z", true},  // Mon 14:00
		{moscow, "2026-03-02T15:00:00Z", false}, // Mon 18:00, end is exclusive
		{moscow, "2026-03-03T14:59:00Z", true},  // Tue 17:59
		{moscow, "2026-03-07T10:00:00Z", false}, // Saturday, a day off
		{moscow, "2027-01-01T10:00:00Z", false}, // yearly holiday (a Friday)
		{moscow, "2026-05-11T08:00:00Z", false}, // dated holiday (a Monday)
		{moscow, "2027-05-11T08:00:00Z", true},  // the dated holiday is not yearly (a Tuesday)
		{moscow, "2026-03-01T21:30:00Z", false}, // Sun 21:30 UTC is Mon 00:30 in Moscow
	}
	for _, c := range cases {
		if got := c.w.IsOpen(utc(c.at)); got != c.open {
			t.Errorf("%s at %s: open=%v, want %v", c.w.Timezone, c.at, got, c.open)
		}
	}
	// New York switches to daylight time on 2026-03-08: 09:00 local is 14:00
	// UTC on Friday the 6th and 13:00 UTC on Monday the 9th.
	for _, c := range []struct {
		at   string
		open bool
	}{
		{"2026-03-06T13:30:00Z", false}, // 08:30 EST
		{"2026-03-06T14:00:00Z", true},  // 09:00 EST
		{"2026-03-09T13:00:00Z", true},  // 09:00 EDT
		{"2026-03-09T12:59:00Z", false}, // 08:59 EDT
		{"2026-03-09T22:00:00Z", false}, // 18:00 EDT
		{"2026-03-09T21:59:00Z", true},  // 17:59 EDT
	} {
		if got := ny.IsOpen(utc(c.at)); got != c.open {
			t.Errorf("New York at %s: open=%v, want %v", c.at, got, c.open)
		}
	}
	off := DefaultWorkingHours()
	if !off.IsOpen(utc("2026-03-07T03:00:00Z")) {
		t.Error("disabled working hours must always be open")
	}
}
