package web_test

// End-to-end tests of issue 11, continued: field errors in the form's
// language and units, channel icons, sound and desktop notifications, and
// keyboard shortcuts of the inbox.

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/input"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// An out-of-range duration is worded in the unit its selector shows and in
// the interface's language, never as the server's sentence.
func TestFieldErrorsInFormUnits(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Sales", line.ModeEvenly, []string{e.admin.ID}, nil)
	pa := e.signIn(e.admin)

	for _, c := range []struct{ lang, want string }{
		{"en", "Must be between 1 and 720 minutes"},
		{"ru", "Допустимо от 1 до 720 минут"},
	} {
		if c.lang == "ru" {
			pa.click(`[data-testid=lang-ru]`)
			pa.waitFor("the Russian interface", `document.documentElement.lang === 'ru'`)
		}
		pa.goTo("#/lines/" + l.ID + "/queue")
		pa.waitFor("the queue form", `!!document.querySelector('[data-testid=line-form-queue] [name=queue_time]')`)
		pa.fill(`[name=queue_time]`, "-5")
		pa.fill(`[name="queue_time.unit"]`, "60")
		pa.click(`[data-testid=line-form-queue] [data-testid=save]`)
		pa.waitFor(c.lang+" error in minutes next to queue_time", `(() => {
			const el = document.querySelector('[data-testid=line-form-queue] [data-error-for="queue_time"]');
			return !!el && !el.hidden && el.textContent === `+jsq(c.want)+` && !!el.closest('.field.invalid');
		})()`)
		if ok, _ := pa.check(`!/out of range|queue_time:|43200/.test(document.body.innerText)`); !ok {
			t.Errorf("%s: the server's own message is on the screen: %s", c.lang, pa.debug())
		}
	}
	if got := e.getLine(l.ID).QueueTime; got <= 0 {
		t.Fatalf("an invalid queue_time was saved: %d", got)
	}
}

// Each dialog shows the kind of its channel as an icon with a name, in the
// list and in the chat head, also to an operator without lines.view; a kind
// the screen does not draw gets the generic icon.
func TestChannelIcons(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	l, ch := e.line("Support", line.ModeAll, []string{olga.ID}, nil)
	pigeon, err := e.stack.Store.CreateChannel(e.ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: l.ID, Type: "pigeon", Name: "Pigeon post"})
	if err != nil {
		t.Fatal(err)
	}
	po := e.signIn(olga)
	a := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	b := e.customer(pigeon, "boris", "Boris Kuznetsov", "b1", "Coo")

	icon := func(sel string) string { return `document.querySelector('` + sel + ` [data-testid=channel-icon]')` }
	po.waitFor("the API icon in the list", `(() => {
		const el = `+icon(itemSel(a.DialogID))+`;
		return !!el && el.dataset.kind === 'api' && el.getAttribute('role') === 'img' && el.getAttribute('aria-label') === 'Channel: API' &&
			el.title === 'Channel: API' && !!el.querySelector('svg path');
	})()`)
	po.waitFor("the generic icon of an unknown kind", `(() => {
		const el = `+icon(itemSel(b.DialogID))+`;
		return !!el && el.dataset.kind === 'pigeon' && el.getAttribute('aria-label') === 'Channel: pigeon' && !!el.querySelector('svg path');
	})()`)
	// Each has its own drawing: the API's brackets are three strokes, the generic bubbles two.
	strokes := po.strings(`[` + icon(itemSel(a.DialogID)) + `, ` + icon(itemSel(b.DialogID)) + `].map(el => String(el.querySelectorAll('svg path').length))`)
	if strokes[0] == strokes[1] {
		t.Errorf("the API and the generic icon look alike (%v strokes)", strokes)
	}
	po.openDialog(a.DialogID)
	po.waitFor("the icon in the chat head", ``+icon(`[data-testid=chat-head]`)+`?.getAttribute('aria-label') === 'Channel: API'`)

	po.click(`[data-testid=lang-ru]`)
	po.waitFor("the Russian name", `document.documentElement.lang === 'ru' && `+icon(itemSel(a.DialogID))+`?.getAttribute('aria-label') === 'Канал: API'`)
}

