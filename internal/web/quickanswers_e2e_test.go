package web_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/quickanswer"
	"github.com/openlines/openlines/internal/user"
)

// quickAnswer returns an answer through the API.
func (e *env) quickAnswer(id string) quickanswer.Answer {
	e.t.Helper()
	var a quickanswer.Answer
	if st := e.api("GET", "/api/v1/quick-answers/"+id, nil, &a); st != http.StatusOK {
		e.t.Fatalf("get quick answer %s: status %d", id, st)
	}
	return a
}

// quickChat is the administrator, in the interface language locale ("":
// the browser's, English), in the chat of a dialog they took on line
// Support, the quick answers' panel open.
func quickChat(t *testing.T, locale, customer, text string) (*env, *page, dialog.InboundResult) {
	e := newEnv(t)
	if _, err := e.stack.Store.UpdateUser(e.ctx, e.ws.ID, e.admin.ID, func(u *user.User) error { u.Locale = locale; return nil }); err != nil {
		t.Fatal(err)
	}
	_, ch := e.line("Support", line.ModeEvenly, []string{e.admin.ID}, func(st *line.Settings) { st.WelcomeEnabled = false })
	d := e.customer(ch, "c1", customer, "m1", text)
	p := e.signIn(e.admin)
	p.take(d.DialogID)
	p.click(`[data-testid=qa-toggle]`)
	return e, p, d
}

// TestQuickAnswersInChat: an empty workspace offers the three starts; "/"
// in the composer searches as one types, the arrow keys choose and Enter
// inserts the answer with its placeholders filled; sending counts a use;
// an operator's message is saved as an answer in one click, and saved
// again updates that answer.
func TestQuickAnswersInChat(t *testing.T) {
	e, p, d := quickChat(t, "", "Anna Petrova", "Hello! When will my parcel come?")
	p.waitFor("the empty state's three starts", `!!document.querySelector('[data-testid=qa-empty] [data-testid=qa-start-save]') &&
		!!document.querySelector('[data-testid=qa-start-new]') && !!document.querySelector('[data-testid=qa-start-settings]')`)
	p.screenshot("quick-answers-empty")

	// Two answers that "/da" finds, the older first (neither used yet).
	var first, second quickanswer.Answer
	if st := e.api("POST", "/api/v1/quick-answers", map[string]any{"text": "Delivery takes two days."}, &first); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	if st := e.api("POST", "/api/v1/quick-answers", map[string]any{"text": "Have a nice day, {customer.name}! {operator.name}, {line.name}"}, &second); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	p.click(`[data-testid=qa-close]`)
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "/DA"))
	p.waitFor("two answers under the composer", `document.querySelectorAll('[data-testid=qa-pop-item]').length === 2`)
	p.press(kb.ArrowDown)
	p.waitFor("the second chosen", `document.querySelector('[data-testid=qa-pop-item].active')?.dataset.id === `+jsq(second.ID))
	p.press(kb.Enter)
	want := "Have a nice day, Anna Petrova! Alice Morgan, Support"
	p.waitFor("the answer in the composer", `document.querySelector('[data-testid=composer]').value === `+jsq(want)+` && document.querySelector('[data-testid=qa-pop]').hidden`)
	for _, m := range e.messages(d.DialogID) {
		if m.Direction == "out" {
			t.Fatalf("Enter on the list sent the message: %q", m.Text)
		}
	}
	p.press(kb.Enter)
	p.waitMessage("out", want)
	e.eventually("the use counted", waitLimit, func() bool { return e.quickAnswer(second.ID).Usage == 1 })
	if u := e.quickAnswer(first.ID).Usage; u != 0 {
		t.Errorf("the other answer counted %d uses", u)
	}

	// Save the sent message: a new answer from it, then the same one again.
	var sent string
	for _, m := range e.messages(d.DialogID) {
		if m.Text == want {
			sent = m.ID
		}
	}
	saveBtn := `[data-testid=message][data-id="` + sent + `"] [data-testid=save-answer]`
	p.click(saveBtn)
	var page quickanswer.Page
	find := func() []quickanswer.Answer {
		if st := e.api("GET", "/api/v1/quick-answers?q=anna+petrova", nil, &page); st != http.StatusOK {
			t.Fatalf("search: %d", st)
		}
		return page.Answers
	}
	e.eventually("the answer saved from the message", waitLimit, func() bool { return len(find()) == 1 })
	saved := find()[0]
	if saved.SourceMessageID == nil || *saved.SourceMessageID != sent || saved.Text != want {
		t.Fatalf("saved: %+v", saved)
	}
	if st := e.api("PATCH", "/api/v1/quick-answers/"+saved.ID, map[string]any{"text": "edited meanwhile"}, nil); st != http.StatusOK {
		t.Fatalf("edit: %d", st)
	}
	p.click(saveBtn)
	e.eventually("the same answer updated from the message", waitLimit, func() bool { return e.quickAnswer(saved.ID).Text == want })
	if got := find(); len(got) != 1 || got[0].ID != saved.ID {
		t.Errorf("saving again made another answer: %+v", got)
	}
	p.waitFor("the toast of the update", `[...document.querySelectorAll('.toast')].some(e => e.textContent.includes('updated'))`)

	// "/" with no answer: Enter does not send the search to the customer.
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "/zzz"))
	p.waitFor("no answer", `!!document.querySelector('[data-testid=qa-pop-none]')`)
	p.press(kb.Enter)
	p.press(kb.Escape)
	p.waitFor("the list closed, the text kept", `document.querySelector('[data-testid=qa-pop]').hidden && document.querySelector('[data-testid=composer]').value === '/zzz'`)
	for _, m := range e.messages(d.DialogID) {
		if m.Text == "/zzz" {
			t.Fatal("the search was sent")
		}
	}
}

