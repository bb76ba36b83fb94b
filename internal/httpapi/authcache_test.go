package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// Credentials are cached for a few seconds, but a revocation on one node
// is refused at once on another that has the credential cached: the bus
// carries auth.revoked and user.changed to every node's cache.
func TestCachedCredentialsRevokedEverywhere(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		bus := events.NewLocal()
		st := storetest.Open(t, engine, store.Options{OnCommit: bus.Publish})
		node := func() *harness {
			api := httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
			bus.Subscribe(api.OnEvents)
			srv := httptest.NewServer(api.Handler())
			t.Cleanup(srv.Close)
			return &harness{t: t, st: st, srv: srv}
		}
		a, b := node(), node()
		a.ws, a.admin, a.c = a.workspace("Acme", "enterprise", "admin@acme.test", true)
		a.user(a.ws.ID, "op@acme.test", user.Manager, false)
		// A token used on node B is cached there; deleting it on node A
		// refuses it on B at once.
		r := a.c.do("POST", "/api/v1/tokens", map[string]any{"name": "crm"}).want(http.StatusCreated)
		secret, tokID := str(r.json, "secret"), str(r.json, "token", "id")
		b.bearer(secret).do("GET", "/api/v1/me", nil).want(http.StatusOK)
		a.c.do("DELETE", "/api/v1/tokens/"+tokID, nil).want(http.StatusNoContent)
		b.bearer(secret).do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")

		// A session cookie cached on B: signing out through A ends it on B.
		op := a.login("op@acme.test", testPassword)
		onB := b.withCookie(sessionCookie(t, a, op))
		onB.do("GET", "/api/v1/me", nil).want(http.StatusOK)
		op.do("POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		onB.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")

		// A role change made on A is seen on B at once: a demoted
		// administrator cannot create a line there.
		op2 := a.user(a.ws.ID, "boss@acme.test", user.Administrator, false)
		bossOnB := b.withCookie(sessionCookie(t, a, a.login("boss@acme.test", testPassword)))
		bossOnB.do("GET", "/api/v1/me", nil).want(http.StatusOK)
		a.c.do("PATCH", "/api/v1/users/"+op2.ID, map[string]any{"role": "manager"}).want(http.StatusOK)
		bossOnB.do("POST", "/api/v1/lines", map[string]any{"name": "Nope"}).wantErr(http.StatusForbidden, "forbidden")
	})
}

// sessionCookie is the session cookie a signed-in client holds for h.
func sessionCookie(t *testing.T, h *harness, c *client) string {
	t.Helper()
	u, err := url.Parse(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == httpapi.SessionCookie {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}
