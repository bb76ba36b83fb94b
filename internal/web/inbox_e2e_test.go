package web_test

// End-to-end tests of issue 11: the composer's note mode, notifications,
// narrow windows and paging of the inbox lists.

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

const composerMode = `document.querySelector('[data-testid=composer-box]')?.dataset.mode`

// The private-note mode belongs to one dialog: the next dialog opens in
// reply mode, and what is sent there reaches the customer.
func TestNoteModeResetsPerDialog(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.signIn(olga)

	a := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	b := e.customer(ch, "boris", "Boris Kuznetsov", "b1", "Can I pay by invoice?")
	po.waitFor("both offers", `!!document.querySelector('`+itemSel(a.DialogID)+`') && !!document.querySelector('`+itemSel(b.DialogID)+`')`)

	po.take(a.DialogID)
	po.waitFor("reply mode in A", composerMode+` === 'reply' && document.querySelector('[data-testid=composer-mode]').hidden`)
	po.click(`[data-testid=note-toggle]`)
	po.waitFor("note mode in A, said plainly", composerMode+` === 'note' && (() => {
		const m = document.querySelector('[data-testid=composer-mode]');
		return !m.hidden && m.textContent === 'Private note — the customer will not see this' && m.getBoundingClientRect().height > 0;
	})()`)
	var bg []string
	po.eval(`[getComputedStyle(document.querySelector('[data-testid=composer-box]')).backgroundColor]`, &bg)

	po.click(`[data-testid=tab-offered]`)
	po.take(b.DialogID)
	po.waitFor("reply mode in B", composerMode+` === 'reply' && document.querySelector('[data-testid=composer-mode]').hidden &&
		document.querySelector('[data-testid=note-toggle]').getAttribute('aria-pressed') === 'false'`)
	if ok, _ := po.check(`getComputedStyle(document.querySelector('[data-testid=composer-box]')).backgroundColor !== ` + jsq(bg[0])); !ok {
		t.Errorf("the composer looks the same in reply and note mode (background %s)", bg[0])
	}
	reply := "Yes, we will send the invoice by email."
	po.send(reply)
	po.waitMessage("out", reply)
	e.eventually("the reply as a customer-visible message", waitLimit, func() bool {
		for _, m := range e.messages(b.DialogID) {
			if m.Text == reply {
				if m.Kind != dialog.KindText || m.Direction != dialog.Out {
					t.Fatalf("the reply went out as kind %s, direction %s: a note?", m.Kind, m.Direction)
				}
				return true
			}
		}
		return false
	})

	// The Russian label.
	po.click(`[data-testid=lang-ru]`)
	po.waitFor("the Russian inbox", `document.documentElement.lang === 'ru' && !!document.querySelector('[data-testid=note-toggle]')`)
	po.click(`[data-testid=note-toggle]`)
	po.waitFor("the Russian note label", `document.querySelector('[data-testid=composer-mode]').textContent === 'Скрытый комментарий — клиент его не увидит'`)
}

// sendOnTop says whether the Send button is the topmost element at its centre.
const sendOnTop = `(() => {
	const b = document.querySelector('[data-testid=send]');
	const r = b.getBoundingClientRect();
	const el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
	return !!el && (el === b || b.contains(el));
})()`

