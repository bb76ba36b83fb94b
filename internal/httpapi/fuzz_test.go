package httpapi

import (
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/line"
)

// FuzzDecodeLine: any request body either decodes into a line request or is
// refused with an Invalid error naming what is wrong; never a panic, never
// another kind of error. Run: go test -fuzz FuzzDecodeLine ./internal/httpapi/
func FuzzDecodeLine(f *testing.F) {
	for _, s := range []string{`{"name":"Support","queue_time":30}`, `{"Settings":{}}`, `[1]`, `{"name":"a"}{"name":"b"}`,
		`{"working_hours":{"timezone":5}}`, `{"queue":[1]}`, `{"name":"\ud800"}`, ``, `{"colour":"red"}`, `{"id":"x","name":"y"}`,
		`{"name":"a","NAME":"b"}`, `{"welcome_text":"\u0000"}`, `{"working_hours":{"week":{"mon":[{"from":"\u0001"}]}}}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := lineRequest{Settings: line.Defaults()}
		err := decodeInto(body, &req)
		if err == nil {
			req.Settings.Validate()
			return
		}
		if apperr.CodeOf(err) != apperr.Invalid || strings.Contains(apperr.MessageOf(err), "Settings.") {
			t.Fatalf("body %q: %v", body, err)
		}
	})
}
