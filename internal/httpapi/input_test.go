package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/web"
)

// world is a workspace holding a record for every kind of path id, so that
// every route can be called for real.
type world struct {
	*harness
	op      user.User // a manager
	line    string    // "Support", with the administrator in its queue
	channel string
	dialog  string // an open dialog, its session offered to the administrator
	session string
	rated   string // a finished dialog whose session waits for a rating
	token   string // its rating token
	apiTok  string // the id of an API token of the administrator
	absence string // an absence of op
	key     string // a key of channel
	role    string // a custom role
	team    string // a team of the administrator and op
	file    string // a file the administrator sent into rated
	answer  string // a quick answer
	section string // its section
	message string // a message of the rated dialog
}

func newWorld(t *testing.T, engine string) *world {
	t.Helper()
	h := newHarness(t, engine)
	w := &world{harness: h}
	w.op = h.user(h.ws.ID, "op@acme.test", user.Manager, false)
	// A queue time of 12 hours: no offer times out while a test runs.
	w.line = h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Support", "queue": []string{h.admin.ID}, "queue_time": 43200}).
		want(http.StatusCreated).id()
	w.channel = h.c.createChannel(w.line)
	w.key = h.c.do("POST", "/api/v1/channels/"+w.channel+"/keys", nil).want(http.StatusCreated).id()
	h.c.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
	offered := func(s map[string]any) bool { return len(offeredTo(s)) == 1 }

	w.rated = h.c.newDialog(w.channel, "cust-rated")
	sid := str(waitSession(t, h.c, w.rated, offered), "id")
	h.c.do("POST", "/api/v1/sessions/"+sid+"/take", nil).want(http.StatusOK)
	w.file = str(h.c.do("POST", "/api/v1/dialogs/"+w.rated+"/files?name=a.png", rawBody(pngBytes)).want(http.StatusCreated).json, "attachment", "id")
	h.c.do("POST", "/api/v1/sessions/"+sid+"/finish", nil).want(http.StatusOK)
	for _, m := range h.c.messages(w.rated) {
		if m["kind"] == "rating_request" {
			w.token = str(m, "rating_token")
		}
	}
	if w.token == "" {
		t.Fatal("no rating token")
	}
	w.dialog = h.c.newDialog(w.channel, "cust-open")
	w.session = str(waitSession(t, h.c, w.dialog, offered), "id")
	w.apiTok = str(h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "ci"}).want(http.StatusCreated).json, "token", "id")
	w.absence = h.c.do("POST", "/api/v1/users/"+w.op.ID+"/absences", map[string]any{
		"kind": "other", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T18:00:00Z"}).want(http.StatusCreated).id()
	w.role = str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Supervisor", "permissions": map[string]any{"dialogs.view": "team"}}).want(http.StatusCreated).json, "key")
	w.team = h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front", "members": []any{
		map[string]any{"user_id": h.admin.ID, "head": true}, map[string]any{"user_id": w.op.ID}}}).want(http.StatusCreated).id()
	w.section = ids(t, h.c.do("GET", "/api/v1/quick-answer-sections", nil).want(http.StatusOK).json, "sections")[0]
	w.answer = h.c.do("POST", "/api/v1/quick-answers", map[string]any{"text": "Hello!", "section_id": w.section}).want(http.StatusCreated).id()
	w.message = str(h.c.messages(w.rated)[0], "id")
	return w
}

