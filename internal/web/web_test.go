package web_test

// Checks that need no browser: what the handler serves, the rules of the
// browser code (no HTML from strings, nothing inline the CSP would block),
// and that every interface string exists in English and Russian.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/web"
)

func TestHandlerServesShellAndAssets(t *testing.T) {
	h := web.Handler()
	for _, c := range []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/", "text/html", http.StatusOK},
		{"/assets/app.js", "text/javascript", http.StatusOK},
		{"/assets/style.css", "text/css", http.StatusOK},
		{"/assets/favicon.svg", "image/svg+xml", http.StatusOK},
		{"/assets/nope.js", "text/html", http.StatusNotFound},
		{"/assets/", "text/html", http.StatusNotFound},
		{"/assets/index.html", "text/html", http.StatusNotFound},
		{"/assets/%ff", "text/html", http.StatusNotFound},
		{"/elsewhere", "text/html", http.StatusNotFound},
		{"/api/v1/nope", "application/json", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != c.wantStatus {
			t.Errorf("GET %s: status %d, want %d", c.path, rec.Code, c.wantStatus)
			continue
		}
		if csp := rec.Header().Get("Content-Security-Policy"); csp != web.CSP {
			t.Errorf("GET %s: CSP %q", c.path, csp)
		}
		if c.wantType != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), c.wantType) {
			t.Errorf("GET %s: Content-Type %q, want %s", c.path, rec.Header().Get("Content-Type"), c.wantType)
		}
	}
}

// A path the application does not have is a small page in both languages
// for a browser; an /api/ path keeps the API's JSON error.
func TestNotFound(t *testing.T) {
	h := web.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/missing.js", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "Такой страницы нет") ||
		!strings.Contains(body, `href="/"`) || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Fatalf("404 page: %d %s", rec.Code, body)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("404 headers: %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/nope", nil))
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "not_found" || e.Error.Message == "" {
		t.Fatalf("/api/ 404: %v %s", err, rec.Body)
	}
}

// An unchanged file is revalidated with its ETag and costs a 304.
func TestHandlerRevalidates(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{"/", "/assets/inbox.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		tag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || tag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET %s: status %d, ETag %q, Cache-Control %q", path, rec.Code, tag, rec.Header().Get("Cache-Control"))
		}
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("If-None-Match", tag)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: status %d, want 304", path, rec.Code)
		}
	}
}

func readStatic(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	paths, err := filepath.Glob(filepath.Join("static", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(b)
	}
	return files
}

// The browser code never turns strings into markup or code, and the page
// has nothing inline that the CSP (script-src 'self'; style-src 'self')
// would refuse.
func TestBrowserCodeRules(t *testing.T) {
	forbidden := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", "createContextualFragment", "DOMParser"}
	for name, src := range readStatic(t) {
		switch filepath.Ext(name) {
		case ".js":
			for _, f := range forbidden {
				if strings.Contains(src, f) {
					t.Errorf("%s uses %s", name, f)
				}
			}
		case ".html":
			low := strings.ToLower(src)
			for _, f := range []string{"<style", " style=", " on", "javascript:"} {
				if f == " on" {
					if regexp.MustCompile(`\son[a-z]+\s*=`).MatchString(low) {
						t.Errorf("%s has an inline event handler", name)
					}
					continue
				}
				if strings.Contains(low, f) {
					t.Errorf("%s contains %q", name, f)
				}
			}
			for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(low, -1) {
				if !strings.Contains(m, "src=") {
					t.Errorf("%s has an inline script: %s", name, m)
				}
			}
		}
	}
}

var (
	dictRe  = regexp.MustCompile(`(?s)const (en|ru) = \{(.*?)\n\};`)
	keyRe   = regexp.MustCompile(`(?m)^\s*'([^']+)':`)
	callRe  = regexp.MustCompile(`\bt\('([^']+)'(\s*[,)+])`)
	unitsRe = regexp.MustCompile(`'(unit\.[a-z]+)'`)
)

// Every string has an English and a Russian text, and every key the code
// asks for exists (a key built from a prefix needs some key with it).
func TestEveryStringInBothLanguages(t *testing.T) {
	files := readStatic(t)
	dicts := map[string][]string{}
	for _, m := range dictRe.FindAllStringSubmatch(files["i18n.js"], -1) {
		for _, k := range keyRe.FindAllStringSubmatch(m[2], -1) {
			dicts[m[1]] = append(dicts[m[1]], k[1])
		}
	}
	en, ru := dicts["en"], dicts["ru"]
	if len(en) < 100 {
		t.Fatalf("found only %d English strings: is i18n.js still shaped as `const en = {…};`?", len(en))
	}
	for _, k := range en {
		if !slices.Contains(ru, k) {
			t.Errorf("%q has no Russian text", k)
		}
	}
	for _, k := range ru {
		if !slices.Contains(en, k) {
			t.Errorf("%q has no English text", k)
		}
	}
	hasPrefix := func(p string) bool {
		return slices.ContainsFunc(en, func(k string) bool { return strings.HasPrefix(k, p) })
	}
	for name, src := range files {
		if filepath.Ext(name) != ".js" {
			continue
		}
		for _, m := range callRe.FindAllStringSubmatch(src, -1) {
			key, next := m[1], strings.TrimSpace(m[2])
			if next == "+" {
				if !hasPrefix(key) {
					t.Errorf("%s: no string starts with %q", name, key)
				}
			} else if !slices.Contains(en, key) {
				t.Errorf("%s: t(%q) has no string", name, key)
			}
		}
		for _, m := range unitsRe.FindAllStringSubmatch(src, -1) {
			if !slices.Contains(en, m[1]) {
				t.Errorf("%s: %q has no string", name, m[1])
			}
		}
	}
}

// Every timeline event and reason the server writes has a translation in
// both languages of the interface.
func TestEventTranslations(t *testing.T) {
	b, err := os.ReadFile("static/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for _, c := range dialog.EventCodes() {
		if n := strings.Count(src, "'event."+c+"':"); n != 2 {
			t.Errorf("event %s is translated %d times, want 2 (en, ru)", c, n)
		}
	}
	for _, c := range dialog.ReasonCodes() {
		if n := strings.Count(src, "'reason."+c+"':"); n != 2 {
			t.Errorf("reason %s is translated %d times, want 2 (en, ru)", c, n)
		}
	}
}

// Every permission of the catalogue, and every scope, has a name (and a
// permission a hint) in both languages, for the Roles page; so has every
// predefined role.
func TestPermissionTranslations(t *testing.T) {
	b, err := os.ReadFile("static/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	var keys []string
	for _, e := range access.Catalogue {
		keys = append(keys, "perm."+string(e.Permission), "permHint."+string(e.Permission))
	}
	for s := access.None; s <= access.All; s++ {
		keys = append(keys, "scope."+s.String())
	}
	for _, r := range access.Predefined() {
		keys = append(keys, "role."+r.Key)
	}
	for _, k := range keys {
		if n := strings.Count(src, "'"+k+"':"); n != 2 {
			t.Errorf("%s is translated %d times, want 2 (en, ru)", k, n)
		}
	}
}
