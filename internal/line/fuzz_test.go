package line

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzSettings: any JSON onto the defaults either fails validation with an
// error or yields settings that validate again after a round trip and whose
// working hours can be evaluated. Run: go test -fuzz FuzzSettings ./internal/line/
func FuzzSettings(f *testing.F) {
	f.Add([]byte(`{"mode":"strictly","queue_time":30,"working_hours":{"enabled":true,"timezone":"Europe/Moscow","week":{"mon":[{"from":"09:00","to":"13:00"},{"from":"14:00","to":"24:00"}]},"holidays":["01-01","2026-05-09"]}}`))
	f.Add([]byte(`{"limit_enabled":true,"limit":0}`))
	f.Add([]byte(`{"working_hours":{"week":{"sun":[{"from":"23:59","to":"24:00"}]},"days_off":["sun"]}}`))
	f.Add([]byte(`{"working_hours":{"timezone":"America/New_York","week":{"xyz":[]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Defaults()
		if json.Unmarshal(data, &s) != nil {
			return
		}
		if err := s.Validate(); err != nil {
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var again Settings
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("valid settings became invalid after a round trip: %v", err)
		}
		at := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC) // a DST switch in New York
		for range 48 {
			again.WorkingHours.IsOpen(at)
			at = at.Add(37 * time.Minute)
		}
	})
}