// snapshot is what the workspace holds, read through the API: compared
// before and after a run of refused requests, it shows that none of them
// wrote anything.
func (w *world) snapshot() map[string]string {
	w.t.Helper()
	c := w.c
	s := map[string]string{}
	raw := func(key, path string) reply {
		r := c.do("GET", path, nil).want(http.StatusOK)
		s[key] = string(r.raw)
		return r
	}
	raw("workspace", "/api/v1/workspace")
	raw("tokens", "/api/v1/tokens")
	for _, id := range ids(w.t, raw("users", "/api/v1/users").json, "users") {
		raw("absences "+id, "/api/v1/users/"+id+"/absences")
	}
	for _, id := range ids(w.t, raw("lines", "/api/v1/lines").json, "lines") {
		raw("channels "+id, "/api/v1/lines/"+id+"/channels")
	}
	for _, d := range objects(w.t, c.do("GET", "/api/v1/dialogs?limit=200", nil).want(http.StatusOK).json, "dialogs") {
		var msgs []string
		for _, m := range objects(w.t, c.do("GET", "/api/v1/dialogs/"+str(d, "id")+"/messages?limit=1000", nil).want(http.StatusOK).json, "messages") {
			msgs = append(msgs, str(m, "id"))
		}
		s["dialog "+str(d, "id")] = fmt.Sprintf("%s %s rating=%v %v", str(d, "status"), str(d, "session", "status"), get(d, "session", "rating"), msgs)
	}
	return s
}

// sameState fails the test when the workspace changed since before.
func (w *world) sameState(before map[string]string) {
	w.t.Helper()
	after := w.snapshot()
	if reflect.DeepEqual(before, after) {
		return
	}
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if before[k] != after[k] {
			w.t.Errorf("%s changed:\nbefore %s\nafter  %s", k, clip([]byte(before[k])), clip([]byte(after[k])))
		}
	}
	w.t.FailNow()
}

// bodyCase is a route called with a valid JSON body.
type bodyCase struct {
	c            *client
	method, path string
	body         map[string]any
}

// bodyRoutes are the routes that read a JSON body, each with a body it
// would accept.
func (w *world) bodyRoutes() []bodyCase {
	lineJSON := w.c.do("GET", "/api/v1/lines/"+w.line, nil).want(http.StatusOK).json
	newLine := copyJSON(lineJSON)
	newLine["name"] = "Billing"
	user := map[string]any{"email": "new@acme.test", "name": "New", "password": "a good long password", "role": "manager", "locale": "en"}
	text := map[string]any{"text": "Hello"}
	return []bodyCase{
		{w.anon(), "POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": testPassword}},
		{w.c, "POST", "/api/v1/tokens", map[string]any{"name": "deploy"}},
		{w.c, "PATCH", "/api/v1/workspace", map[string]any{"name": "Acme", "plan": "enterprise"}},
		{w.c, "POST", "/api/v1/users", user},
		{w.c, "PATCH", "/api/v1/users/" + w.op.ID, user},
		{w.c, "POST", "/api/v1/lines", newLine},
		{w.c, "PATCH", "/api/v1/lines/" + w.line, lineJSON},
		{w.c, "DELETE", "/api/v1/lines/" + w.line, map[string]any{"confirm": "Support"}},
		{w.c, "POST", "/api/v1/lines/" + w.line + "/channels", map[string]any{"type": "api", "name": "shop"}},
		{w.c, "POST", "/api/v1/channels/" + w.channel + "/messages", map[string]any{
			"customer": map[string]any{"external_id": "cust-new", "name": "Newcomer"},
			"message":  map[string]any{"external_id": "m-new", "text": "Hi there"}}},
		{w.c, "POST", "/api/v1/channels/" + w.channel + "/typing", map[string]any{"customer": map[string]any{"external_id": "cust-open"}}},
		{w.c, "POST", "/api/v1/dialogs/" + w.dialog + "/messages", text},
		{w.c, "POST", "/api/v1/dialogs/" + w.dialog + "/notes", text},
		{w.c, "PUT", "/api/v1/me/status", map[string]any{"status": "away"}},
		{w.c, "POST", "/api/v1/users/" + w.op.ID + "/absences", map[string]any{
			"kind": "lunch", "starts_at": "2031-01-01T12:00:00Z", "ends_at": "2031-01-01T13:00:00Z", "note": "back soon"}},
		{w.c, "POST", "/api/v1/sessions/" + w.session + "/transfer", map[string]any{"user_id": w.op.ID, "line_id": w.line}},
		{w.c, "POST", "/api/v1/sessions/" + w.session + "/vote", map[string]any{"score": 5, "comment": "fine"}},
		{w.anon(), "POST", "/api/v1/ratings/" + w.token, map[string]any{"value": 1, "comment": "thanks"}},
	}
}

