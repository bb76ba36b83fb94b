package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// 1. Sign-in: the cookie, /me, refused credentials and sign-out.
func TestLoginLogoutMe(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		anon := h.anon()
		anon.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")

		r := anon.do("POST", "/api/v1/auth/login", map[string]any{"email": "  Admin@ACME.test ", "password": testPassword}).want(http.StatusOK)
		var sess *http.Cookie
		for _, c := range r.cookies {
			if c.Name == httpapi.SessionCookie {
				sess = c
			}
		}
		if sess == nil {
			t.Fatalf("login set no %s cookie; headers %v", httpapi.SessionCookie, r.header)
		}
		if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure {
			t.Fatalf("cookie attributes: HttpOnly=%v SameSite=%v Path=%q Secure=%v; want HttpOnly, Lax, /, not Secure on plain HTTP",
				sess.HttpOnly, sess.SameSite, sess.Path, sess.Secure)
		}
		if !strings.HasPrefix(sess.Value, "ols_") || len(sess.Value) < 40 {
			t.Fatalf("cookie value %q is not a session secret", sess.Value)
		}
		if sess.MaxAge < 13*24*3600 || sess.MaxAge > 14*24*3600 {
			t.Fatalf("cookie Max-Age %d, want about 14 days", sess.MaxAge)
		}
		if str(r.json, "user", "id") != h.admin.ID || str(r.json, "user", "email") != "admin@acme.test" || str(r.json, "expires_at") == "" {
			t.Fatalf("login body %s", r.raw)
		}
		if bytes.Contains(r.raw, []byte("argon2")) || bytes.Contains(r.raw, []byte("password")) || bytes.Contains(r.raw, []byte(sess.Value)) {
			t.Fatalf("login body leaks a secret: %s", r.raw)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Request-Id") == "" {
			t.Fatalf("login response headers %v", r.header)
		}

		me := h.withCookie(sess.Value)
		m := me.do("GET", "/api/v1/me", nil).want(http.StatusOK)
		if str(m.json, "user", "id") != h.admin.ID || str(m.json, "workspace", "id") != h.ws.ID ||
			str(m.json, "workspace", "plan") != "enterprise" || get(m.json, "user", "server_admin") != true {
			t.Fatalf("me: %s", m.raw)
		}

		// Refusals all look the same and set no cookie.
		wrong := anon.do("POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": "not the password"}).
			wantErr(http.StatusUnauthorized, "unauthorized")
		msg := wrong.errMessage()
		for _, body := range []map[string]any{
			{"email": "nobody@acme.test", "password": testPassword},
			{"email": "not an e-mail", "password": testPassword},
			{"email": "admin@acme.test", "password": ""},
		} {
			r := anon.do("POST", "/api/v1/auth/login", body).wantErr(http.StatusUnauthorized, "unauthorized")
			if r.errMessage() != msg {
				t.Fatalf("login %v: message %q, want the same as for a wrong password (%q)", body, r.errMessage(), msg)
			}
			if len(r.cookies) != 0 || len(wrong.cookies) != 0 {
				t.Fatalf("a refused login set cookies")
			}
		}

		// Sign-out ends this session only.
		out := me.do("POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		cleared := false
		for _, c := range out.cookies {
			cleared = cleared || (c.Name == httpapi.SessionCookie && c.MaxAge < 0 && c.Value == "")
		}
		if !cleared {
			t.Fatalf("logout did not clear the cookie: %v", out.header["Set-Cookie"])
		}
		me.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		h.withCookie(sess.Value+"x").do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		h.c.do("GET", "/api/v1/me", nil).want(http.StatusOK) // the harness' own session lives on

		// The jar client signs out too, and then is anonymous.
		h.c.do("POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		h.c.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
	})
}

// 2. Cross-origin state changes by a browser are refused.
func TestCSRFCrossOriginRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Evil"},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").wantErr(http.StatusForbidden, "forbidden")
		if !strings.Contains(r.errMessage(), "cross-origin") {
			t.Fatalf("message %q does not say why", r.errMessage())
		}
		// An old browser sending only Origin is refused as well.
		h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Evil"}, "Origin", "https://evil.example").
			wantErr(http.StatusForbidden, "forbidden")
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Pwned"},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").wantErr(http.StatusForbidden, "forbidden")
		if got := h.c.lineIDs(); len(got) != 0 {
			t.Fatalf("a refused cross-origin request created lines %v", got)
		}
		if ws := h.c.do("GET", "/api/v1/workspace", nil).want(http.StatusOK); str(ws.json, "name") != "Acme" {
			t.Fatalf("workspace renamed by a refused request: %s", ws.raw)
		}

		// Reading cross-site is harmless and allowed; same-origin writes pass.
		h.c.do("GET", "/api/v1/lines", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").want(http.StatusOK)
		a := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Same"},
			"Origin", h.srv.URL, "Sec-Fetch-Site", "same-origin").want(http.StatusCreated).id()
		b := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Same 2"}, "Origin", h.srv.URL).want(http.StatusCreated).id()
		if got := h.c.lineIDs(); !slices.Equal(got, []string{a, b}) {
			t.Fatalf("lines %v, want %v", got, []string{a, b})
		}
	})
}

