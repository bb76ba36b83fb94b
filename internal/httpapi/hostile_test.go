package httpapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/openlines/openlines/internal/store/storetest"
)

// hostile is one request of the hostile-input table.
type hostile struct {
	what         string
	c            *client
	method, path string
	body         any      // nil, rawBody or a JSON value
	headers      []string // name/value pairs
	want         int      // the expected status; 0 for any 4xx
}

// 4. Hostile input over every route, on both engines: every answer is a
// JSON error {"error":{"code","message"}} with a 4xx status, never a 5xx
// and never another format; afterwards the workspace holds exactly what it
// held before (nothing half-written).
func TestHostileInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		cases := w.hostileCases()
		if len(cases) < 150 {
			t.Fatalf("only %d hostile requests", len(cases))
		}
		before := w.snapshot()
		for _, hc := range cases {
			r := hc.c.do(hc.method, hc.path, hc.body, hc.headers...)
			if r.status < 400 || r.status > 499 || (hc.want != 0 && r.status != hc.want) {
				t.Errorf("%s: %s %s: status %d (want %d, a 4xx); body %s", hc.what, hc.method, clipPath(hc.path), r.status, hc.want, clip(r.raw))
				continue
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.errCode() == "" || r.errMessage() == "" {
				t.Errorf("%s: %s %s: not a JSON error (%s): %s", hc.what, hc.method, clipPath(hc.path), ct, clip(r.raw))
			}
		}
		w.sameState(before)
		t.Logf("%d hostile requests", len(cases))
	})
}

func clipPath(p string) string {
	if len(p) > 120 {
		return p[:120] + "…"
	}
	return p
}

// hostileBodies are bodies no route accepts, with the status they get; each
// is built from a route's valid body.
func hostileBodies(valid map[string]any) []struct {
	what string
	body rawBody
	ct   string // Content-Type; "" sends application/json
	enc  string // Content-Encoding
	want int
} {
	good, _ := json.Marshal(valid)
	first := ""
	for k := range valid {
		if first == "" || k < first {
			first = k
		}
	}
	wrongTypes := map[string]any{}
	huge := map[string]any{}
	for k, v := range valid {
		huge[k] = json.Number("1e400")
		switch v.(type) {
		case string:
			wrongTypes[k] = 12345
		case float64, int:
			wrongTypes[k] = "12"
		case bool:
			wrongTypes[k] = "yes"
		case []any, []string:
			wrongTypes[k] = map[string]any{"a": 1}
		default:
			wrongTypes[k] = "object"
		}
	}
	wt, _ := json.Marshal(wrongTypes)
	hg, _ := json.Marshal(huge)
	firstVal, _ := json.Marshal(valid[first])
	dup := `{"` + first + `":` + string(firstVal) + `,` + string(good[1:])
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	var u16 []byte
	for _, c := range utf16.Encode([]rune(string(good))) {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	type hb = struct {
		what string
		body rawBody
		ct   string
		enc  string
		want int
	}
	return []hb{
		{"malformed JSON", rawBody(`{"` + first + `":`), "", "", 400},
		{"not JSON at all", rawBody(`hello`), "", "", 400},
		{"empty body", rawBody(``), "", "", 400},
		{"whitespace body", rawBody(" \n\t "), "", "", 400},
		{"array instead of object", rawBody(`[` + string(good) + `]`), "", "", 400},
		{"string instead of object", rawBody(`"` + first + `"`), "", "", 400},
		{"null", rawBody(`null`), "", "", 400},
		{"number", rawBody(`42`), "", "", 400},
		{"wrong types", rawBody(wt), "", "", 400},
		{"huge numbers", rawBody(hg), "", "", 400},
		{"deep nesting 10k", rawBody(`{"` + first + `":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`), "", "", 400},
		{"deep nesting 10k objects", rawBody(strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)), "", "", 400},
		{"2 MiB body", rawBody(`{"` + first + `":"` + strings.Repeat("a", 2<<20) + `"}`), "", "", 413},
		{"invalid UTF-8", rawBody(`{"` + first + `":"\xff\xfe"}`), "", "", 400},
		{"raw NUL in a string", rawBody(`{"` + first + `":"a` + "\x00" + `"}`), "", "", 400},
		{"escaped NUL", rawBody(`{"` + first + `":"a\u0000"}`), "", "", 400},
		{"lone surrogate and NUL", rawBody(`{"` + first + `":"\ud800\u0000"}`), "", "", 400},
		{"duplicated key", rawBody(dup), "", "", 400},
		{"unknown key", rawBody(`{"no_such_field":1,` + string(good[1:])), "", "", 400},
		{"trailing garbage", rawBody(string(good) + "x"), "", "", 400},
		{"two values", rawBody(string(good) + " {}"), "", "", 400},
		{"byte order mark", rawBody("\xef\xbb\xbf" + string(good)), "", "", 400},
		{"UTF-16 body", rawBody(u16), "", "", 400},
		{"gzip body", rawBody(gz.Bytes()), "", "gzip", 400},
		{"text/plain", rawBody(good), "text/plain", "", 415},
		{"form encoded", rawBody("a=1&b=2"), "application/x-www-form-urlencoded", "", 415},
		{"multipart", rawBody("--x--"), "multipart/form-data; boundary=x", "", 415},
		{"garbage Content-Type", rawBody(good), ";;;", "", 415},
		{"JSON in UTF-16 by charset", rawBody(good), "application/json; charset=utf-16", "", 415},
	}
}