// Notifications cover no control of the composer, stack at most three
// high and go away on a click.
func TestToastsLeaveSendFree(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.signIn(olga)
	d := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	po.waitFor("the offer", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)

	for _, size := range [][2]int64{{1280, 800}, {400, 800}} {
		po.setViewport(size[0], size[1])
		if size[0] == 1280 {
			po.take(d.DialogID) // "taken" is a toast
		} else {
			po.click(`[data-testid=action-pin]`)
		}
		po.waitFor("a toast", `document.querySelectorAll('[data-testid=toast]').length > 0`)
		if ok, _ := po.check(sendOnTop); !ok {
			var what []string
			po.eval(`(() => { const b = document.querySelector('[data-testid=send]').getBoundingClientRect();
				const el = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
				return [el ? el.outerHTML.slice(0, 200) : 'nothing']; })()`, &what)
			t.Fatalf("at %dx%d a toast covers the Send button: %s on top", size[0], size[1], what[0])
		}
		if ok, _ := po.check(`(() => {
			const c = document.querySelector('[data-testid=composer-box]').getBoundingClientRect();
			return [...document.querySelectorAll('[data-testid=toast]')].every(el => el.getBoundingClientRect().bottom <= c.top);
		})()`); !ok {
			t.Errorf("at %dx%d a toast overlaps the composer", size[0], size[1])
		}
		po.waitFor("the toasts gone", `document.querySelectorAll('[data-testid=toast]').length === 0`)
		if size[0] == 400 {
			po.click(`[data-testid=action-unpin]`)
		}
	}
	po.setViewport(1280, 800)

	// Many actions in a row: three toasts at most; a click dismisses one.
	for _, a := range []string{"pin", "unpin", "pin", "unpin", "pin"} {
		po.click(`[data-testid=action-` + a + `]`)
		po.waitFor("the "+a+" done", `!!document.querySelector('[data-testid=action-`+map[string]string{"pin": "unpin", "unpin": "pin"}[a]+`]:not([disabled])')`)
		if ok, _ := po.check(`document.querySelectorAll('[data-testid=toast]').length <= 3`); !ok {
			t.Fatal("more than three toasts stack")
		}
	}
	var n []int
	po.eval(`[document.querySelectorAll('[data-testid=toast]').length]`, &n)
	if n[0] < 2 {
		t.Fatalf("%d toasts after five quick actions, want 2 or 3", n[0])
	}
	po.click(`[data-testid=toast]:last-child [data-testid=toast-close]`)
	po.waitFor("one toast fewer after its ×", `document.querySelectorAll('[data-testid=toast]').length === `+itoa(n[0]-1))
	po.click(`[data-testid=toast]`)
	po.waitFor("one more gone after a click", `document.querySelectorAll('[data-testid=toast]').length === `+itoa(n[0]-2))
}

func itoa(n int) string { return strconv.Itoa(n) }

// setViewport resizes the page's viewport.
func (p *page) setViewport(w, h int64) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(w, h))
}

// narrowProblems lists what does not fit a narrow window: the page wider
// than the window, or a tab whose label is cut off.
const narrowProblems = `(() => {
	const out = [];
	if (document.body.scrollWidth > document.body.clientWidth) {
		const wide = [...document.querySelectorAll('#app *')].filter(el => el.getBoundingClientRect().right > document.body.clientWidth + 1)
			.slice(-3).map(el => el.tagName + '.' + el.className);
		out.push('page ' + document.body.scrollWidth + ' > ' + document.body.clientWidth + ' wide: ' + wide.join(', '));
	}
	// Content past the window's edge must sit in a container that scrolls
	// sideways (a wide table, a tab bar), not be cut off by one that hides it.
	const W = document.documentElement.clientWidth;
	for (const el of document.querySelectorAll('#app *')) {
		const r = el.getBoundingClientRect();
		if (!r.width || (r.right <= W + 1 && r.left >= -1)) continue;
		for (let p = el.parentElement; p && p.id !== 'app'; p = p.parentElement) {
			const ox = getComputedStyle(p).overflowX;
			if (ox === 'auto' || ox === 'scroll') break;
			if (ox === 'hidden' || ox === 'clip') {
				const pr = p.getBoundingClientRect();
				if (pr.right < r.right - 1 || pr.left > r.left + 1) { out.push('cut off: ' + el.tagName + '.' + el.className + ' "' + el.textContent.slice(0, 30) + '" in ' + p.tagName + '.' + p.className); }
				break;
			}
		}
	}
	for (const el of document.querySelectorAll('[role=tab], .tab, .tab-label, .subtab, .nav-link, .seg-btn')) {
		if (el.getClientRects().length && el.scrollWidth > el.clientWidth) out.push('tab "' + el.textContent + '" clipped: ' + el.scrollWidth + ' > ' + el.clientWidth);
	}
	return out;
})()`

