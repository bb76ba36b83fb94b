package web_test

// End-to-end tests of issue 11: the inbox's search and filters, and the
// customer panel beside the chat.

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/line"
)

const listCount = `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length`

// Typing in the search box narrows the list on screen, by Latin and
// Cyrillic names in any case and by external id; the status filter and the
// clear button work, and the bar fits 400 px.
func TestInboxSearchNarrowsList(t *testing.T) {
	e := newEnv(t)
	_, ch := e.line("Support", line.ModeEvenly, nil, nil)
	a := e.customer(ch, "anna-77", "Anna Petrova", "a1", "Where is my order?")
	b := e.customer(ch, "boris", "Борис Кузнецов", "b1", "Можно оплатить счётом?")
	c := e.customer(ch, "viktor", "Виктор Смирнов", "c1", "Hello")
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=tab-all]`)
	pa.waitFor("three dialogs", listCount+` === 3`)

	search := func(term string, want ...string) {
		t.Helper()
		pa.eval(`(() => { const el = document.querySelector('[data-testid=dialog-search]'); el.value = ''; el.focus(); return true; })()`, nil)
		pa.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=dialog-search]`), term))
		js := listCount + ` === ` + jsq(string(rune('0' + len(want))))[1:2]
		for _, id := range want {
			js += ` && !!document.querySelector('` + itemSel(id) + `')`
		}
		pa.waitFor("the list for "+term, js)
	}
	search("кузн", b.DialogID)
	search("СМИРНОВ", c.DialogID)
	search("petrova", a.DialogID)
	search("ANNA-7", a.DialogID)
	search("ов", b.DialogID, c.DialogID)
	pa.waitFor("the term as a chip", `[...document.querySelectorAll('[data-testid=filter-chip]')].some(e => e.textContent.includes('ов'))`)

	// A status nobody has: the list says so; the clear button brings all back.
	pa.click(`[data-testid=filter-toggle]`)
	pa.waitFor("the status filter", `!!document.querySelector('[data-testid=filter-status]')`)
	pa.eval(`(() => { const s = document.querySelector('[data-testid=filter-status]'); s.value = 'closed'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, nil)
	pa.waitFor("nothing matches", `document.querySelector('[data-testid=list-empty]')?.textContent === 'No dialogs match the search and filters.'`)
	pa.click(`[data-testid=filter-clear]`)
	pa.waitFor("all dialogs again", listCount+` === 3 && document.querySelector('[data-testid=dialog-search]').value === ''`)

	// 400 px: the bar and its popover stay inside the window.
	pa.setViewport(400, 800)
	if open, _ := pa.check(`document.querySelector('[data-testid=filter-toggle]').getAttribute('aria-expanded') === 'true'`); !open {
		pa.click(`[data-testid=filter-toggle]`)
	}
	pa.waitFor("the popover at 400 px", `(() => {
		const r = document.querySelector('[data-testid=filter-pop]').getBoundingClientRect();
		const s = document.querySelector('[data-testid=dialog-search]').getBoundingClientRect();
		return r.width > 0 && r.right <= 400 && s.width >= 150 && s.right <= 400 && document.documentElement.scrollWidth <= 400;
	})()`)
	// Russian.
	pa.setViewport(1280, 800)
	pa.click(`[data-testid=lang-ru]`)
	pa.waitFor("the Russian search box", `document.querySelector('[data-testid=dialog-search]')?.placeholder === 'Поиск по имени или id'`)
}

// The customer panel shows who writes, through which channel, and every
// session of the dialog; a session's link shows its place in the chat.
// Below 1440 px a button in the chat head opens it over the chat.
func TestCustomerPanelSessions(t *testing.T) {
	e := newEnv(t)
	_, ch := e.line("Support", line.ModeEvenly, nil, nil)
	first := e.customer(ch, "boris", "Борис Кузнецов", "b1", "Первый вопрос")
	if st := e.api("POST", "/api/v1/sessions/"+first.SessionID+"/spam", nil, nil); st != http.StatusOK {
		t.Fatalf("spam: %d", st)
	}
	second := e.customer(ch, "boris", "Борис Кузнецов", "b2", "Второй вопрос")
	if second.SessionID == first.SessionID {
		t.Fatal("no second session")
	}
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=tab-all]`)
	pa.setViewport(1500, 900) // wide: a column beside the chat, open by default
	pa.openDialog(first.DialogID)
	pa.waitFor("the panel with two sessions", `document.querySelectorAll('[data-testid=customer-panel] [data-testid=cp-session]').length === 2 &&
		document.querySelector('[data-testid=customer-panel]').getBoundingClientRect().width > 200`)
	pa.waitFor("the customer's facts", `document.querySelector('[data-testid=cp-name]').textContent === 'Борис Кузнецов' &&
		document.querySelector('[data-testid=cp-external-id]').textContent === 'boris' &&
		document.querySelector('[data-testid=cp-channel]').textContent.includes('Website chat')`)
	order := pa.strings(`[...document.querySelectorAll('[data-testid=cp-session]')].map(e => e.dataset.sessionId)`)
	if len(order) != 2 || order[0] != second.SessionID || order[1] != first.SessionID {
		t.Fatalf("sessions in the panel %v, want the latest first", order)
	}
	pa.waitFor("the old session's status", `document.querySelectorAll('[data-testid=cp-session]')[1].querySelector('[data-testid=status-chip]').dataset.status === 'spam'`)
	// Scroll the chat to the end, then follow the old session's link.
	pa.eval(`(() => { const m = document.querySelector('[data-testid=messages]'); m.scrollTop = m.scrollHeight; return true; })()`, nil)
	pa.click(`[data-testid=cp-session]:nth-child(2) [data-testid=cp-jump]`)
	pa.waitFor("the old session's first message marked", `(() => {
		const m = [...document.querySelectorAll('[data-testid=messages] [data-session]')].find(e => e.dataset.session === `+jsq(first.SessionID)+`);
		return !!m && m.classList.contains('msg-flash');
	})()`)

	// Narrower: hidden until the chat head's button opens it over the chat.
	pa.setViewport(400, 800)
	pa.waitFor("the chat at 400 px", `!!document.querySelector('[data-testid=customer-toggle]')`)
	pa.eval(`(() => { const b = document.querySelector('[data-testid=customer-toggle]'); if (b.getAttribute('aria-expanded') === 'true') b.click(); return true; })()`, nil)
	pa.waitFor("the panel hidden", `document.querySelector('[data-testid=customer-panel]').getBoundingClientRect().width === 0`)
	pa.click(`[data-testid=customer-toggle]`)
	pa.waitFor("the panel over the chat", `(() => {
		const r = document.querySelector('[data-testid=customer-panel]').getBoundingClientRect();
		return r.width > 200 && r.right <= 400 && document.querySelectorAll('[data-testid=cp-session]').length === 2;
	})()`)
	pa.click(`[data-testid=cp-session]:nth-child(1) [data-testid=cp-jump]`)
	pa.waitFor("the panel closed after the jump", `document.querySelector('[data-testid=customer-panel]').getBoundingClientRect().width === 0`)
}