// notificationStub stands in for the browser's Notification: permission
// granted, every notification and every permission request recorded.
const notificationStub = `(() => {
	window.__notes = [];
	window.__asks = 0;
	class FakeNotification {
		constructor(title, opts) { this.title = title; this.body = (opts || {}).body || ''; this.onclick = null; window.__notes.push(this); }
		close() { this.closed = true; }
	}
	FakeNotification.permission = 'granted';
	FakeNotification.requestPermission = () => { window.__asks++; return Promise.resolve('granted'); };
	window.Notification = FakeNotification;
})();`

// Notifications are off until the operator switches them on; then an
// offer notifies with the customer's name and text, a click opens its
// dialog, the choice survives a reload, and switched off nothing notifies.
func TestNotifications(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.open(olga)
	po.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: notificationStub})
		return err
	}), chromedp.Reload())
	po.login()
	notes := func() int {
		var n []int
		po.eval(`[window.__notes.length]`, &n)
		return n[0]
	}
	toggle := `document.querySelector('[data-testid=notify-toggle]')`

	// Off by default: an offer and a message of its customer notify nobody.
	if ok, _ := po.check(toggle + `.getAttribute('aria-pressed') === 'false'`); !ok {
		t.Fatal("notifications are on before the operator chose them")
	}
	a := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	po.waitFor("Anna's offer", `!!document.querySelector('`+itemSel(a.DialogID)+` [data-testid=offer-chip]')`)
	e.customer(ch, "anna", "Anna Petrova", "a2", "Hello?")
	po.waitFor("Anna's second message", `document.querySelector('`+itemSel(a.DialogID)+` [data-testid=dialog-preview]')?.textContent === 'Hello?'`)
	if n := notes(); n != 0 {
		t.Fatalf("%d notifications while they are off", n)
	}

	// On: the permission is asked, an offer notifies.
	po.click(`[data-testid=notify-toggle]`)
	po.waitFor("the bell on and the permission asked", toggle+`.getAttribute('aria-pressed') === 'true' && window.__asks === 1 &&
		localStorage.getItem('openlines.notify.`+olga.ID+`') === 'on'`)
	b := e.customer(ch, "boris", "Boris Kuznetsov", "b1", "Can I pay by invoice?")
	po.waitFor("a notification of Boris", `window.__notes.some(n => n.title.includes('Boris Kuznetsov') && n.body === 'Can I pay by invoice?')`)
	if ok, _ := po.check(`window.__notes.every(n => !n.title.includes('Anna'))`); !ok {
		t.Error("Anna's messages, sent while notifications were off, notified")
	}
	po.eval(`window.__notes.find(n => n.title.includes('Boris')).onclick(); true`, nil)
	po.waitFor("Boris's dialog open from the notification", `location.hash === '#/inbox/`+b.DialogID+`' && document.querySelector('[data-testid=chat-title]')?.textContent === 'Boris Kuznetsov'`)

	// The open dialog in a visible tab, and my own reply, notify nobody.
	n := notes()
	po.take(b.DialogID)
	po.send("Yes, we will send an invoice.")
	po.waitMessage("out", "Yes, we will send an invoice.")
	e.customer(ch, "boris", "Boris Kuznetsov", "b2", "Thank you!")
	po.waitMessage("in", "Thank you!")
	if got := notes(); got != n {
		t.Errorf("%d notifications for the open dialog or my own reply", got-n)
	}

	// The choice survives a reload; switched off, nothing notifies.
	po.do(chromedp.Reload())
	po.waitFor("the inbox again", `!!document.querySelector('[data-testid=tab-offered]') && document.querySelector('[data-testid=conn-state]')?.dataset.state === 'online'`)
	po.waitFor("the bell still on", toggle+`?.getAttribute('aria-pressed') === 'true'`)
	po.click(`[data-testid=notify-toggle]`)
	po.waitFor("the bell off", toggle+`.getAttribute('aria-pressed') === 'false' && localStorage.getItem('openlines.notify.`+olga.ID+`') === 'off'`)
	e.customer(ch, "anna", "Anna Petrova", "a3", "Anyone there?")
	po.waitFor("Anna's third message", `document.querySelector('`+itemSel(a.DialogID)+` [data-testid=dialog-preview]')?.textContent === 'Anyone there?'`)
	if n := notes(); n != 0 {
		t.Fatalf("%d notifications after switching them off", n)
	}
}