// copyJSON deep-copies a decoded JSON value.
func copyJSON(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// stringLeaves calls visit with a setter for every string in v, and the
// field an error about it names: its JSON path without array indexes.
func stringLeaves(v any, field string, visit func(field string, set func(string))) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f := k
			if field != "" {
				f = field + "." + k
			}
			if _, ok := x[k].(string); ok {
				visit(f, func(bad string) { x[k] = bad })
				continue
			}
			stringLeaves(x[k], f, visit)
		}
	case []any:
		for i := range x {
			if _, ok := x[i].(string); ok {
				visit(field, func(bad string) { x[i] = bad })
				continue
			}
			stringLeaves(x[i], field, visit)
		}
	}
}

// 1. A NUL or another C0 control in any string of any body is refused with
// 400 naming the field, before anything is written; tab, CR, LF and DEL are
// text (a NUL once saved in a welcome text broke every new dialog of its
// line on PostgreSQL).
func TestControlCharactersRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		before := w.snapshot()
		n := 0
		for _, bc := range w.bodyRoutes() {
			var fields []string
			stringLeaves(bc.body, "", func(field string, _ func(string)) { fields = append(fields, field) })
			for i := range fields {
				for _, bad := range []string{"a\x00b", "\x01", "esc\x1b[0m"} {
					body := copyJSON(bc.body)
					j := 0
					stringLeaves(body, "", func(_ string, set func(string)) {
						if j == i {
							set(bad)
						}
						j++
					})
					r := bc.c.do(bc.method, bc.path, body).wantErr(http.StatusBadRequest, "invalid")
					if r.errField() != fields[i] || !strings.Contains(r.errMessage(), "control character") {
						t.Fatalf("%s %s with %q in %s: field %q, message %q", bc.method, bc.path, bad, fields[i], r.errField(), r.errMessage())
					}
					n++
				}
			}
		}
		// A key is text too.
		r := w.c.do("PATCH", "/api/v1/lines/"+w.line, rawBody(`{"working_hours":{"week":{"mo\u0000n":[]}}}`)).wantErr(http.StatusBadRequest, "invalid")
		if r.errField() != "working_hours.week" {
			t.Fatalf("NUL in a key: field %q", r.errField())
		}
		if n < 150 {
			t.Fatalf("only %d refused requests; the body routes lost fields", n)
		}
		w.sameState(before)

		// Nothing was written: the line still greets new customers, the
		// token still takes its rating.
		welcome := str(w.c.do("GET", "/api/v1/lines/"+w.line, nil).json, "welcome_text")
		d := str(w.c.inbound(w.channel, "cust-after", "m-after", "Hello after").want(http.StatusCreated).json, "dialog_id")
		if !hasAuto(w.c.messages(d), welcome) {
			t.Fatalf("no welcome %q in %v", welcome, w.c.messages(d))
		}
		w.anon().do("POST", "/api/v1/ratings/"+w.token, map[string]any{"value": 1}).want(http.StatusOK)

		// Tab, CR, LF and DEL are text, stored and sent as they are.
		crlf := "Hello,\r\n\tan operator will answer \x7f soon."
		w.c.do("PATCH", "/api/v1/lines/"+w.line, map[string]any{"welcome_text": crlf}).want(http.StatusOK)
		d = str(w.c.inbound(w.channel, "cust-crlf", "m-crlf", "Windows\r\ntext").want(http.StatusCreated).json, "dialog_id")
		if !hasAuto(w.c.messages(d), crlf) {
			t.Fatalf("CRLF welcome not sent as it is: %v", w.c.messages(d))
		}
	})
}

func hasAuto(msgs []map[string]any, text string) bool {
	for _, m := range msgs {
		if m["kind"] == "auto" && m["text"] == text {
			return true
		}
	}
	return false
}

// pathWith fills a route pattern's wildcards: bad in wildcard i (or in all
// when i < 0), the world's real record elsewhere.
func (w *world) pathWith(pattern string, i int, bad string) string {
	real := map[string]string{"token": w.token, "absence_id": w.absence, "key_id": w.key}
	parts := strings.Split(pattern, "/")
	k := 0
	for j, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		v := bad
		if i >= 0 && i != k {
			if v = real[strings.Trim(p, "{}")]; v == "" {
				v = w.realID(parts[j-1])
			}
		}
		parts[j] = v
		k++
	}
	return strings.Join(parts, "/")
}