// 3. API tokens: shown once, usable as Bearer, revocable.
func TestBearerTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "CI"}).want(http.StatusCreated)
		secret := str(r.json, "secret")
		tokID := str(r.json, "token", "id")
		if !strings.HasPrefix(secret, "olt_") || len(secret) < 40 || tokID == "" || str(r.json, "token", "name") != "CI" ||
			str(r.json, "token", "user_id") != h.admin.ID {
			t.Fatalf("create token: %s", r.raw)
		}
		tc := h.bearer(secret)
		if me := tc.do("GET", "/api/v1/me", nil).want(http.StatusOK); str(me.json, "user", "id") != h.admin.ID {
			t.Fatalf("me by token: %s", me.raw)
		}
		tc.do("POST", "/api/v1/lines", map[string]any{"name": "By token"}).want(http.StatusCreated)

		list := h.c.do("GET", "/api/v1/tokens", nil).want(http.StatusOK)
		if got := ids(t, list.json, "tokens"); !slices.Equal(got, []string{tokID}) {
			t.Fatalf("tokens %v, want [%s]", got, tokID)
		}
		for _, leak := range []string{secret, strings.TrimPrefix(secret, "olt_"), user.HashSecret(secret)} {
			if bytes.Contains(list.raw, []byte(leak)) {
				t.Fatalf("the token list holds the secret or its hash: %s", list.raw)
			}
		}
		h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "  "}).wantErr(http.StatusBadRequest, "invalid")

		// Bad credentials: each is 401 and asks for a Bearer token.
		for _, auth := range []string{"Bearer olt_garbage", "Bearer " + secret + "x", "Basic YWRtaW46cHc=", "Bearer", "Bearer "} {
			r := h.anon().do("GET", "/api/v1/me", nil, "Authorization", auth).wantErr(http.StatusUnauthorized, "unauthorized")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("Authorization %q: WWW-Authenticate %q", auth, r.header.Get("WWW-Authenticate"))
			}
		}
		// A bad token is not rescued by a valid cookie.
		h.c.do("GET", "/api/v1/me", nil, "Authorization", "Bearer olt_garbage").wantErr(http.StatusUnauthorized, "unauthorized")

		// Another user's token cannot be revoked by the administrator's API.
		mgr := h.user(h.ws.ID, "mgr@acme.test", user.Manager, false)
		mgrSecret := "olt_manager-secret-for-the-test"
		mtok, err := h.st.CreateAPIToken(t.Context(), mgr, "mine", user.HashSecret(mgrSecret), nil)
		if err != nil {
			t.Fatal(err)
		}
		h.c.do("DELETE", "/api/v1/tokens/"+mtok.ID, nil).wantErr(http.StatusNotFound, "not_found")
		h.bearer(mgrSecret).do("GET", "/api/v1/me", nil).want(http.StatusOK)

		h.c.do("DELETE", "/api/v1/tokens/"+tokID, nil).want(http.StatusNoContent)
		tc.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		h.c.do("DELETE", "/api/v1/tokens/"+tokID, nil).wantErr(http.StatusNotFound, "not_found")
		if got := objects(t, h.c.do("GET", "/api/v1/tokens", nil).want(http.StatusOK).json, "tokens"); len(got) != 0 {
			t.Fatalf("tokens after revoking: %v", got)
		}
	})
}

// 4. The plan bounds active lines; only a server administrator changes it.
func TestPlanLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		first := h.c.createLine("First")
		r := h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "free"}).want(http.StatusOK)
		if str(r.json, "workspace", "plan") != "free" || get(r.json, "workspace", "line_limit") != 1.0 ||
			get(r.json, "workspace", "active_lines") != 1.0 || len(objectsOrEmpty(r.json, "deactivated_line_ids")) != 0 {
			t.Fatalf("set plan free: %s", r.raw)
		}
		r = h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Second"}).wantErr(http.StatusForbidden, "plan_limit")
		if msg := r.errMessage(); !strings.Contains(msg, "free") || !strings.Contains(msg, "1") {
			t.Fatalf("plan limit message %q names neither the plan nor its limit", msg)
		}
		if got := h.c.lineIDs(); !slices.Equal(got, []string{first}) {
			t.Fatalf("lines %v after a refused create", got)
		}
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "gold"}).wantErr(http.StatusBadRequest, "invalid")

		// An administrator who is not a server administrator may rename, not re-plan.
		h.user(h.ws.ID, "admin2@acme.test", user.Administrator, false)
		a2 := h.login("admin2@acme.test", testPassword)
		a2.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "enterprise"}).wantErr(http.StatusForbidden, "forbidden")
		a2.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Renamed", "plan": "enterprise"}).wantErr(http.StatusForbidden, "forbidden")
		ws := a2.do("GET", "/api/v1/workspace", nil).want(http.StatusOK)
		if str(ws.json, "plan") != "free" || str(ws.json, "name") != "Acme" || get(ws.json, "line_limit") != 1.0 {
			t.Fatalf("a refused PATCH changed the workspace: %s", ws.raw)
		}
		a2.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Renamed"}).want(http.StatusOK)

		// basic allows two; lowering to free deactivates the newer one.
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "basic"}).want(http.StatusOK)
		second := h.c.createLine("Second")
		r = h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Third"}).wantErr(http.StatusForbidden, "plan_limit")
		if msg := r.errMessage(); !strings.Contains(msg, "basic") || !strings.Contains(msg, "2") {
			t.Fatalf("plan limit message %q", msg)
		}
		r = h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "free"}).want(http.StatusOK)
		if got := get(r.json, "deactivated_line_ids"); len(got.([]any)) != 1 || got.([]any)[0] != second {
			t.Fatalf("deactivated %v, want [%s]", got, second)
		}
		if l := h.c.do("GET", "/api/v1/lines/"+second, nil).want(http.StatusOK); get(l.json, "active") != false {
			t.Fatalf("second line still active: %s", l.raw)
		}
		if l := h.c.do("GET", "/api/v1/lines/"+first, nil).want(http.StatusOK); get(l.json, "active") != true {
			t.Fatalf("the oldest line was deactivated: %s", l.raw)
		}
		h.c.do("PATCH", "/api/v1/lines/"+second, map[string]any{"active": true}).wantErr(http.StatusForbidden, "plan_limit")
		if got := h.c.lineIDs(); !slices.Equal(got, []string{first, second}) {
			t.Fatalf("lines %v: nothing may be deleted by a plan change", got)
		}
	})
}

func objectsOrEmpty(v any, path ...string) []any {
	a, _ := get(v, path...).([]any)
	return a
}

// invalidLineCase is one bad line request.
type invalidLineCase struct {
	name  string
	body  any    // map merged over {"name": "Bad"} for POST; rawBody as is
	field string // what the message must name
	patch bool   // also sent as a PATCH of an existing line
}