// Every page works 400 px wide, in English and Russian: nothing wider
// than the window, no tab label cut off.
func TestPagesFit400Wide(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	e.user("konstantin.konstantinopolsky@acme.test", "Konstantin Konstantinopolsky", user.Director)
	l, ch := e.line("Support and after-sales service", line.ModeEvenly, []string{e.admin.ID, olga.ID}, nil)
	d := e.customer(ch, "anna", "Anna Petrova", "a1", "Hello! My order #1042 has not arrived yet.")
	pa := e.signIn(e.admin)
	pa.setViewport(400, 800)

	pages := []struct{ hash, ready string }{
		{"#/inbox", `!!document.querySelector('[data-testid=tab-all]')`},
		{"#/inbox/" + d.DialogID, `!!document.querySelector('[data-testid=chat-title]') && !!document.querySelector('[data-testid=send]')`},
		{"#/lines", `document.querySelectorAll('[data-testid=line-row]').length === 1`},
		{"#/lines/" + l.ID, `!!document.querySelector('[data-testid=line-form-queue]')`},
		{"#/lines/" + l.ID + "/hours", `!!document.querySelector('[data-testid=line-form-hours]')`},
		{"#/lines/" + l.ID + "/channels", `document.querySelectorAll('[data-testid=channel-row]').length === 1`},
		{"#/users", `document.querySelectorAll('[data-testid=user-row]').length === 3`},
		{"#/workspace", `!!document.querySelector('[data-testid=ws-usage]')`},
		{"#/roles", `!!document.querySelector('table')`},
		{"#/teams", `!!document.querySelector('h1')`},
		{"#/audit", `!!document.querySelector('table, .list-empty')`},
	}
	for _, lang := range []string{"en", "ru"} {
		if lang == "ru" {
			pa.goTo("#/inbox")
			pa.click(`[data-testid=lang-ru]`)
			pa.waitFor("Russian", `document.documentElement.lang === 'ru'`)
		}
		for _, pg := range pages {
			pa.goTo(pg.hash)
			pa.waitFor(pg.hash+" ("+lang+")", `location.hash === `+jsq(pg.hash)+` && `+pg.ready)
			if got := pa.strings(narrowProblems); len(got) > 0 {
				t.Errorf("%s (%s) at 400x800: %q", pg.hash, lang, got)
			}
		}
	}
}

// Every inbox tab pages through its dialogs with "load more": no cap.
func TestInboxTabsLoadMore(t *testing.T) {
	e := newEnv(t)
	_, ch := e.line("Support", line.ModeEvenly, []string{e.admin.ID}, nil)
	const waiting, held = 55, 53
	for i := range waiting + held {
		r := e.customer(ch, "c"+itoa(i), "Customer "+itoa(i), "m"+itoa(i), "Question number "+itoa(i))
		if i >= waiting {
			e.transferTo(r.SessionID, e.admin.ID)
		}
	}
	pa := e.signIn(e.admin)
	items := `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length`
	for _, tc := range []struct {
		tab  string
		want int
	}{{"offered", waiting}, {"queue", waiting}, {"mine", held}, {"all", waiting + held}} {
		pa.click(`[data-testid=tab-` + tc.tab + `]`)
		pa.waitFor(tc.tab+": the first page and load more", items+` === 50 && !!document.querySelector('[data-testid=list-more]')`)
		if tc.tab != "all" {
			if ok, _ := pa.check(`document.querySelector('[data-testid=tab-count-` + tc.tab + `]').textContent === '50+'`); !ok {
				t.Errorf("%s: the tab count does not say more follow", tc.tab)
			}
		}
		for page := 2; ; page++ {
			pa.click(`[data-testid=list-more]`)
			n := min(tc.want, 50*page)
			pa.waitFor(tc.tab+": page "+itoa(page), items+` === `+itoa(n))
			if n == tc.want {
				break
			}
		}
		pa.waitFor(tc.tab+": no load more at the end", `!document.querySelector('[data-testid=list-more]')`)
		var ids []string
		ids = pa.listIDs()
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s: dialog %s listed twice", tc.tab, id)
			}
			seen[id] = true
		}
	}
	// A refresh (a new message) keeps what was loaded.
	e.customer(ch, "c0", "", "again", "Anyone there?")
	pa.waitFor("the all tab still complete after a refresh", `document.querySelector('[data-testid=dialog-list] [data-testid=dialog-item] [data-testid=dialog-preview]').textContent === 'Anyone there?' && `+items+` === `+itoa(waiting+held))
}
