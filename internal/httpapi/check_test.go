package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/line"
)

// decodeInto's checks name the field by its JSON path, flat over embedded
// structs, through maps and arrays (array items share the array's name).
func TestDecodeIntoChecks(t *testing.T) {
	type absence struct {
		Kind     string     `json:"kind"`
		StartsAt time.Time  `json:"starts_at"`
		EndsAt   time.Time  `json:"ends_at"`
		Until    *time.Time `json:"until"`
	}
	type nested struct {
		Absence absence `json:"absence"`
	}
	for _, c := range []struct {
		body  string
		into  func() any
		field string // "" with ok: accepted
		ok    bool
	}{
		{`{"welcome_text":"a\u0000b"}`, lineReq, "welcome_text", false},
		{`{"welcome_text":"\u0001"}`, lineReq, "welcome_text", false},
		{`{"welcome_text":"CRLF\r\n\ttab \u007f DEL"}`, lineReq, "", true},
		{`{"working_hours":{"off_hours_text":"\u001b[31m"}}`, lineReq, "working_hours.off_hours_text", false},
		{`{"working_hours":{"week":{"mon":[{"from":"09:00","to":"1\u00008:00"}]}}}`, lineReq, "working_hours.week.mon.to", false},
		{`{"working_hours":{"week":{"mo\u0000n":[]}}}`, lineReq, "working_hours.week", false},
		{`{"queue":["ok","b\u0000d"]}`, lineReq, "queue", false},
		{`{"id":"\u0000"}`, lineReq, "id", false}, // read-only and ignored, but text all the same
		{`{"name":"a","name":"b"}`, lineReq, "name", false},
		{`{"name":"a","NAME":"b"}`, lineReq, "NAME", false},
		{`{"working_hours":{"week":{"mon":[],"mon":[]}}}`, lineReq, "working_hours.week.mon", false},
		{`{"queue":[{"a":1},{"a":1}]}`, lineReq, "queue", false}, // a type error, not a duplicate: items are separate objects
		{`null`, lineReq, "", false},
		{`{"kind":"other","starts_at":"2026-01-01T00:00:00Z","ends_at":"2026-01-02T00:00:00Z"}`, absenceReq[absence], "", true},
		{`{"kind":"other","starts_at":"0001-01-01T00:00:00Z","ends_at":"2026-01-02T00:00:00Z"}`, absenceReq[absence], "", true},
		{`{"kind":"other","ends_at":"2026-01-02T00:00:00Z"}`, absenceReq[absence], "starts_at", false},
		{`{"kind":"other","starts_at":null,"ends_at":"2026-01-02T00:00:00Z"}`, absenceReq[absence], "starts_at", false},
		{`{"kind":"other","STARTS_AT":"2026-01-01T00:00:00Z","ends_at":"2026-01-02T00:00:00Z"}`, absenceReq[absence], "", true},
		{`{"kind":"other","starts_at":"2026-01-01T00:00:00Z","ends_at":"tomorrow"}`, absenceReq[absence], "ends_at", false},
		{`{"kind":"other","starts_at":"2026-01-01T00:00:00Z","ends_at":5}`, absenceReq[absence], "ends_at", false},
		{`{"kind":"other","starts_at":"2026-01-01T00:00:00Z","ends_at":"2026-01-02T00:00:00Z","until":"x"}`, absenceReq[absence], "until", false},
		{`{"absence":{"kind":"x","ends_at":"2026-01-02T00:00:00Z"}}`, absenceReq[nested], "absence.starts_at", false},
		{`{}`, absenceReq[nested], "absence.starts_at", false},
	} {
		err := decodeInto([]byte(c.body), c.into())
		if c.ok {
			if err != nil {
				t.Errorf("%s: refused: %v", c.body, err)
			}
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Field != c.field {
			t.Errorf("%s: %v (field %q), want invalid on %q", c.body, err, fieldOf(err), c.field)
		}
	}
}

func lineReq() any { return &lineRequest{Settings: line.Defaults()} }

func absenceReq[T any]() any { return new(T) }

func fieldOf(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Field
	}
	return ""
}

func TestValidIDs(t *testing.T) {
	if !validRatingToken("AbC-_0123456789abcdefghi") || validRatingToken("abc\x00") || validRatingToken("") || validRatingToken("a/b") {
		t.Error("rating token format")
	}
	if got := wildcards("DELETE /api/v1/users/{id}/absences/{absence_id}"); len(got) != 2 || got[0] != "id" || got[1] != "absence_id" {
		t.Errorf("wildcards: %v", got)
	}
}