// 5. Every bad setting is refused with the field named, and nothing changes.
func TestLineSettingsInvalid(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		other, err := h.st.CreateWorkspace(t.Context(), "Other", workspace.Enterprise)
		if err != nil {
			t.Fatal(err)
		}
		stranger := h.user(other.ID, "stranger@other.test", user.Manager, false)
		base := h.c.createLine("Base")
		before := h.c.do("GET", "/api/v1/lines", nil).want(http.StatusOK).raw

		wh := func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return map[string]any{"working_hours": m}
		}
		week := func(day string, ivs ...[2]string) map[string]any {
			var list []map[string]string
			for _, iv := range ivs {
				list = append(list, map[string]string{"from": iv[0], "to": iv[1]})
			}
			return wh("week", map[string]any{day: list})
		}
		set := func(k string, v any) map[string]any { return map[string]any{k: v} }
		cases := []invalidLineCase{
			{"mode enum", set("mode", "random"), "mode", true},
			{"queue_time 0", set("queue_time", 0), "queue_time", false},
			{"queue_time 43201", set("queue_time", 43201), "queue_time", true},
			{"queue_time string", set("queue_time", "abc"), "queue_time", true},
			{"queue_time fraction", set("queue_time", 1.5), "queue_time", false},
			{"limit 0 while enabled", map[string]any{"limit_enabled": true, "limit": 0}, "limit", true},
			{"limit 1001", set("limit", 1001), "limit", false},
			{"limit 1001 while enabled", map[string]any{"limit_enabled": true, "limit": 1001}, "limit", false},
			{"limit_excludes enum", set("limit_excludes", "everything"), "limit_excludes", false},
			{"queue duplicate", set("queue", []string{h.admin.ID, h.admin.ID}), "queue", false},
			{"queue other workspace", set("queue", []string{stranger.ID}), "queue", true},
			{"queue unknown id", set("queue", []string{h.admin.ID, "no-such-user"}), "queue", false},
			{"queue empty id", set("queue", []string{""}), "queue", false},
			{"queue not an array", set("queue", "abc"), "queue", false},
			{"timezone Mars", wh("timezone", "Mars/Olympus"), "working_hours.timezone", false},
			{"timezone Local", wh("timezone", "Local"), "working_hours.timezone", true},
			{"timezone empty", wh("timezone", ""), "working_hours.timezone", false},
			{"interval 25:00", week("mon", [2]string{"25:00", "26:00"}), "working_hours.week.mon", false},
			{"interval 9:00", week("tue", [2]string{"9:00", "18:00"}), "working_hours.week.tue", false},
			{"interval to 24:30", week("tue", [2]string{"09:00", "24:30"}), "working_hours.week.tue", false},
			{"interval from after to", week("wed", [2]string{"18:00", "09:00"}), "working_hours.week.wed", false},
			{"interval from equals to", week("wed", [2]string{"10:00", "10:00"}), "working_hours.week.wed", false},
			{"intervals overlap", week("thu", [2]string{"12:00", "18:00"}, [2]string{"09:00", "13:00"}), "working_hours.week.thu", true},
			{"weekday funday", week("funday", [2]string{"09:00", "10:00"}), "working_hours.week", false},
			{"days_off bad", wh("days_off", []string{"someday"}), "working_hours.days_off", false},
			{"days_off twice", wh("days_off", []string{"sat", "sat"}), "working_hours.days_off", false},
			{"holiday 2026-02-30", wh("holidays", []string{"2026-02-30"}), "working_hours.holidays", true},
			{"holiday 13-01", wh("holidays", []string{"13-01"}), "working_hours.holidays", false},
			{"holiday tomorrow", wh("holidays", []string{"tomorrow"}), "working_hours.holidays", false},
			{"off_hours_rule enum", wh("off_hours_rule", "shout"), "working_hours.off_hours_rule", false},
			{"off_hours_text empty while used", wh("enabled", true, "off_hours_text", " "), "working_hours.off_hours_text", false},
			{"close_rule enum", set("close_rule", "maybe"), "close_rule", true},
			{"operator_data enum", set("operator_data", "anonymous"), "operator_data", false},
			{"operator_data hidden without name", set("operator_data", "hidden"), "operator_data_name", true},
			{"operator_data_avatar http", set("operator_data_avatar", "http://example.com/a.png"), "operator_data_avatar", false},
			{"welcome_text too long", set("welcome_text", strings.Repeat("w", 4001)), "welcome_text", true},
			{"welcome_text empty while on", set("welcome_text", ""), "welcome_text", false},
			{"no_answer_time 0", set("no_answer_time", 0), "no_answer_time", false},
			{"name empty", set("name", ""), "name", true},
			{"name blank", set("name", "   "), "name", false},
			{"name 201", set("name", strings.Repeat("n", 201)), "name", true},
			{"name not a string", set("name", 5), "name", false},
			{"active not a bool", set("active", "yes"), "active", true},
			{"new line inactive", set("active", false), "active", false},
			{"unknown field", set("colour", "red"), "colour", true},
			{"not JSON", rawBody(`name: Bad`), "JSON", true},
			{"invalid UTF-8", rawBody("{\"name\":\"Bad \xff\xfe\"}"), "UTF-8", true},
			{"two JSON values", rawBody(`{"name":"Bad"} {"name":"Worse"}`), "more than one JSON value", true},
			{"data after the value", rawBody(`{"name":"Bad"}}`), "after the JSON value", false},
			{"truncated", rawBody(`{"name":"Bad"`), "JSON", false},
			{"array body", rawBody(`[{"name":"Bad"}]`), "object", false},
			{"empty body", rawBody(``), "empty", true},
		}
		if len(cases) < 25 {
			t.Fatal("too few cases")
		}
		check := func(method, path string, c invalidLineCase, body any) {
			t.Helper()
			r := h.c.do(method, path, body).wantErr(http.StatusBadRequest, "invalid")
			if !strings.Contains(r.errMessage(), c.field) {
				t.Errorf("%s %s: message %q does not name %q", method, c.name, r.errMessage(), c.field)
			}
			// A bad value names its field in error.field too. (The exact
			// spelling for type errors is TestLineSettingsTypeErrorField's job.)
			if _, raw := body.(rawBody); !raw {
				if f := r.errField(); f != c.field && !strings.HasSuffix(f, "."+c.field) {
					t.Errorf("%s %s: error.field %q, want %q", method, c.name, f, c.field)
				}
			}
		}
		for _, c := range cases {
			body := c.body
			if m, ok := c.body.(map[string]any); ok {
				post := map[string]any{"name": "Bad"}
				for k, v := range m {
					post[k] = v
				}
				body = post
			}
			check("POST", "/api/v1/lines", c, body)
			if c.patch {
				check("PATCH", "/api/v1/lines/"+base, c, c.body)
			}
		}
		// A create without a name at all.
		check("POST", "/api/v1/lines", invalidLineCase{name: "no name", field: "name"}, map[string]any{"mode": "all"})

		after := h.c.do("GET", "/api/v1/lines", nil).want(http.StatusOK).raw
		if !bytes.Equal(before, after) {
			t.Fatalf("refused requests changed the lines:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// Type errors name the field as the API spells it, and whole-body errors
// read well.
func TestLineSettingsTypeErrorField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "X", "queue_time": "abc"}, "queue_time"},
			{map[string]any{"name": "X", "queue": []any{1}}, "queue"},
			{map[string]any{"name": "X", "working_hours": map[string]any{"timezone": 5}}, "working_hours.timezone"},
		} {
			r := h.c.do("POST", "/api/v1/lines", c.body).wantErr(http.StatusBadRequest, "invalid")
			if f, msg := r.errField(), r.errMessage(); f != c.field || !strings.HasPrefix(msg, c.field+": ") {
				t.Fatalf("%v: field %q message %q, want field %q", c.body, f, msg, c.field)
			}
		}
		r := h.c.do("POST", "/api/v1/lines", rawBody(`[{"name":"X"}]`)).wantErr(http.StatusBadRequest, "invalid")
		if msg := r.errMessage(); msg != "expected an object as the JSON body, got array" {
			t.Fatalf("array body: message %q", msg)
		}
		if len(h.c.lineIDs()) != 0 {
			t.Fatal("a refused create stored a line")
		}
	})
}

