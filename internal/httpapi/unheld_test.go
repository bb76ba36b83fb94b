package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// A session nobody holds may be acted on by an operator it is offered to
// or with the intercept right, never by someone who merely sees it (a
// custom role with dialogs.view all): finish, pin, transfer and spam are
// 403 for them and change nothing.
func TestUnheldSessionNeedsOfferOrIntercept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		role := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Watcher", "permissions": map[string]any{"dialogs.view": "all"}}).
			want(http.StatusCreated).json, "key")
		watcher := h.user(h.ws.ID, "watcher@acme.test", user.Role(role), false)
		wc := h.login(watcher.Email, testPassword)
		other := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Other", "queue": []string{}}).want(http.StatusCreated).id()
		line := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Nobody's", "queue": []string{}}).want(http.StatusCreated).id()
		d := h.c.newDialog(h.c.createChannel(line), "walk-in")
		sid := str(h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK).json, "session", "id")
		path := "/api/v1/sessions/" + sid + "/"
		for _, act := range []struct {
			name string
			body any
		}{{"spam", nil}, {"finish", nil}, {"pin", nil}, {"transfer", map[string]any{"line_id": other}}} {
			wc.do("POST", path+act.name, act.body).wantErr(http.StatusForbidden, "forbidden")
		}
		if got := str(h.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK).json, "session", "status"); got != "queued" {
			t.Fatalf("after the refused actions the session is %s", got)
		}
		h.c.do("POST", path+"spam", nil).want(http.StatusOK) // the administrator has the intercept right
	})
}
