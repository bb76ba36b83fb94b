package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A browser asking for a page or an asset that does not exist gets the
// application's HTML 404 page; an API client always gets the JSON error.
func TestNotFoundPages(t *testing.T) {
	f := newFixture(t, false)
	for _, c := range []struct{ path, ctype string }{
		{"/nope", "text/html"},
		{"/assets/nope.js", "text/html"},
		{"/assets/../../etc/passwd", "text/html"},
		{"/api/v1/nope", "application/json"},
		{"/api/nope", "application/json"},
	} {
		res, err := http.Get(f.srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %q, want 404 %s; %s", c.path, res.StatusCode, res.Header.Get("Content-Type"), c.ctype, body)
		}
	}
}