// Creating a user without several required fields reports the same one
// every time (the first in the order email, name, password, role).
func TestUserCreateMissingFieldOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		seen := map[string]int{}
		for range 20 {
			seen[h.c.do("POST", "/api/v1/users", map[string]any{}).wantErr(http.StatusBadRequest, "invalid").errField()]++
		}
		if seen["email"] != 20 {
			t.Fatalf("missing fields reported as %v, want email", seen)
		}
		if got := ids(t, h.c.do("GET", "/api/v1/users", nil).want(http.StatusOK).json, "users"); len(got) != 1 {
			t.Fatalf("users %v", got)
		}
	})
}

// 6. Inbound delivery is idempotent on the message's external id.
func TestInboundIdempotent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		lineID := h.c.createLine("Support")
		chr := h.c.do("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "api"}).want(http.StatusCreated)
		ch := chr.id()
		if str(chr.json, "type") != "api" || str(chr.json, "name") != "api" || str(chr.json, "line_id") != lineID || get(chr.json, "active") != true {
			t.Fatalf("channel: %s", chr.raw)
		}
		h.c.do("GET", "/api/v1/channels/"+ch, nil).want(http.StatusOK)
		if got := ids(t, h.c.do("GET", "/api/v1/lines/"+lineID+"/channels", nil).want(http.StatusOK).json, "channels"); !slices.Equal(got, []string{ch}) {
			t.Fatalf("channels %v", got)
		}

		msg := func(text string) map[string]any {
			return map[string]any{
				"customer": map[string]any{"external_id": "cust-1", "name": "Ann"},
				"message":  map[string]any{"external_id": "m-1", "text": text},
			}
		}
		path := "/api/v1/channels/" + ch + "/messages"
		r1 := h.c.do("POST", path, msg("Hello")).want(http.StatusCreated)
		r2 := h.c.do("POST", path, msg("Hello (retried, different text)")).want(http.StatusOK)
		for _, k := range []string{"dialog_id", "session_id", "message_id", "customer_id"} {
			if str(r1.json, k) == "" || str(r1.json, k) != str(r2.json, k) {
				t.Fatalf("%s: first %s, retry %s", k, r1.raw, r2.raw)
			}
		}
		if get(r1.json, "duplicate") != false || get(r2.json, "duplicate") != true {
			t.Fatalf("duplicate flags: %s / %s", r1.raw, r2.raw)
		}
		d := str(r1.json, "dialog_id")
		ms := h.c.chat(d)
		if len(ms) != 1 || str(ms[0], "text") != "Hello" || str(ms[0], "external_id") != "m-1" || str(ms[0], "direction") != "in" ||
			str(ms[0], "id") != str(r1.json, "message_id") {
			t.Fatalf("messages after a retried delivery: %v", ms)
		}
		dr := h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK)
		if str(dr.json, "status") != "queued" || str(dr.json, "line_id") != lineID || str(dr.json, "channel_id") != ch ||
			str(dr.json, "customer", "external_id") != "cust-1" || str(dr.json, "customer", "name") != "Ann" ||
			str(dr.json, "session", "id") != str(r1.json, "session_id") {
			t.Fatalf("dialog: %s", dr.raw)
		}

		// A new external id is a new message in the same dialog and session.
		m2 := msg("Second")
		m2["message"].(map[string]any)["external_id"] = "m-2"
		r3 := h.c.do("POST", path, m2).want(http.StatusCreated)
		if str(r3.json, "dialog_id") != d || str(r3.json, "session_id") != str(r1.json, "session_id") || str(r3.json, "message_id") == str(r1.json, "message_id") {
			t.Fatalf("second message: %s", r3.raw)
		}

		// Bad deliveries are refused and store nothing.
		bad := []struct {
			name, field string
			body        any
		}{
			{"no customer id", "customer.external_id", map[string]any{"message": map[string]any{"external_id": "b1", "text": "x"}}},
			{"no message id", "message.external_id", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"text": "x"}}},
			{"empty text", "message.text", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": "b2", "text": ""}}},
			{"blank text", "message.text", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": "b3", "text": " \n\t"}}},
			{"text over 32 KiB", "message.text", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": "b4", "text": strings.Repeat("x", 32*1024+1)}}},
			{"external id too long", "message.external_id", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": strings.Repeat("e", 257), "text": "x"}}},
			{"customer name too long", "customer.name", map[string]any{"customer": map[string]any{"external_id": "cust-1", "name": strings.Repeat("n", 201)}, "message": map[string]any{"external_id": "b5", "text": "x"}}},
			{"unknown field", "priority", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": "b6", "text": "x"}, "priority": 1}},
			{"text not a string", "text", map[string]any{"customer": map[string]any{"external_id": "cust-1"}, "message": map[string]any{"external_id": "b7", "text": 7}}},
		}
		for _, b := range bad {
			r := h.c.do("POST", path, b.body).wantErr(http.StatusBadRequest, "invalid")
			if !strings.Contains(r.errMessage(), b.field) {
				t.Errorf("%s: message %q does not name %s", b.name, r.errMessage(), b.field)
			}
		}
		// Exactly 32 KiB is accepted.
		ok := msg(strings.Repeat("y", 32*1024))
		ok["message"].(map[string]any)["external_id"] = "m-32k"
		h.c.do("POST", path, ok).want(http.StatusCreated)
		if ms := h.c.chat(d); len(ms) != 3 {
			t.Fatalf("%d messages, want 3 (m-1, m-2, m-32k)", len(ms))
		}
		if ds := ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(ds, []string{d}) {
			t.Fatalf("dialogs %v, want only %s", ds, d)
		}

		// Only api channels exist; unknown targets are 404.
		for _, body := range []any{map[string]any{"type": "telegram"}, map[string]any{}, map[string]any{"type": "API"}} {
			r := h.c.do("POST", "/api/v1/lines/"+lineID+"/channels", body).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != "type" {
				t.Fatalf("channel %v: field %q", body, r.errField())
			}
		}
		if got := ids(t, h.c.do("GET", "/api/v1/lines/"+lineID+"/channels", nil).want(http.StatusOK).json, "channels"); len(got) != 1 {
			t.Fatalf("channels %v after refused creates", got)
		}
		h.c.do("POST", "/api/v1/lines/no-such-line/channels", map[string]any{"type": "api"}).wantErr(http.StatusNotFound, "not_found")
		h.c.inbound("no-such-channel", "c", "e", "t").wantErr(http.StatusNotFound, "not_found")

		// An inactive line accepts nothing (409) and stores nothing.
		h.c.do("PATCH", "/api/v1/lines/"+lineID, map[string]any{"active": false}).want(http.StatusOK)
		h.c.inbound(ch, "cust-2", "m-off", "anyone?").wantErr(http.StatusConflict, "conflict")
		if ds := ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"); len(ds) != 1 {
			t.Fatalf("a refused delivery created a dialog: %v", ds)
		}
	})
}