// realID is a record of the world for the collection before a path id.
func (w *world) realID(collection string) string {
	switch collection {
	case "tokens":
		return w.apiTok
	case "users":
		return w.op.ID
	case "lines":
		return w.line
	case "channels":
		return w.channel
	case "dialogs":
		return w.dialog
	case "sessions":
		return w.session
	case "roles":
		return w.role
	case "teams":
		return w.team
	case "files":
		return w.file
	case "quick-answers":
		return w.answer
	case "quick-answer-sections":
		return w.section
	case "messages":
		return w.message
	}
	w.t.Fatalf("no record for /%s/{id}", collection)
	return ""
}

// validBody is a body a route would accept, so that a request with an
// unknown id gets as far as looking it up; nil for routes without one.
func (w *world) validBody(method, pattern string) any {
	switch method + " " + pattern {
	case "PATCH /api/v1/users/{id}", "PATCH /api/v1/lines/{id}", "PATCH /api/v1/roles/{id}", "PATCH /api/v1/teams/{id}", "PATCH /api/v1/quick-answer-sections/{id}":
		return map[string]any{"name": "Renamed"}
	case "POST /api/v1/messages/{id}/quick-answer":
		return map[string]any{}
	case "DELETE /api/v1/lines/{id}":
		return map[string]any{"confirm": "Support"}
	case "POST /api/v1/lines/{id}/channels":
		return map[string]any{"type": "api"}
	case "POST /api/v1/channels/{id}/messages":
		return map[string]any{"customer": map[string]any{"external_id": "c"}, "message": map[string]any{"external_id": "m", "text": "hi"}}
	case "POST /api/v1/channels/{id}/typing":
		return map[string]any{"customer": map[string]any{"external_id": "cust-open"}}
	case "POST /api/v1/dialogs/{id}/messages", "POST /api/v1/dialogs/{id}/notes":
		return map[string]any{"text": "hi"}
	case "POST /api/v1/users/{id}/absences":
		return map[string]any{"kind": "lunch", "starts_at": "2031-01-01T12:00:00Z", "ends_at": "2031-01-01T13:00:00Z"}
	case "POST /api/v1/sessions/{id}/transfer":
		return map[string]any{"line_id": w.line}
	case "POST /api/v1/sessions/{id}/vote":
		return map[string]any{"score": 5}
	case "PATCH /api/v1/quick-answers/{id}":
		return map[string]any{"title": "Renamed"}
	case "POST /api/v1/ratings/{token}":
		return map[string]any{"value": 1}
	}
	return nil
}

// routes lists the server's registered routes.
func (w *world) routes() []httpapi.Route {
	return httpapi.New(httpapi.Config{Store: w.st}).Routes()
}

// 2. A path value that is not a well-formed id (or rating token) is a
// record that does not exist: 404 in JSON before it reaches SQL, on every
// route with a path id; so is a well-formed id that is unknown.
func TestMalformedPathIDs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		before := w.snapshot()
		unknown := uuid.Must(uuid.NewV7()).String()
		malformed := []string{"%ff", "%00", "x%00y", "%C3%28", "not-a-uuid", "%20", strings.ToUpper(w.line), unknown[:35], unknown + "0", "%7B" + unknown + "%7D"}
		n := 0
		for _, rt := range w.routes() {
			wild := strings.Count(rt.Path, "{")
			for i := 0; i < wild; i++ {
				for _, bad := range append(malformed, unknown) {
					if bad == "not-a-uuid" && strings.Contains(rt.Path, "{token}") {
						continue // a well-formed token, unknown: 404 by the store, below
					}
					path := w.pathWith(rt.Path, i, bad)
					w.c.do(rt.Method, path, w.validBody(rt.Method, rt.Path)).wantErr(http.StatusNotFound, "not_found")
					n++
				}
			}
		}
		if n < 17*len(malformed) {
			t.Fatalf("only %d requests: the routes with path ids were not all found", n)
		}
		// Rating tokens: well-formed but unknown, or not a token at all.
		for _, bad := range []string{"not-a-token", unknown, "%ff", "%00", strings.Repeat("a", 65), "a.b"} {
			w.anon().do("POST", "/api/v1/ratings/"+bad, map[string]any{"value": 1}).wantErr(http.StatusNotFound, "not_found")
		}
		w.sameState(before)
	})
}

