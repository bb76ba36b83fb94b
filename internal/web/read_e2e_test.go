package web_test

// End-to-end tests of read markers and presence: unread counts are the
// server's, survive a reload and reach every screen of the user; the
// transfer picker shows who is online.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// cookieClient signs u in through the API, as the browser does: the
// session cookie is u's, so answers carry u's read markers.
func (e *env) cookieClient(u user.User) *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &http.Client{Transport: e.srv.Client().Transport, Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": u.Email, "password": testPassword})
	res, err := c.Post(e.srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
		e.t.Fatalf("sign in %s through the API: status %d", u.Email, res.StatusCode)
	}
	return c
}

// unreadAs is the dialog's unread count as the user of c sees it.
func (e *env) unreadAs(c *http.Client, dialogID string) int {
	e.t.Helper()
	res, err := c.Get(e.srv.URL + "/api/v1/dialogs/" + dialogID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var d struct {
		Unread *int `json:"unread"`
	}
	if err := json.NewDecoder(res.Body).Decode(&d); err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("get dialog %s: status %d, %v", dialogID, res.StatusCode, err)
	}
	if d.Unread == nil {
		e.t.Fatalf("dialog %s has no unread count", dialogID)
	}
	return *d.Unread
}

// unreadBadge is the JavaScript text of a listed dialog's unread badge, empty without one.
func unreadBadge(dialogID string) string {
	return `(document.querySelector('` + itemSel(dialogID) + ` [data-testid=unread]')?.textContent ?? '')`
}

// The unread count of a held dialog comes from the server: it survives a
// reload, opening the dialog sets it to 0 for good, on every screen.
func TestUnreadFromServer(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.signIn(olga)
	api := e.cookieClient(olga)

	d := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	po.waitFor("the offer", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
	po.take(d.DialogID) // opened: read
	e.eventually("the first message read", waitLimit, func() bool { return e.unreadAs(api, d.DialogID) == 0 })

	// A customer message while the chat is open is read at once.
	e.customer(ch, "anna", "", "a2", "Order #1042.")
	po.waitMessage("in", "Order #1042.")
	e.eventually("the message in the open chat read", waitLimit, func() bool { return e.unreadAs(api, d.DialogID) == 0 })
	if got := po.strings(`[` + unreadBadge(d.DialogID) + `]`)[0]; got != "" {
		t.Errorf("the open dialog shows %q unread", got)
	}

	po.goTo("#/inbox")
	po.click(`[data-testid=tab-mine]`)
	po.waitFor("the held dialog, nothing unread", `!!document.querySelector('`+itemSel(d.DialogID)+`') && `+unreadBadge(d.DialogID)+` === ''`)
	e.customer(ch, "anna", "", "a3", "Hello?")
	e.customer(ch, "anna", "", "a4", "Anyone there?")
	po.waitFor("2 unread", unreadBadge(d.DialogID)+` === '2'`)
	if got := e.unreadAs(api, d.DialogID); got != 2 {
		t.Errorf("the server counts %d unread, want 2", got)
	}

	po.do(chromedp.Reload())
	po.waitFor("the inbox again", `!!document.querySelector('[data-testid=tab-mine]') && document.querySelector('[data-testid=conn-state]')?.dataset.state === 'online'`)
	po.click(`[data-testid=tab-mine]`)
	po.waitFor("still 2 unread after a reload", unreadBadge(d.DialogID)+` === '2'`)

	po.openDialog(d.DialogID)
	po.waitFor("0 unread when open", unreadBadge(d.DialogID)+` === '' && !document.querySelector('`+itemSel(d.DialogID)+`').classList.contains('unread')`)
	e.eventually("the read marker moved", waitLimit, func() bool { return e.unreadAs(api, d.DialogID) == 0 })
	po.goTo("#/inbox")
	po.do(chromedp.Reload())
	po.waitFor("the inbox again", `!!document.querySelector('[data-testid=tab-mine]') && document.querySelector('[data-testid=conn-state]')?.dataset.state === 'online'`)
	po.click(`[data-testid=tab-mine]`)
	po.waitFor("still 0 after a reload", `!!document.querySelector('`+itemSel(d.DialogID)+`') && `+unreadBadge(d.DialogID)+` === ''`)

	// The same user on another screen: nothing unread there either.
	po2 := e.signIn(olga)
	po2.click(`[data-testid=tab-mine]`)
	po2.waitFor("0 unread on another screen", `!!document.querySelector('`+itemSel(d.DialogID)+`') && `+unreadBadge(d.DialogID)+` === ''`)
	if got := e.unreadAs(api, d.DialogID); got != 0 {
		t.Errorf("the server counts %d unread after reading, want 0", got)
	}

	// A message into another dialog counts up on the screen at once.
	b := e.customer(ch, "boris", "Boris Kuznetsov", "b1", "Can I pay by invoice?")
	e.transferTo(b.SessionID, olga.ID)
	po2.waitFor("boris's 1 unread", unreadBadge(b.DialogID)+` === '1'`)
	e.customer(ch, "boris", "", "b2", "For my company.")
	po2.waitFor("boris's 2 unread", unreadBadge(b.DialogID)+` === '2'`)
}

// The transfer picker shows each operator's presence, in English and Russian.
func TestTransferPickerPresence(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	ivan := e.user("ivan@acme.test", "Ivan Orlov", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID, pavel.ID, ivan.ID}, nil)
	po := e.signIn(olga)
	e.signIn(pavel) // online; Ivan never signed in

	d := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	e.transferTo(d.SessionID, olga.ID) // the offer may have gone to Pavel
	for _, lang := range []string{"en", "ru"} {
		if lang == "ru" {
			po.click(`[data-testid=lang-ru]`)
			po.waitFor("Russian", `document.documentElement.lang === 'ru' && !!document.querySelector('[data-testid=action-transfer]')`)
		} else {
			po.click(`[data-testid=tab-mine]`)
			po.waitFor("the held dialog", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
			po.openDialog(d.DialogID)
			po.waitFor("the transfer button", `!!document.querySelector('[data-testid=action-transfer]')`)
		}
		online, offline := map[string]string{"en": "Online", "ru": "На месте"}[lang], map[string]string{"en": "Offline", "ru": "Не в сети"}[lang]
		po.click(`[data-testid=action-transfer]`)
		presence := func(u user.User) string {
			return `document.querySelector('[data-testid=transfer-target][data-kind=user][data-id="` + u.ID + `"] [data-testid=transfer-presence]')`
		}
		po.waitFor("Pavel online, Ivan offline ("+lang+")", `(() => {
			const p = `+presence(pavel)+`, i = `+presence(ivan)+`;
			return !!p && !!i && p.dataset.status === 'online' && p.textContent === `+jsq(online)+` &&
				i.dataset.status === 'offline' && i.textContent === `+jsq(offline)+` &&
				getComputedStyle(p.querySelector('.presence-dot')).backgroundColor !== getComputedStyle(i.querySelector('.presence-dot')).backgroundColor;
		})()`)
		po.click(`[data-testid=transfer-dialog] [data-testid=modal-close]`)
		po.waitFor("the picker closed", `!document.querySelector('[data-testid=transfer-dialog]')`)
	}
}