// 7. No request sees another workspace's records.
func TestWorkspaceIsolation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		aLine := h.c.createLine("A line")
		aCh := h.c.createChannel(aLine)
		aDlg := h.c.newDialog(aCh, "a-cust")
		_, bAdmin, b := h.workspace("Beta", workspace.Enterprise, "admin@beta.test", false)
		bLine := b.createLine("B line")
		bCh := b.createChannel(bLine)
		bDlg := b.newDialog(bCh, "b-cust")

		nf := func(method, path string, body any) {
			t.Helper()
			b.do(method, path, body).wantErr(http.StatusNotFound, "not_found")
		}
		nf("GET", "/api/v1/lines/"+aLine, nil)
		nf("PATCH", "/api/v1/lines/"+aLine, map[string]any{"name": "Taken over"})
		nf("DELETE", "/api/v1/lines/"+aLine, map[string]any{"confirm": "A line"})
		nf("GET", "/api/v1/lines/"+aLine+"/channels", nil)
		nf("POST", "/api/v1/lines/"+aLine+"/channels", map[string]any{"type": "api"})
		nf("GET", "/api/v1/channels/"+aCh, nil)
		nf("POST", "/api/v1/channels/"+aCh+"/messages", map[string]any{
			"customer": map[string]any{"external_id": "intruder"}, "message": map[string]any{"external_id": "x1", "text": "hi"}})
		nf("GET", "/api/v1/dialogs/"+aDlg, nil)
		nf("GET", "/api/v1/dialogs/"+aDlg+"/messages", nil)
		nf("POST", "/api/v1/dialogs/"+aDlg+"/messages", map[string]any{"text": "hello from B"})
		nf("GET", "/api/v1/users/"+h.admin.ID, nil)
		nf("PATCH", "/api/v1/users/"+h.admin.ID, map[string]any{"name": "Owned"})
		nf("POST", "/api/v1/users/"+h.admin.ID+"/deactivate", nil)

		if got := b.lineIDs(); !slices.Equal(got, []string{bLine}) {
			t.Fatalf("B's lines %v, want [%s]", got, bLine)
		}
		if got := ids(t, b.do("GET", "/api/v1/users", nil).want(http.StatusOK).json, "users"); !slices.Equal(got, []string{bAdmin.ID}) {
			t.Fatalf("B's users %v, want [%s]", got, bAdmin.ID)
		}
		if got := ids(t, b.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(got, []string{bDlg}) {
			t.Fatalf("B's dialogs %v, want [%s]", got, bDlg)
		}
		for _, q := range []string{"line_id=" + aLine, "channel_id=" + aCh, "operator_id=" + h.admin.ID} {
			if got := ids(t, b.dialogs(q).want(http.StatusOK).json, "dialogs"); len(got) != 0 {
				t.Fatalf("B's dialogs filtered by A's %s: %v", q, got)
			}
		}
		if ws := b.do("GET", "/api/v1/workspace", nil).want(http.StatusOK); str(ws.json, "id") == h.ws.ID {
			t.Fatal("B sees A's workspace")
		}

		// And the other way round; A's records are untouched.
		h.c.do("GET", "/api/v1/dialogs/"+bDlg, nil).wantErr(http.StatusNotFound, "not_found")
		if got := h.c.lineIDs(); !slices.Equal(got, []string{aLine}) {
			t.Fatalf("A's lines %v", got)
		}
		if got := ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(got, []string{aDlg}) {
			t.Fatalf("A's dialogs %v", got)
		}
		if l := h.c.do("GET", "/api/v1/lines/"+aLine, nil).want(http.StatusOK); str(l.json, "name") != "A line" {
			t.Fatalf("A's line changed: %s", l.raw)
		}
		if u := h.c.do("GET", "/api/v1/users/"+h.admin.ID, nil).want(http.StatusOK); str(u.json, "name") != "admin" || get(u.json, "active") != true {
			t.Fatalf("A's admin changed: %s", u.raw)
		}
		if ms := h.c.chat(aDlg); len(ms) != 1 {
			t.Fatalf("A's dialog has %d messages, want 1", len(ms))
		}
	})
}

// 8. Dialogs and messages have no delete route.
func TestNoDeleteRouteForDialogs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ch := h.c.createChannel(h.c.createLine("Support"))
		d := h.c.newDialog(ch, "c1")
		h.c.do("POST", "/api/v1/dialogs/"+d+"/messages", map[string]any{"text": "Hi"}).want(http.StatusCreated)
		mid := str(h.c.messages(d)[0], "id")
		timeline := ids(t, h.c.do("GET", "/api/v1/dialogs/"+d+"/messages", nil).want(http.StatusOK).json, "messages")

		for _, c := range []struct{ method, path, allow string }{
			{"DELETE", "/api/v1/dialogs/" + d, "GET"},
			{"DELETE", "/api/v1/dialogs/" + d + "/messages", "GET, POST"},
			{"PUT", "/api/v1/dialogs/" + d, "GET"},
			{"PATCH", "/api/v1/dialogs/" + d + "/messages", "GET, POST"},
			{"DELETE", "/api/v1/dialogs", "GET"},
		} {
			r := h.c.do(c.method, c.path, nil).wantErr(http.StatusMethodNotAllowed, "not_allowed")
			if r.header.Get("Allow") != c.allow {
				t.Fatalf("%s %s: Allow %q, want %q", c.method, c.path, r.header.Get("Allow"), c.allow)
			}
		}
		h.c.do("DELETE", "/api/v1/dialogs/"+d+"/messages/"+mid, nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("GET", "/api/v1/no-such-thing", nil).wantErr(http.StatusNotFound, "not_found")

		h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK)
		if ms := h.c.chat(d); len(ms) != 2 || str(ms[0], "id") != mid {
			t.Fatalf("messages after the refused deletes: %v", ms)
		}
		// Every entry of the timeline is still there, in order.
		if after := ids(t, h.c.do("GET", "/api/v1/dialogs/"+d+"/messages", nil).want(http.StatusOK).json, "messages"); len(after) < len(timeline) || !slices.Equal(after[:len(timeline)], timeline) {
			t.Fatalf("the timeline lost entries:\nbefore %v\nafter  %v", timeline, after)
		}
	})
}