// TestQuickAnswersPanelAndPage: answers are created and edited in place
// from the panel and inserted with a click; the settings page lists them
// by section, filters them and renames a section.
func TestQuickAnswersPanelAndPage(t *testing.T) {
	_, p, _ := quickChat(t, "", "Boris", "Hi")
	p.waitFor("the empty state", `!!document.querySelector('[data-testid=qa-start-new]')`)
	p.click(`[data-testid=qa-start-new]`)
	p.fill(`[data-testid=qa-form-text]`, "Your refund is on its way, {customer.name}.")
	p.click(`[data-testid=qa-form-save]`)
	p.waitFor("the new answer listed", `[...document.querySelectorAll('[data-testid=qa-item] .qa-text')].some(e => e.textContent === 'Your refund is on its way, Boris.')`)
	p.click(`[data-testid=qa-edit]`)
	p.fill(`[data-testid=qa-form-title]`, "Refund")
	p.click(`[data-testid=qa-form-save]`)
	p.waitFor("the title changed", `[...document.querySelectorAll('[data-testid=qa-item] .qa-title')].some(e => e.textContent === 'Refund')`)
	p.click(`[data-testid=qa-insert]`)
	p.waitFor("inserted", `document.querySelector('[data-testid=composer]').value === 'Your refund is on its way, Boris.'`)

	p.goTo("#/answers")
	p.waitFor("the settings page by section", `document.querySelectorAll('[data-testid=section]').length === 4 &&
		[...document.querySelectorAll('[data-testid=answers-group] h2')].map(e => e.textContent).join() === 'Common'`)
	p.fill(`[data-testid=answers-search]`, "REFUND")
	p.waitFor("the filter", `document.querySelectorAll('[data-testid=answer]').length === 1`)
	p.fill(`[data-testid=answers-search]`, "nothing like it")
	p.waitFor("nothing", `!!document.querySelector('[data-testid=answers-empty]')`)
	p.fill(`[data-testid=section] [data-testid=section-name]`, "Hello")
	p.click(`[data-testid=section] [data-testid=section-save]`)
	p.waitFor("renamed", `document.querySelector('[data-testid=section] [data-testid=section-name]').value === 'Hello'`)
	p.fill(`[data-testid=answers-search]`, "")
	p.waitFor("every answer again", `document.querySelectorAll('[data-testid=answer]').length === 1`)
	p.screenshotPage("quick-answers-page")
}

// TestQuickAnswersRussian: for an administrator who works in Russian the
// workspace's first sections are named in Russian, and so is the panel.
func TestQuickAnswersRussian(t *testing.T) {
	_, p, _ := quickChat(t, "ru", "Анна", "Здравствуйте")
	p.waitFor("the Russian sections and empty state", `[...document.querySelectorAll('[data-testid=qa-section]')].map(e => e.textContent).join() === 'Все,Приветствие,Оплата,Доставка,Общие' &&
		document.querySelector('[data-testid=qa-empty]').textContent.includes('Быстрых ответов пока нет') &&
		document.querySelector('[data-testid=qa-toggle]').textContent === 'Быстрые ответы'`)
}