func (w *world) hostileCases() []hostile {
	var cs []hostile
	add := func(h hostile) { cs = append(cs, h) }

	// Bodies: every route that reads one, with each hostile body.
	for _, bc := range w.bodyRoutes() {
		for _, hb := range hostileBodies(bc.body) {
			hdr := []string{}
			if hb.ct != "" {
				hdr = append(hdr, "Content-Type", hb.ct)
			}
			if hb.enc != "" {
				hdr = append(hdr, "Content-Encoding", hb.enc)
			}
			add(hostile{"body: " + hb.what, bc.c, bc.method, bc.path, hb.body, hdr, hb.want})
		}
	}

	// Path ids on every route with one, and methods on every route.
	for _, rt := range w.routes() {
		if n := strings.Count(rt.Path, "{"); n > 0 {
			for _, bad := range []string{"%ff", "%00", "..%2f..%2fetc%2fpasswd", "%27%20OR%201=1--", strings.Repeat("a", 4000)} {
				add(hostile{"path id " + bad[:min(len(bad), 12)], w.c, rt.Method, w.pathWith(rt.Path, -1, bad), w.validBody(rt.Method, rt.Path), nil, 404})
			}
		}
		if rt.Method != "DELETE" && strings.HasPrefix(rt.Path, "/api/") {
			add(hostile{"method DELETE", w.c, "DELETE", w.pathWith(rt.Path, -1, "00000000-0000-7000-8000-000000000000"), nil, nil, 0})
		}
		add(hostile{"method BREW", w.c, "BREW", w.pathWith(rt.Path, -1, "x"), nil, nil, 0})
	}

	// Query parameters.
	for _, q := range []string{
		"line_id=%ff", "channel_id=%00", "operator_id='--", "offered_to=" + strings.Repeat("9", 100), "status=%00", "status=bogus",
		"from=yesterday", "to=%ff", "limit=0", "limit=201", "limit=-1", "limit=99999999999999999999999", "limit=1e3", "cursor=%00",
		"cursor=" + strings.Repeat("A", 3000), "line_id=%zz", "a=1;b=2", "%ff=1", "x=" + strings.Repeat("%00", 100),
	} {
		add(hostile{"query " + q[:min(len(q), 20)], w.c, "GET", "/api/v1/dialogs?" + q, nil, nil, 400})
	}
	add(hostile{"query after", w.c, "GET", "/api/v1/dialogs/" + w.dialog + "/messages?after=%ff", nil, nil, 400})
	add(hostile{"query limit", w.c, "GET", "/api/v1/dialogs/" + w.dialog + "/messages?limit=1001", nil, nil, 400})
	add(hostile{"query q long", w.c, "GET", "/api/v1/transfer-targets?q=" + strings.Repeat("a", 100_000), nil, nil, 400})
	add(hostile{"query q NUL", w.c, "GET", "/api/v1/transfer-targets?q=%00", nil, nil, 400})
	add(hostile{"query on ws", w.c, "GET", "/api/v1/ws?token=%00", nil, nil, 400})

	// Credentials: bad Authorization headers and cookie values.
	anon := w.anon()
	for _, route := range [][2]string{{"GET", "/api/v1/me"}, {"GET", "/api/v1/lines/" + w.line}, {"POST", "/api/v1/lines"}, {"GET", "/api/v1/ws"}} {
		for _, hdr := range [][]string{
			{"Authorization", "Bearer"},
			{"Authorization", "Bearer "},
			{"Authorization", "Basic YWRtaW46YWRtaW4="},
			{"Authorization", "Bearer \xff\xfe\xfd"},
			{"Authorization", "Bearer a b c"},
			{"Authorization", "Bearer " + strings.Repeat("x", 64<<10)},
			{"Authorization", "bearer olt_" + strings.Repeat("0", 40)},
			{"Cookie", "openlines_session=%ff%00"},
			{"Cookie", "openlines_session="},
			{"Cookie", `openlines_session="ols_quoted"`},
			{"Cookie", "openlines_session=" + strings.Repeat("z", 8<<10)},
			{"Cookie", ";;;;=;="},
			{"Cookie", "openlines_session=\xff\xfe"},
		} {
			add(hostile{"credentials " + hdr[0], anon, route[0], route[1], nil, hdr, 401})
		}
	}
	// Huge and odd headers, on a signed-in request that fails for its id.
	for _, hdr := range [][]string{
		{"X-Junk", strings.Repeat("j", 512<<10)},
		{"X-Request-Id", "<script>alert(1)</script>"},
		{"Accept-Language", strings.Repeat("ru-RU,", 10000)},
		{"Content-Type", "application/json; charset=\xff"},
		{"Origin", "null"},
	} {
		add(hostile{"header " + hdr[0], w.c, "GET", "/api/v1/lines/%ff", nil, hdr, 404})
	}
	// Ids inside bodies that are not ids: refused or not found, never a 500.
	for _, bad := range []string{"not-a-uuid", strings.ToUpper(w.op.ID), "00000000-0000-7000-8000-000000000000"} {
		add(hostile{"body id", w.c, "POST", "/api/v1/sessions/" + w.session + "/transfer", map[string]any{"user_id": bad}, nil, 0})
		add(hostile{"body id", w.c, "POST", "/api/v1/sessions/" + w.session + "/transfer", map[string]any{"line_id": bad}, nil, 0})
		add(hostile{"body id", w.c, "PATCH", "/api/v1/lines/" + w.line, map[string]any{"queue": []string{bad}}, nil, 0})
		add(hostile{"body id", w.c, "POST", "/api/v1/lines", map[string]any{"name": "Q", "queue": []string{bad}}, nil, 0})
	}
	// A browser's cross-origin write is refused whatever it carries.
	add(hostile{"cross-origin", w.c, "POST", "/api/v1/lines", map[string]any{"name": "Evil"}, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403})

	// Paths around the routes.
	for _, p := range []string{"/api/v1/lines/" + w.line + "/nope", "/api/v1/%ff", "/api/v2/lines", "/api/v1/lines/" + w.line + "%00", "/api/v1/LINES"} {
		add(hostile{"unknown path", w.c, "GET", p, nil, nil, 404})
	}
	return cs
}