// 2. A query filter that is not a well-formed id, cursor or text is refused
// with 400 naming the parameter; a well-formed unknown id filters to nothing.
func TestMalformedQueryValues(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		unknown := uuid.Must(uuid.NewV7()).String()
		forged := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, c := range []struct{ path, field string }{
			{"/api/v1/dialogs?line_id=%ff", "line_id"},
			{"/api/v1/dialogs?line_id=%00", "line_id"},
			{"/api/v1/dialogs?line_id=not-a-uuid", "line_id"},
			{"/api/v1/dialogs?channel_id=%ff", "channel_id"},
			{"/api/v1/dialogs?operator_id=" + strings.ToUpper(w.admin.ID), "operator_id"},
			{"/api/v1/dialogs?offered_to=x%00", "offered_to"},
			{"/api/v1/dialogs?cursor=%ff", "cursor"},
			{"/api/v1/dialogs?cursor=***", "cursor"},
			{"/api/v1/dialogs?cursor=" + forged("1:\x00"), "cursor"},
			{"/api/v1/dialogs?cursor=" + forged("1:\xff"), "cursor"},
			{"/api/v1/dialogs?cursor=" + forged("1:not-an-id"), "cursor"},
			{"/api/v1/dialogs?status=%00", "status"},
			{"/api/v1/dialogs?from=%ff", "from"},
			{"/api/v1/dialogs?limit=%00", "limit"},
			{"/api/v1/dialogs/" + w.dialog + "/messages?after=%ff", "after"},
			{"/api/v1/dialogs/" + w.dialog + "/messages?after=not-a-uuid", "after"},
			{"/api/v1/dialogs/" + w.dialog + "/messages?after=" + unknown, "after"},
			{"/api/v1/transfer-targets?q=%00", "q"},
			{"/api/v1/transfer-targets?q=%ff", "q"},
			{"/api/v1/lines?anything=%01", "anything"},
			{"/api/v1/ws?x=%00", "x"},
			{"/api/v1/dialogs?line_id=%zz", ""},
			{"/api/v1/dialogs?a=1;b=2", ""},
			{"/api/v1/dialogs?%00=1", ""},
		} {
			r := w.c.do("GET", c.path, nil).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != c.field {
				t.Errorf("GET %s: field %q, want %q (%s)", c.path, r.errField(), c.field, r.errMessage())
			}
		}
		for _, q := range []string{"line_id=" + unknown, "channel_id=" + unknown, "operator_id=" + unknown, "offered_to=" + unknown, "line_id="} {
			r := w.c.dialogs(q).want(http.StatusOK)
			if n := len(objects(t, r.json, "dialogs")); (q == "line_id=") != (n > 0) {
				t.Errorf("GET /api/v1/dialogs?%s: %d dialogs", q, n)
			}
		}
		w.c.do("GET", "/api/v1/transfer-targets?q=%D0%90%D0%BD%D0%BD%D0%B0", nil).want(http.StatusOK)
	})
}