// press presses keys with modifiers on whatever has the focus, as a
// keyboard does when the page takes the key: keydown and keyup, no char
// event (which would type the key into a field the shortcut focused).
func (p *page) press(keys string, mods ...chromedp.Modifier) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, r := range keys {
			for _, k := range kb.Encode(r) {
				if k.Type == kb.KeyChar {
					continue
				}
				for _, m := range mods {
					k.Modifiers |= int64(m)
				}
				if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, *k); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// The inbox's keyboard: J/K and Alt+arrows move through the list, T takes,
// F finishes, R goes to the composer, ? lists the shortcuts in an
// accessible dialog; typed into the composer, the keys are only text.
func TestInboxShortcuts(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeAll, []string{olga.ID}, nil)
	po := e.signIn(olga)
	e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	e.customer(ch, "boris", "Boris Kuznetsov", "b1", "Can I pay by invoice?")
	po.waitFor("two offers", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=offer-chip]').length === 2`)
	ids := po.listIDs()
	first, second := ids[0], ids[1]
	opened := func(id string) string {
		return `location.hash === '#/inbox/` + id + `' && !!document.querySelector('` + itemSel(id) + `.selected') && !!document.querySelector('[data-testid=chat-title]')`
	}
	po.eval(`document.activeElement && document.activeElement.blur(); true`, nil)

	po.press("j")
	po.waitFor("the first dialog open", opened(first))
	po.press("j")
	po.waitFor("the second dialog open", opened(second))
	po.press("k")
	po.waitFor("the first dialog again", opened(first))

	po.waitFor("the take button", `!!document.querySelector('[data-testid=action-take]:not([disabled])')`)
	po.press("t")
	po.waitFor("the dialog taken", `document.querySelector('[data-testid=chat-head] [data-testid=status-chip]')?.dataset.status === 'in_work'`)
	// Taken, it is offered no more: the moves below go through All.
	po.click(`[data-testid=tab-all]`)
	po.waitFor("both in All", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 2`)
	if all := po.listIDs(); all[0] != first || all[1] != second {
		t.Fatalf("All lists %v, the offers were %v", all, ids)
	}

	// The help: a modal dialog with the focus in it; Escape closes it.
	po.press("?")
	po.waitFor("the shortcuts", `(() => {
		const d = document.querySelector('[data-testid=shortcuts-help]');
		return !!d && d.open && d.getAttribute('role') === 'dialog' && d.getAttribute('aria-modal') === 'true' &&
			document.getElementById(d.getAttribute('aria-labelledby'))?.textContent === 'Keyboard shortcuts' &&
			d.contains(document.activeElement) && d.querySelectorAll('[data-testid=shortcut]').length >= 6 &&
			d.textContent.includes('Take the offered dialog');
	})()`)
	po.press(kb.Escape)
	po.waitFor("the shortcuts closed", `!document.querySelector('[data-testid=shortcuts-help]')`)

	// R: the composer. "?" and "j" typed there are text, Alt+↓ still moves.
	po.press("r")
	po.waitFor("the composer focused", `document.activeElement === document.querySelector('[data-testid=composer]')`)
	po.do(chromedp.KeyEvent("?j")) // typed: keydown, char, keyup
	po.waitFor("the keys typed as text", `document.querySelector('[data-testid=composer]').value === '?j'`)
	if ok, _ := po.check(`!document.querySelector('[data-testid=shortcuts-help]') && location.hash === '#/inbox/` + first + `'`); !ok {
		t.Fatal("a key typed in the composer ran a shortcut")
	}
	po.press(kb.ArrowDown, chromedp.ModifierAlt)
	po.waitFor("Alt+↓ from the composer", opened(second))
	po.press(kb.ArrowUp, chromedp.ModifierAlt)
	po.waitFor("Alt+↑ back", opened(first))

	// F finishes the session taken (from outside the composer).
	po.eval(`document.activeElement && document.activeElement.blur(); true`, nil)
	po.waitFor("the finish button", `!!document.querySelector('[data-testid=action-finish]:not([disabled])')`)
	po.press("f")
	po.waitFor("the session finished", `['closing', 'closed'].includes(document.querySelector('[data-testid=chat-head] [data-testid=status-chip]')?.dataset.status)`)

	// In Russian.
	po.click(`[data-testid=lang-ru]`)
	po.waitFor("the Russian inbox", `document.documentElement.lang === 'ru' && !!document.querySelector('[data-testid=dialog-list]')`)
	po.eval(`document.activeElement && document.activeElement.blur(); true`, nil)
	po.press("?")
	po.waitFor("the Russian shortcuts", `document.querySelector('[data-testid=shortcuts-help] .modal-title')?.textContent === 'Горячие клавиши'`)
}