// 9. Deleting a line needs its name as confirmation and takes its dialogs along.
func TestLineDeleteConfirm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		l1 := h.c.createLine("Support")
		ch1 := h.c.createChannel(l1)
		d1 := h.c.newDialog(ch1, "c1")
		d1b := h.c.newDialog(ch1, "c2")
		l2 := h.c.createLine("Sales")
		ch2 := h.c.createChannel(l2)
		d2 := h.c.newDialog(ch2, "c1")

		path := "/api/v1/lines/" + l1
		h.c.do("DELETE", path, nil).wantErr(http.StatusBadRequest, "invalid")
		if r := h.c.do("DELETE", path, map[string]any{}).wantErr(http.StatusBadRequest, "invalid"); r.errField() != "confirm" {
			t.Fatalf("no confirm: %s", r.raw)
		}
		for _, wrong := range []string{"support", "Sales", "", "Support "} {
			r := h.c.do("DELETE", path, map[string]any{"confirm": wrong}).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != "confirm" || !strings.Contains(r.errMessage(), "nothing was deleted") {
				t.Fatalf("confirm %q: %s", wrong, r.raw)
			}
		}
		h.c.do("GET", path, nil).want(http.StatusOK)
		h.c.do("GET", "/api/v1/channels/"+ch1, nil).want(http.StatusOK)
		if len(h.c.chat(d1)) != 1 || len(h.c.chat(d1b)) != 1 {
			t.Fatal("a refused delete removed messages")
		}

		r := h.c.do("DELETE", path, map[string]any{"confirm": "Support"}).want(http.StatusNoContent)
		if len(r.raw) != 0 {
			t.Fatalf("204 with a body: %s", r.raw)
		}
		h.c.do("GET", path, nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("GET", path+"/channels", nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("GET", "/api/v1/channels/"+ch1, nil).wantErr(http.StatusNotFound, "not_found")
		for _, d := range []string{d1, d1b} {
			h.c.do("GET", "/api/v1/dialogs/"+d, nil).wantErr(http.StatusNotFound, "not_found")
			h.c.do("GET", "/api/v1/dialogs/"+d+"/messages", nil).wantErr(http.StatusNotFound, "not_found")
		}
		h.c.inbound(ch1, "c1", "late", "still there?").wantErr(http.StatusNotFound, "not_found")
		h.c.do("DELETE", path, map[string]any{"confirm": "Support"}).wantErr(http.StatusNotFound, "not_found")

		if got := ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(got, []string{d2}) {
			t.Fatalf("dialogs after delete %v, want [%s]", got, d2)
		}
		if got := ids(t, h.c.dialogs("line_id="+l1).want(http.StatusOK).json, "dialogs"); len(got) != 0 {
			t.Fatalf("dialogs of the deleted line: %v", got)
		}
		if ms := h.c.chat(d2); len(ms) != 1 || str(ms[0], "text") != "Hello from c1" {
			t.Fatalf("the other line's dialog: %v", ms)
		}
		h.c.do("GET", "/api/v1/channels/"+ch2, nil).want(http.StatusOK)
		if got := h.c.lineIDs(); !slices.Equal(got, []string{l2}) {
			t.Fatalf("lines %v", got)
		}
		// The other line still takes messages.
		h.c.inbound(ch2, "c1", "after", "more").want(http.StatusCreated)
	})
}

// 10. Users: administrators manage them; others only their own name.
func TestUsers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		const opPassword = "op-password-1"
		r := h.c.do("POST", "/api/v1/users", map[string]any{"email": " Op@Acme.TEST", "name": "Olga", "password": opPassword, "role": "manager"}).
			want(http.StatusCreated)
		op := r.id()
		if str(r.json, "email") != "op@acme.test" || str(r.json, "role") != "manager" || get(r.json, "active") != true ||
			get(r.json, "server_admin") != false || str(r.json, "workspace_id") != h.ws.ID {
			t.Fatalf("created user: %s", r.raw)
		}
		if bytes.Contains(r.raw, []byte("password")) || bytes.Contains(r.raw, []byte("argon2")) {
			t.Fatalf("user JSON shows the password hash: %s", r.raw)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{

			{map[string]any{"email": "x@acme.test", "name": "X", "password": opPassword}, "role"},
			{map[string]any{"email": "x@acme.test", "name": "X", "password": opPassword, "role": "boss"}, "role"},
			{map[string]any{"email": "x@acme.test", "name": "X", "password": "short", "role": "manager"}, "password"},
			{map[string]any{"email": "not-an-email", "name": "X", "password": opPassword, "role": "manager"}, "email"},
			{map[string]any{"email": "x@acme.test", "name": " ", "password": opPassword, "role": "manager"}, "name"},
		} {
			r := h.c.do("POST", "/api/v1/users", c.body).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != c.field {
				t.Fatalf("create %v: field %q, want %q (%s)", c.body, r.errField(), c.field, r.errMessage())
			}
		}
		// An e-mail another account uses is a conflict, whatever its case.
		for _, email := range []string{"OP@acme.test", "admin@acme.test"} {
			r := h.c.do("POST", "/api/v1/users", map[string]any{"email": email, "name": "Dup", "password": opPassword, "role": "manager"}).
				wantErr(http.StatusConflict, "conflict")
			if r.errField() != "email" {
				t.Fatalf("create with %s: field %q", email, r.errField())
			}
		}
		if got := ids(t, h.c.do("GET", "/api/v1/users", nil).want(http.StatusOK).json, "users"); !slices.Equal(got, []string{h.admin.ID, op}) {
			t.Fatalf("users %v", got)
		}

		m := h.login("op@acme.test", opPassword)
		m.do("POST", "/api/v1/users", map[string]any{"email": "y@acme.test", "name": "Y", "password": opPassword, "role": "administrator"}).
			wantErr(http.StatusForbidden, "forbidden")
		// The administrator is outside a manager's scope: not found.
		m.do("PATCH", "/api/v1/users/"+h.admin.ID, map[string]any{"name": "Hacked"}).wantErr(http.StatusNotFound, "not_found")
		m.do("PATCH", "/api/v1/users/"+op, map[string]any{"role": "administrator"}).wantErr(http.StatusForbidden, "forbidden")
		m.do("PATCH", "/api/v1/users/"+op, map[string]any{"email": "op2@acme.test"}).wantErr(http.StatusForbidden, "forbidden")
		m.do("POST", "/api/v1/users/"+h.admin.ID+"/deactivate", nil).wantErr(http.StatusForbidden, "forbidden")
		m.do("POST", "/api/v1/lines", map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
		m.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
		if u := h.c.do("GET", "/api/v1/users/"+h.admin.ID, nil).want(http.StatusOK); str(u.json, "name") != "admin" {
			t.Fatalf("a manager renamed the administrator: %s", u.raw)
		}
		if u := m.do("PATCH", "/api/v1/users/"+op, map[string]any{"name": "Olga K."}).want(http.StatusOK); str(u.json, "name") != "Olga K." || str(u.json, "role") != "manager" {
			t.Fatalf("own rename: %s", u.raw)
		}
		m.do("GET", "/api/v1/lines", nil).want(http.StatusOK)
		tok := str(m.do("POST", "/api/v1/tokens", map[string]any{"name": "mine"}).want(http.StatusCreated).json, "secret")

		// The last active administrator stays one.
		h.c.do("POST", "/api/v1/users/"+h.admin.ID+"/deactivate", nil).wantErr(http.StatusConflict, "conflict")
		h.c.do("PATCH", "/api/v1/users/"+h.admin.ID, map[string]any{"active": false}).wantErr(http.StatusConflict, "conflict")
		h.c.do("PATCH", "/api/v1/users/"+h.admin.ID, map[string]any{"role": "director"}).wantErr(http.StatusConflict, "conflict")
		if me := h.c.do("GET", "/api/v1/me", nil).want(http.StatusOK); str(me.json, "user", "role") != "administrator" || get(me.json, "user", "active") != true {
			t.Fatalf("last administrator changed: %s", me.raw)
		}

		// Deactivation ends the user's sessions and tokens and bars sign-in.
		if u := h.c.do("POST", "/api/v1/users/"+op+"/deactivate", nil).want(http.StatusOK); get(u.json, "active") != false {
			t.Fatalf("deactivate: %s", u.raw)
		}
		m.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		h.bearer(tok).do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		h.anon().do("POST", "/api/v1/auth/login", map[string]any{"email": "op@acme.test", "password": opPassword}).
			wantErr(http.StatusUnauthorized, "unauthorized")
		h.c.do("PATCH", "/api/v1/users/no-such-user", map[string]any{"name": "X"}).wantErr(http.StatusNotFound, "not_found")
		h.c.do("GET", "/api/v1/users/no-such-user", nil).wantErr(http.StatusNotFound, "not_found")
	})
}