// Requests that net/http itself refuses before any handler runs (a NUL in
// a header or in the request line, headers over 1 MiB, a bad
// Content-Length) get its plain-text 400 or 431: no handler of ours can
// make those JSON. They are 4xx all the same, and so is what the handler
// gets of a broken chunked body. A path that is not clean (//, /./, /../)
// is redirected by ServeMux to its clean form (307, with ServeMux's small
// HTML body), never served as another route.
func TestHostileBeforeTheHandler(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		addr := strings.TrimPrefix(h.srv.URL, "http://")
		for _, c := range []struct {
			raw  string
			want int
			json bool
		}{
			{"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, false},
			{"GET /api/v1/me\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, false},
			{"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", 431, false},
			{"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, false},
			{"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n", 400, true},
			{"GET /api/v1/lines/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", 401, true},
			{"GET http://elsewhere.example/api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n", 401, true},
		} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(conn, c.raw)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%.60q: %v", c.raw, err)
			}
			body, _ := io.ReadAll(resp.Body)
			conn.Close()
			isJSON := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && bytes.Contains(body, []byte(`"error"`))
			if resp.StatusCode != c.want || isJSON != c.json {
				t.Errorf("%.60q: %d %s %q; want %d (JSON %v)", c.raw, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.want, c.json)
			}
		}
		c := *h.c.hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		for path, clean := range map[string]string{"/api/v1//lines": "/api/v1/lines", "/api/v1/lines/../me": "/api/v1/me", "/api/v1/./me": "/api/v1/me"} {
			req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != clean {
				t.Errorf("GET %s: %d to %q, want 307 to %s", path, resp.StatusCode, resp.Header.Get("Location"), clean)
			}
		}
	})
}
