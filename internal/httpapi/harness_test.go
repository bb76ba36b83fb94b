package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/attach"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// testPassword is the password of every user the harness creates itself.
const testPassword = "correct horse battery staple"

var (
	hashOnce sync.Once
	hashOf   string
	hashErr  error
)

// passwordHash hashes testPassword once per test binary: argon2id is slow on
// purpose, and one salt for many test users changes nothing that is tested.
func passwordHash(t testing.TB) string {
	t.Helper()
	hashOnce.Do(func() { hashOf, hashErr = user.HashPassword(testPassword) })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	return hashOf
}

// harness is a running API server on a fresh store with one workspace and
// its administrator (a server administrator), signed in by cookie.
type harness struct {
	t     *testing.T
	st    *store.Store
	srv   *httptest.Server
	ws    workspace.Workspace
	admin user.User
	c     *client
	bus   *events.Local
}

func newHarness(t *testing.T, engine string) *harness {
	t.Helper()
	return newHarnessWith(t, engine, nil)
}

// newHarnessWith is newHarness with the server's config adjusted by tune.
func newHarnessWith(t *testing.T, engine string, tune func(*httpapi.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, storetest.DSN(t, engine), tune)
}

// newHarnessOn is newHarnessWith on the database named by dsn.
func newHarnessOn(t *testing.T, dsn string, tune func(*httpapi.Config)) *harness {
	t.Helper()
	bus := events.NewLocal()
	st, err := store.Open(context.Background(), dsn, store.Options{OnCommit: bus.Publish})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The routing engine runs as in production, so offers follow inbound messages.
	eng := routing.NewEngine(st, clock.Real{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	bus.Subscribe(eng.OnEvents)
	engCtx, stopEngine := context.WithCancel(context.Background())
	engDone := make(chan struct{})
	go func() { eng.Run(engCtx); close(engDone) }()
	t.Cleanup(func() { stopEngine(); <-engDone })
	files, err := attach.NewDir(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Publish: bus.Publish, Files: files}
	if tune != nil {
		tune(&cfg)
	}
	api := httpapi.New(cfg)
	bus.Subscribe(api.OnEvents) // as app.Start wires it
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close) // runs before the store's cleanup
	h := &harness{t: t, st: st, srv: srv, bus: bus}
	h.ws, h.admin, h.c = h.workspace("Acme", workspace.Enterprise, "admin@acme.test", true)
	return h
}

// workspace creates a workspace with an administrator and signs them in.
func (h *harness) workspace(name string, plan workspace.Plan, adminEmail string, serverAdmin bool) (workspace.Workspace, user.User, *client) {
	h.t.Helper()
	ws, err := h.st.CreateWorkspace(context.Background(), name, plan)
	if err != nil {
		h.t.Fatal(err)
	}
	u := h.user(ws.ID, adminEmail, user.Administrator, serverAdmin)
	return ws, u, h.login(adminEmail, testPassword)
}

// user creates an active user with testPassword directly in the store.
func (h *harness) user(wsID, email string, role user.Role, serverAdmin bool) user.User {
	h.t.Helper()
	u, err := h.st.CreateUser(context.Background(), user.User{
		WorkspaceID: wsID, Email: email, Name: strings.Split(email, "@")[0], Role: role,
		Active: true, ServerAdmin: serverAdmin, PasswordHash: passwordHash(h.t),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// anon is a client with no credentials and no cookie jar.
func (h *harness) anon() *client {
	return &client{t: h.t, base: h.srv.URL, hc: h.srv.Client()}
}

// bearer is a client sending an API token.
func (h *harness) bearer(secret string) *client {
	c := h.anon()
	c.bearer = secret
	return c
}

// withCookie is a client sending a fixed session cookie value (no jar).
func (h *harness) withCookie(value string) *client {
	c := h.anon()
	c.cookie = value
	return c
}

// login signs in through the API and returns a client holding the cookie in a jar.
func (h *harness) login(email, password string) *client {
	h.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	hc := *h.srv.Client()
	hc.Jar = jar
	c := &client{t: h.t, base: h.srv.URL, hc: &hc}
	c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}).want(http.StatusOK)
	return c
}

// client calls the API.
type client struct {
	t      *testing.T
	base   string
	hc     *http.Client
	bearer string // sent as Authorization: Bearer when set
	cookie string // sent as the session cookie when set
}

// rawBody is a request body sent as is.
type rawBody []byte

// reply is a response with its body read and, when JSON, decoded.
type reply struct {
	t       *testing.T
	req     string // "METHOD path", for failure messages
	status  int
	header  http.Header
	cookies []*http.Cookie
	json    map[string]any
	raw     []byte
}

// do sends a request. body is nil (none), a rawBody, or anything else sent as
// JSON. headers are name/value pairs; they override the defaults.
func (c *client) do(method, path string, body any, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		if rb, ok := body.(rawBody); ok {
			rd = bytes.NewReader(rb)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: c.cookie})
	}
	if len(headers)%2 != 0 {
		c.t.Fatalf("headers must be name/value pairs: %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := reply{t: c.t, req: method + " " + path, status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.json); err != nil {
			c.t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return r
}

// want fails the test unless the status is status.
func (r reply) want(status int) reply {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d; body: %s", r.req, r.status, status, clip(r.raw))
	}
	return r
}

// wantErr fails the test unless the reply is a JSON error with status and
// code. It returns the reply for more checks.
func (r reply) wantErr(status int, code string) reply {
	r.t.Helper()
	r.want(status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Fatalf("%s: error Content-Type %q, want JSON; body: %s", r.req, ct, clip(r.raw))
	}
	if r.errCode() != code || r.errMessage() == "" {
		r.t.Fatalf("%s: error %s, want code %q with a message", r.req, clip(r.raw), code)
	}
	return r
}

func (r reply) errCode() string    { return str(r.json, "error", "code") }
func (r reply) errMessage() string { return str(r.json, "error", "message") }
func (r reply) errField() string   { return str(r.json, "error", "field") }

// id returns the reply's "id" field, failing when absent.
func (r reply) id() string {
	r.t.Helper()
	id := str(r.json, "id")
	if id == "" {
		r.t.Fatalf("%s: no id in %s", r.req, clip(r.raw))
	}
	return id
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// get walks nested JSON objects by key.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str is get for a string; "" when absent or not a string.
func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

// objects returns the array at path as objects.
func objects(t *testing.T, v any, path ...string) []map[string]any {
	t.Helper()
	arr, ok := get(v, path...).([]any)
	if !ok {
		t.Fatalf("%v is not an array in %v", path, v)
	}
	out := make([]map[string]any, len(arr))
	for i, e := range arr {
		if out[i], ok = e.(map[string]any); !ok {
			t.Fatalf("%v[%d] is not an object", path, i)
		}
	}
	return out
}

// ids returns the "id" of each object of the array at path.
func ids(t *testing.T, v any, path ...string) []string {
	t.Helper()
	var out []string
	for _, o := range objects(t, v, path...) {
		out = append(out, str(o, "id"))
	}
	return out
}

// --- small shared steps ---

func (c *client) createLine(name string) string {
	c.t.Helper()
	return c.do("POST", "/api/v1/lines", map[string]any{"name": name}).want(http.StatusCreated).id()
}

func (c *client) createChannel(lineID string) string {
	c.t.Helper()
	return c.do("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "api"}).want(http.StatusCreated).id()
}

// inbound delivers a customer message on a channel.
func (c *client) inbound(channelID, customer, externalID, text string) reply {
	c.t.Helper()
	return c.do("POST", "/api/v1/channels/"+channelID+"/messages", map[string]any{
		"customer": map[string]any{"external_id": customer, "name": "Customer " + customer},
		"message":  map[string]any{"external_id": externalID, "text": text},
	})
}

// newDialog delivers a first message and returns the new dialog's id.
func (c *client) newDialog(channelID, customer string) string {
	c.t.Helper()
	r := c.inbound(channelID, customer, "first-of-"+customer, "Hello from "+customer).want(http.StatusCreated)
	return str(r.json, "dialog_id")
}

func (c *client) lineIDs() []string {
	c.t.Helper()
	return ids(c.t, c.do("GET", "/api/v1/lines", nil).want(http.StatusOK).json, "lines")
}

func (c *client) messages(dialogID string) []map[string]any {
	c.t.Helper()
	return objects(c.t, c.do("GET", "/api/v1/dialogs/"+dialogID+"/messages", nil).want(http.StatusOK).json, "messages")
}

// chat returns a dialog's customer and operator messages, leaving out the
// events of its timeline, notes and the line's auto-replies.
func (c *client) chat(dialogID string) []map[string]any {
	c.t.Helper()
	var out []map[string]any
	for _, m := range c.messages(dialogID) {
		if str(m, "kind") == "text" {
			out = append(out, m)
		}
	}
	return out
}

// dialogs lists dialogs with a query (without "?"), reading one page.
func (c *client) dialogs(query string) reply {
	c.t.Helper()
	return c.do("GET", "/api/v1/dialogs?"+query, nil)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		if m[s] == 0 {
			return false
		}
		m[s]--
	}
	return true
}

func mustSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !sameSet(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}