// 11. The dialog list: filters, keyset pages, bad parameters.
func TestDialogList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		l1, l2 := h.c.createLine("One"), h.c.createLine("Two")
		ch1a, ch1b, ch2 := h.c.createChannel(l1), h.c.createChannel(l1), h.c.createChannel(l2)
		byChannel := map[string][]string{}
		var all []string
		for i, ch := range []string{ch1a, ch1a, ch1a, ch1b, ch1b, ch2, ch2} {
			d := h.c.newDialog(ch, "c"+strconv.Itoa(i))
			byChannel[ch] = append(byChannel[ch], d)
			all = append(all, d)
		}
		answered := all[1]
		h.c.do("POST", "/api/v1/dialogs/"+answered+"/messages", map[string]any{"text": "On it"}).want(http.StatusCreated)

		list := func(q string) []string {
			t.Helper()
			r := h.c.dialogs(q).want(http.StatusOK)
			if get(r.json, "next_cursor") != nil {
				t.Fatalf("%s: unexpected next_cursor in %s", q, clip(r.raw))
			}
			return ids(t, r.json, "dialogs")
		}
		mustSameSet(t, "all", list(""), all)
		mustSameSet(t, "line One", list("line_id="+l1), append(slices.Clone(byChannel[ch1a]), byChannel[ch1b]...))
		mustSameSet(t, "line Two", list("line_id="+l2), byChannel[ch2])
		mustSameSet(t, "channel 1b", list("channel_id="+ch1b), byChannel[ch1b])
		mustSameSet(t, "waiting_client", list("status=waiting_client"), []string{answered})
		mustSameSet(t, "queued", list("status=queued"), slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == answered }))
		mustSameSet(t, "queued on 1a", list("status=queued&channel_id="+ch1a), []string{byChannel[ch1a][0], byChannel[ch1a][2]})
		mustSameSet(t, "closed", list("status=closed"), nil)
		mustSameSet(t, "operator", list("operator_id="+h.admin.ID), []string{answered})
		mustSameSet(t, "line Two, channel 1a", list("line_id="+l2+"&channel_id="+ch1a), nil)

		// Newest activity first; the answered dialog moved to the top.
		r := h.c.dialogs("").want(http.StatusOK)
		type row struct {
			id string
			at time.Time
		}
		var rows []row
		for _, d := range objects(t, r.json, "dialogs") {
			at, err := time.Parse(time.RFC3339Nano, str(d, "last_message_at"))
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row{str(d, "id"), at})
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].at.After(rows[i-1].at) {
				t.Fatalf("dialogs not newest first: %v", rows)
			}
		}
		if rows[0].id != answered {
			t.Fatalf("the answered dialog %s is not first: %v", answered, rows)
		}

		// Period [from, to) on last activity.
		asc := slices.Clone(rows)
		sort.SliceStable(asc, func(i, j int) bool { return asc[i].at.Before(asc[j].at) })
		from, to := asc[2].at, asc[5].at
		var want []string
		for _, rw := range rows {
			if !rw.at.Before(from) && rw.at.Before(to) {
				want = append(want, rw.id)
			}
		}
		if len(want) == 0 || len(want) == len(rows) {
			t.Fatalf("bad period fixture: %v", want)
		}
		q := url.Values{"from": {from.Format(time.RFC3339Nano)}, "to": {to.Format(time.RFC3339Nano)}}
		mustSameSet(t, "period", list(q.Encode()), want)
		var fromOnly []string
		for _, rw := range rows {
			if !rw.at.Before(asc[4].at) {
				fromOnly = append(fromOnly, rw.id)
			}
		}
		mustSameSet(t, "from only", list(url.Values{"from": {asc[4].at.Format(time.RFC3339Nano)}}.Encode()), fromOnly)
		mustSameSet(t, "to before all", list(url.Values{"to": {asc[0].at.Format(time.RFC3339Nano)}}.Encode()), nil)

		// Pages walk every dialog once, in order.
		walk := func(q string, limit int) ([]string, int) {
			t.Helper()
			var got []string
			cursor, pages := "", 0
			for {
				v, _ := url.ParseQuery(q)
				v.Set("limit", strconv.Itoa(limit))
				if cursor != "" {
					v.Set("cursor", cursor)
				}
				p := h.c.dialogs(v.Encode()).want(http.StatusOK)
				pages++
				page := ids(t, p.json, "dialogs")
				if len(page) > limit {
					t.Fatalf("page of %d with limit %d", len(page), limit)
				}
				got = append(got, page...)
				cursor = str(p.json, "next_cursor")
				if cursor == "" {
					return got, pages
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
			}
		}
		got, pages := walk("", 2)
		full := make([]string, len(rows))
		for i, rw := range rows {
			full[i] = rw.id
		}
		if !slices.Equal(got, full) || pages != 4 {
			t.Fatalf("paged %v in %d pages, want %v in 4", got, pages, full)
		}
		got, pages = walk("line_id="+l1, 2)
		if len(got) != 5 || pages != 3 {
			t.Fatalf("paged line One: %v in %d pages", got, pages)
		}
		mustSameSet(t, "paged line One", got, list("line_id="+l1))
		if got, pages = walk("", 7); len(got) != 7 || pages != 1 {
			t.Fatalf("limit 7: %d dialogs in %d pages", len(got), pages)
		}

		for q, field := range map[string]string{
			"status=bogus":    "status",
			"status=QUEUED":   "status",
			"limit=0":         "limit",
			"limit=201":       "limit",
			"limit=abc":       "limit",
			"limit=-1":        "limit",
			"cursor=garbage!": "cursor",
			"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x:")): "cursor",
			"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("12")): "cursor",
			"from=yesterday":          "from",
			"to=2026-13-01T00:00:00Z": "to",
			"from=2026-01-01":         "from",
		} {
			r := h.c.dialogs(q).wantErr(http.StatusBadRequest, "invalid")
			if r.errField() != field {
				t.Errorf("%s: field %q, want %q (%s)", q, r.errField(), field, r.errMessage())
			}
		}
	})
}

