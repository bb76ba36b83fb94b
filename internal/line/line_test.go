package line

import (
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/apperr"
)

func TestDefaultsAreValid(t *testing.T) {
	s := Defaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Mode != ModeEvenly || s.QueueTime != 60 || s.LimitExcludes != ExcludeAnswered || !s.WelcomeEnabled ||
		s.NoAnswerEnabled || s.NoAnswerTime != 60 || s.WorkingHours.Enabled || s.CloseRule != RuleText ||
		s.AutoCloseTime != 4*3600 || !s.RatingEnabled || s.RatingWindow != 0 || s.CloseOnRating || s.FullCloseDelay != 600 ||
		len(s.WorkingHours.Week["mon"]) != 1 || s.WorkingHours.Week["mon"][0] != (Interval{"09:00", "18:00"}) || len(s.WorkingHours.Week["sat"]) != 0 {
		t.Fatalf("defaults differ from SPEC §3: %+v", s)
	}
}

func TestValidateRefuses(t *testing.T) {
	cases := []struct {
		field  string
		change func(*Settings)
	}{
		{"mode", func(s *Settings) { s.Mode = "random" }},
		{"queue", func(s *Settings) { s.Queue = []string{"a", "a"} }},
		{"queue_time", func(s *Settings) { s.QueueTime = 0 }},
		{"queue_time", func(s *Settings) { s.QueueTime = 43201 }},
		{"limit", func(s *Settings) { s.LimitEnabled, s.Limit = true, 0 }},
		{"limit", func(s *Settings) { s.LimitEnabled, s.Limit = true, 1001 }},
		{"limit_excludes", func(s *Settings) { s.LimitExcludes = "spam" }},
		{"working_hours.timezone", func(s *Settings) { s.WorkingHours.Timezone = "Mars/Olympus" }},
		{"working_hours.week.mon", func(s *Settings) { s.WorkingHours.Week["mon"] = []Interval{{"18:00", "09:00"}} }},
		{"working_hours.week.tue", func(s *Settings) { s.WorkingHours.Week["tue"] = []Interval{{"09:00", "13:00"}, {"12:00", "18:00"}} }},
		{"working_hours.week.wed", func(s *Settings) { s.WorkingHours.Week["wed"] = []Interval{{"24:00", "24:00"}} }},
		{"working_hours.week", func(s *Settings) { s.WorkingHours.Week["someday"] = nil }},
		{"working_hours.holidays", func(s *Settings) { s.WorkingHours.Holidays = []string{"2026-02-29"} }},
		{"working_hours.days_off", func(s *Settings) { s.WorkingHours.DaysOff = []string{"sat", "sat"} }},
		{"working_hours.off_hours_text", func(s *Settings) { s.WorkingHours.Enabled, s.WorkingHours.OffHoursText = true, " " }},
		{"operator_data_name", func(s *Settings) { s.OperatorData = OperatorDataHidden }},
		{"welcome_text", func(s *Settings) { s.WelcomeText = strings.Repeat("x", MaxTextLen+1) }},
		{"full_close_delay", func(s *Settings) { s.FullCloseDelay = -1 }},
		// Control characters (package input): PostgreSQL refuses NUL in text.
		{"welcome_text", func(s *Settings) { s.WelcomeText = "Hello\x00" }},
		{"close_text", func(s *Settings) { s.CloseText = "Bye\x01" }},
		{"no_answer_text", func(s *Settings) { s.NoAnswerText = "\x1b[31mwait" }},
		{"auto_close_text", func(s *Settings) { s.AutoCloseText = "\x00" }},
		{"rating_text", func(s *Settings) { s.RatingText = "rate\x07" }},
		{"rating_thanks_text", func(s *Settings) { s.RatingThanksText = "\x00" }},
		{"operator_data_name", func(s *Settings) { s.OperatorDataName = "Op\x00" }},
		{"working_hours.off_hours_text", func(s *Settings) { s.WorkingHours.OffHoursText = "closed\x00" }},
		{"queue", func(s *Settings) { s.Queue = []string{"a\x00"} }},
	}
	for _, c := range cases {
		s := Defaults()
		c.change(&s)
		err := s.Validate()
		var ae *apperr.Error
		if err == nil || !strings.HasPrefix(err.Error(), "invalid: "+c.field) || !asErr(err, &ae) || ae.Field != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
}

func asErr(err error, target **apperr.Error) bool {
	ae, ok := err.(*apperr.Error)
	*target = ae
	return ok
}

// Tab, line feed and carriage return are text; DEL is stored as it is.
func TestValidateKeepsTextControls(t *testing.T) {
	s := Defaults()
	s.WelcomeText, s.CloseText, s.RatingText = "Hello,\r\nwelcome!", "col1\tcol2\n", "rate \x7f"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := ValidateName("Sales\x00"); err == nil {
		t.Fatal("a name with NUL was accepted")
	}
}

func TestValidateNormalises(t *testing.T) {
	s := Defaults()
	s.WorkingHours.Week["mon"] = []Interval{{"14:00", "18:00"}, {"09:00", "13:00"}}
	s.WorkingHours.Week["fri"] = []Interval{{"20:00", "24:00"}}
	s.WorkingHours.Holidays = []string{"01-01", "02-29", "2026-05-09"}
	s.Queue = nil
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.WorkingHours.Week["mon"][0].From != "09:00" || s.Queue == nil {
		t.Fatalf("not normalised: %+v", s)
	}
}

func TestDefaultsInRussian(t *testing.T) {
	ru, en := DefaultsIn("ru"), DefaultsIn("en")
	if err := ru.Validate(); err != nil {
		t.Fatal(err)
	}
	if ru.WelcomeText == en.WelcomeText || ru.RatingText == en.RatingText || ru.WorkingHours.OffHoursText == en.WorkingHours.OffHoursText {
		t.Fatal("Russian defaults are not Russian")
	}
	if en.WelcomeText != Defaults().WelcomeText || ru.QueueTime != en.QueueTime {
		t.Fatal("DefaultsIn changed more than the texts")
	}
}
