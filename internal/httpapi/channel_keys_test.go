package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/workspace"
)

// A channel's own key posts its customer messages and typing — no user's
// token needed — and nothing else: not another channel's inbound (404),
// not any other route (403). Keys are shown once, listed by hint, rotated
// and revoked at once; a garbled key is 401.
func TestChannelKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		line := h.c.createLine("Support")
		created := h.c.do("POST", "/api/v1/lines/"+line+"/channels", map[string]any{"type": "api"}).want(http.StatusCreated)
		ch := created.id()
		secret := str(created.json, "key", "secret")
		if !strings.HasPrefix(secret, "olc_") || len(secret) < 40 || !strings.HasPrefix(secret, str(created.json, "key", "hint")) {
			t.Fatalf("the new channel's key: %v", created.json["key"])
		}
		other := h.c.createChannel(line)
		key := h.bearer(secret)

		r := key.inbound(ch, "ann", "m1", "Hello").want(http.StatusCreated)
		if str(r.json, "dialog_id") == "" {
			t.Fatalf("inbound with the channel key: %v", r.json)
		}
		key.do("POST", "/api/v1/channels/"+ch+"/typing", map[string]any{"customer": map[string]any{"external_id": "ann"}}).want(http.StatusNoContent)
		key.inbound(other, "bob", "m2", "Hello").wantErr(http.StatusNotFound, "not_found")

		// Every other route refuses the key.
		for _, rt := range httpapi.New(httpapi.Config{Store: h.st}).Routes() {
			if rt.Public || rt.Raw || rt.ChannelKey {
				continue
			}
			path := regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(rt.Path, ch)
			key.do(rt.Method, path, map[string]any{}).wantErr(http.StatusForbidden, "forbidden")
		}

		// Listed without secrets; rotated; the old one revoked at once.
		list := h.c.do("GET", "/api/v1/channels/"+ch+"/keys", nil).want(http.StatusOK)
		if strings.Contains(string(list.raw), secret) || len(list.json["keys"].([]any)) != 1 {
			t.Fatalf("the key list: %s", list.raw)
		}
		next := h.c.do("POST", "/api/v1/channels/"+ch+"/keys", nil).want(http.StatusCreated)
		h.c.do("DELETE", "/api/v1/channels/"+ch+"/keys/"+str(created.json, "key", "id"), nil).want(http.StatusNoContent)
		key.inbound(ch, "ann", "m3", "Still there?").wantErr(http.StatusUnauthorized, "unauthorized")
		h.bearer(str(next.json, "secret")).inbound(ch, "ann", "m3", "Still there?").want(http.StatusCreated)
		h.c.do("DELETE", "/api/v1/channels/"+ch+"/keys/"+str(created.json, "key", "id"), nil).wantErr(http.StatusNotFound, "not_found")

		h.bearer("olc_not-a-key").inbound(ch, "ann", "m4", "x").wantErr(http.StatusUnauthorized, "unauthorized")
		// Deleting the line deletes its channels' keys with them.
		doomed := h.c.createLine("Doomed")
		dc := h.c.do("POST", "/api/v1/lines/"+doomed+"/channels", map[string]any{"type": "api"}).want(http.StatusCreated)
		h.bearer(str(dc.json, "key", "secret")).inbound(dc.id(), "zed", "z1", "Hi").want(http.StatusCreated)
		h.c.do("DELETE", "/api/v1/lines/"+doomed, map[string]any{"confirm": "Doomed"}).want(http.StatusNoContent)
		if st := h.bearer(str(dc.json, "key", "secret")).inbound(dc.id(), "zed", "z2", "Hi").status; st != http.StatusUnauthorized && st != http.StatusNotFound {
			t.Fatalf("a deleted channel's key: status %d", st)
		}
		// Another workspace's administrator sees no keys of this channel.
		_, _, beta := h.workspace("Beta", workspace.Enterprise, "admin@beta.test", false)
		beta.do("GET", "/api/v1/channels/"+ch+"/keys", nil).wantErr(http.StatusNotFound, "not_found")
		beta.do("POST", "/api/v1/channels/"+ch+"/keys", nil).wantErr(http.StatusNotFound, "not_found")
	})
}