// 12. Oversized and non-JSON bodies.
func TestBodyLimitAndMediaType(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		big := rawBody(`{"name":"` + strings.Repeat("a", 2<<20) + `"}`)
		r := h.c.do("POST", "/api/v1/lines", big).wantErr(http.StatusRequestEntityTooLarge, "too_large")
		if !strings.Contains(r.errMessage(), "1048576") {
			t.Fatalf("413 message %q does not name the limit", r.errMessage())
		}
		lineID := h.c.createLine("Support") // the server is fine after it
		ch := h.c.createChannel(lineID)
		h.c.do("POST", "/api/v1/channels/"+ch+"/messages", rawBody(`{"customer":{"external_id":"c"},"message":{"external_id":"m","text":"`+
			strings.Repeat("t", 2<<20)+`"}}`)).wantErr(http.StatusRequestEntityTooLarge, "too_large")
		h.c.do("PATCH", "/api/v1/lines/"+lineID, big).wantErr(http.StatusRequestEntityTooLarge, "too_large")

		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "garbage/"} {
			h.c.do("POST", "/api/v1/lines", rawBody(`{"name":"Plain"}`), "Content-Type", ct).wantErr(http.StatusUnsupportedMediaType, "unsupported")
		}
		h.c.do("PATCH", "/api/v1/lines/"+lineID, rawBody(`{"name":"Plain"}`), "Content-Type", "text/plain").
			wantErr(http.StatusUnsupportedMediaType, "unsupported")
		// JSON media types with parameters or a +json suffix pass.
		h.c.do("PATCH", "/api/v1/lines/"+lineID, rawBody(`{"name":"Support 2"}`), "Content-Type", "application/json; charset=utf-8").want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/lines/"+lineID, rawBody(`{"name":"Support 3"}`), "Content-Type", "application/merge-patch+json").want(http.StatusOK)

		ls := objects(t, h.c.do("GET", "/api/v1/lines", nil).want(http.StatusOK).json, "lines")
		if len(ls) != 1 || str(ls[0], "name") != "Support 3" {
			t.Fatalf("lines %v", ls)
		}
		if ds := ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"); len(ds) != 0 {
			t.Fatalf("a refused delivery stored dialogs %v", ds)
		}
	})
}

// 13. An operator's reply: the session waits for the customer and is answered.
func TestOperatorReply(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		// The administrator is in the queue: an operator who is not keeps no
		// session once the customer writes again (SPEC §5).
		lineID := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Support", "queue": []string{h.admin.ID}}).want(http.StatusCreated).id()
		ch := h.c.createChannel(lineID)
		in := h.c.inbound(ch, "c1", "m1", "Where is my order?").want(http.StatusCreated)
		d, sid := str(in.json, "dialog_id"), str(in.json, "session_id")
		before := h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK)
		if str(before.json, "status") != "queued" || get(before.json, "operator_id") != nil || get(before.json, "session", "answered") != false ||
			get(before.json, "session", "first_response_at") != nil {
			t.Fatalf("before the reply: %s", before.raw)
		}

		path := "/api/v1/dialogs/" + d + "/messages"
		r := h.c.do("POST", path, map[string]any{"text": "It ships today."}).want(http.StatusCreated)
		if str(r.json, "direction") != "out" || str(r.json, "author_id") != h.admin.ID || str(r.json, "session_id") != sid ||
			str(r.json, "dialog_id") != d || str(r.json, "text") != "It ships today." || r.id() == "" || get(r.json, "external_id") != nil {
			t.Fatalf("reply: %s", r.raw)
		}
		after := h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK)
		first := str(after.json, "session", "first_response_at")
		if str(after.json, "status") != "waiting_client" || str(after.json, "session", "status") != "waiting_client" ||
			get(after.json, "session", "answered") != true || first == "" || str(after.json, "session", "id") != sid ||
			str(after.json, "operator_id") != h.admin.ID || str(after.json, "session", "operator_id") != h.admin.ID {
			t.Fatalf("after the reply: %s", after.raw)
		}

		for _, body := range []any{
			map[string]any{"text": ""}, map[string]any{"text": "  \n "}, map[string]any{},
			map[string]any{"text": strings.Repeat("z", 32*1024+1)}, map[string]any{"text": 42},
		} {
			r := h.c.do("POST", path, body).wantErr(http.StatusBadRequest, "invalid")
			if !strings.Contains(r.errMessage(), "text") {
				t.Fatalf("reply %v: message %q", body, r.errMessage())
			}
		}
		h.c.do("POST", "/api/v1/dialogs/no-such-dialog/messages", map[string]any{"text": "hi"}).wantErr(http.StatusNotFound, "not_found")

		ms := h.c.chat(d)
		if len(ms) != 2 || str(ms[0], "direction") != "in" || str(ms[1], "direction") != "out" || str(ms[1], "text") != "It ships today." {
			t.Fatalf("messages: %v", ms)
		}

		// The customer answers: back to work in the same session; a second reply
		// keeps the first response time.
		h.c.inbound(ch, "c1", "m2", "Thanks!").want(http.StatusCreated)
		if dj := h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK); str(dj.json, "status") != "in_work" || str(dj.json, "session", "id") != sid {
			t.Fatalf("after the customer's answer: %s", dj.raw)
		}
		h.c.do("POST", path, map[string]any{"text": "You're welcome."}).want(http.StatusCreated)
		again := h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK)
		if str(again.json, "status") != "waiting_client" || str(again.json, "session", "first_response_at") != first {
			t.Fatalf("after the second reply: %s (first response was %s)", again.raw, first)
		}
		if ms := h.c.chat(d); len(ms) != 4 {
			t.Fatalf("%d messages, want 4", len(ms))
		}
	})
}
