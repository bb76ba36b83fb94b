package web_test

import (
	"net/http"
	"testing"

	"github.com/openlines/openlines/internal/line"
)

// The Channels tab manages a channel's keys: a new key is shown once and
// posts the channel's messages; revoked, it stops at once.
func TestChannelKeysManaged(t *testing.T) {
	e := newEnv(t)
	l, ch := e.line("Support", line.ModeEvenly, nil, nil)
	p := e.signIn(e.admin)
	p.goTo("#/lines/" + l.ID + "/channels")
	p.waitFor("the channel row", `!!document.querySelector('[data-testid=channel-row][data-channel-id="`+ch.ID+`"] [data-testid=channel-keys]')`)
	p.click(`[data-testid=channel-row][data-channel-id="` + ch.ID + `"] [data-testid=channel-keys]`)
	p.waitFor("no keys yet (the store made the channel without one)", `!!document.querySelector('[data-testid=channel-keys-dialog] [data-testid=channel-keys-empty]')`)
	p.click(`[data-testid=channel-key-new]`)
	p.waitFor("the new key shown once and listed", `document.querySelector('[data-testid=channel-keys-dialog] [data-testid=channel-key-secret]')?.textContent.startsWith('olc_') &&
		document.querySelectorAll('[data-testid=channel-key-row]').length === 1`)
	secret := p.strings(`[document.querySelector('[data-testid=channel-keys-dialog] [data-testid=channel-key-secret]').textContent]`)[0]
	post := func(ext string) int {
		return e.apiAs(secret, "POST", "/api/v1/channels/"+ch.ID+"/messages", map[string]any{
			"customer": map[string]string{"external_id": "k1"}, "message": map[string]string{"external_id": ext, "text": "Hi"}}, nil)
	}
	if st := post("k1-1"); st != http.StatusCreated {
		t.Fatalf("inbound with the new key: %d", st)
	}
	p.eval(`window.confirm = () => true`, nil)
	p.click(`[data-testid=channel-key-revoke]`)
	p.waitFor("revoked", `!!document.querySelector('[data-testid=channel-keys-dialog] [data-testid=channel-keys-empty]')`)
	if st := post("k1-2"); st != http.StatusUnauthorized {
		t.Fatalf("inbound with the revoked key: %d", st)
	}
}