// 3b. A required time is required by its presence: absent or null is 400
// "required"; the zero time, when sent, is a time judged by the rules.
func TestAbsenceTimesByPresence(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		path := "/api/v1/users/" + w.op.ID + "/absences"
		zero, end := "0001-01-01T00:00:00Z", "2020-01-01T00:00:00Z"
		for _, c := range []struct {
			body       map[string]any
			field, msg string
		}{
			{map[string]any{"kind": "other", "ends_at": end}, "starts_at", "is required"},
			{map[string]any{"kind": "other", "starts_at": nil, "ends_at": end}, "starts_at", "is required"},
			{map[string]any{"kind": "other", "starts_at": zero}, "ends_at", "is required"},
			{map[string]any{"kind": "other", "starts_at": zero, "ends_at": zero}, "ends_at", "after starts_at"}, // present: judged by the rules
			{map[string]any{"kind": "other", "starts_at": "soon", "ends_at": end}, "starts_at", "RFC 3339"},
		} {
			r := w.c.do("POST", path, c.body).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != c.field || !strings.Contains(r.errMessage(), c.msg) {
				t.Errorf("%v: field %q, message %q; want %q, %q", c.body, r.errField(), r.errMessage(), c.field, c.msg)
			}
		}
		a := w.c.do("POST", path, map[string]any{"kind": "other", "starts_at": zero, "ends_at": end}).want(http.StatusCreated).json
		if str(a, "starts_at") != zero {
			t.Fatalf("absence from the zero time: %v", a)
		}
	})
}

// 3c. An e-mail another account uses is a conflict (409, field email), on
// create and on change, and the refused change leaves the user as it was.
func TestEmailConflict(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		for _, r := range []reply{
			w.c.do("POST", "/api/v1/users", map[string]any{"email": "Op@Acme.test", "name": "Dup", "password": "a good long password", "role": "manager"}),
			w.c.do("PATCH", "/api/v1/users/"+w.op.ID, map[string]any{"email": "ADMIN@acme.test"}),
			w.c.do("PATCH", "/api/v1/users/"+w.op.ID, map[string]any{"email": "admin@acme.test", "name": "Renamed"}),
		} {
			if r.wantErr(http.StatusConflict, "conflict"); r.errField() != "email" {
				t.Fatalf("%s: field %q", r.req, r.errField())
			}
		}
		u := w.c.do("GET", "/api/v1/users/"+w.op.ID, nil).want(http.StatusOK).json
		if str(u, "email") != "op@acme.test" || str(u, "name") != "op" {
			t.Fatalf("user after refused changes: %v", u)
		}
		// Its own e-mail again is no conflict.
		w.c.do("PATCH", "/api/v1/users/"+w.op.ID, map[string]any{"email": "OP@acme.test"}).want(http.StatusOK)
	})
}

// 3a. With the browser application mounted, an unknown asset is a small
// HTML page and an unknown /api/ path keeps the JSON error.
func TestNotFoundPages(t *testing.T) {
	st := storetest.Open(t, store.SQLite, store.Options{})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: st, Web: web.Handler()}).Handler())
	defer srv.Close()
	c := &client{t: t, base: srv.URL, hc: srv.Client()}
	for _, p := range []string{"/assets/nope.js", "/assets/%ff", "/assets/index.html"} {
		r := c.do("GET", p, nil).want(http.StatusNotFound)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(r.raw), "<!doctype html>") {
			t.Errorf("GET %s: %s %s", p, ct, clip(r.raw))
		}
	}
	for _, p := range []string{"/api/v1/nope", "/api/v1/lines/x/y/z", "/api/"} {
		c.do("GET", p, nil).wantErr(http.StatusNotFound, "not_found")
	}
}

// A field's error carries a machine-readable reason with its parameters,
// so that a screen can word it in its own language and units.
func TestFieldErrorsHaveReasons(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		l := h.c.createLine("Support")
		r := h.c.do("PATCH", "/api/v1/lines/"+l, map[string]any{"queue_time": -5}).wantErr(http.StatusBadRequest, "invalid")
		if r.errField() != "queue_time" || str(r.json, "error", "reason") != "out_of_range" {
			t.Fatalf("queue_time: %s", r.raw)
		}
		params, _ := get(r.json, "error", "params").(map[string]any)
		if params["min"] != float64(1) || params["max"] != float64(43200) || params["value"] != float64(-5) {
			t.Fatalf("params: %v", params)
		}
		r = h.c.do("PATCH", "/api/v1/lines/"+l, map[string]any{"mode": "random"}).wantErr(http.StatusBadRequest, "invalid")
		if str(r.json, "error", "reason") != "not_one_of" || get(r.json, "error", "params", "allowed") == nil {
			t.Fatalf("mode: %s", r.raw)
		}
	})
}
