package web_test

// The widget (static/widget.js) in a real chromium against the real
// server, embedded in a page of another origin: its keyboard and ARIA, the
// pre-chat form, its socket resuming after the server went away, and the
// full-screen window on a phone. Helpers of widget_e2e_test.go and
// e2e_test.go drive the pages.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// wactive is the data-testid of what has the focus: inside the widget's
// shadow root, or "page:TAG" when the focus is outside the widget.
const wactive = `(() => {
	const h = document.querySelector('openlines-widget');
	if (!h || document.activeElement !== h) return 'page:' + (document.activeElement?.tagName || '');
	const a = h.shadowRoot.activeElement;
	return a ? (a.dataset.testid || a.tagName) : 'host';
})()`

func (p *page) wfocused() string {
	p.t.Helper()
	var s string
	p.eval(wactive, &s)
	return s
}

// keyboard presses a key as a keyboard does, the char event included (a
// button is activated by Enter's keypress).
func (p *page) keyboard(key string) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(key))
}

// Tab reaches the bubble, Enter opens the window and puts the focus in it,
// Tab and Shift+Tab go round its controls without leaving it, Escape
// closes it and gives the focus back to the bubble. The bubble says
// whether the window is open; the window is a labelled dialog; the
// conversation is a live region.
func TestWidgetKeyboardAndARIA(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, []string{e.admin.ID}, nil)
	opts := &siteOpts{Server: e.srv.URL}
	s := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{s.URL}})
	pv := visit(t, e.browser, s.URL, 1280, 800)
	pv.widgetReady()

	if got := pv.wfocused(); got != "page:BODY" {
		t.Fatalf("the focus before any key: %s", got)
	}
	pv.press("\t")
	if got := pv.wfocused(); got != "bubble" {
		t.Fatalf("Tab from the page's start focused %s, want the bubble", got)
	}
	var aria struct{ Expanded, Popup, Controls, Label string }
	ariaOf := `(() => { const b = ` + wq(`[data-testid=bubble]`) + `; return {Expanded: b.getAttribute('aria-expanded'), Popup: b.getAttribute('aria-haspopup'),
		Controls: b.getAttribute('aria-controls') === ` + wq(`[data-testid=window]`) + `.id ? 'the window' : String(b.getAttribute('aria-controls')), Label: b.getAttribute('aria-label') || ''}; })()`
	pv.eval(ariaOf, &aria)
	if aria.Expanded != "false" || aria.Popup != "dialog" || aria.Controls != "the window" || aria.Label == "" {
		t.Fatalf("the closed bubble's ARIA: %+v", aria)
	}

	pv.keyboard(kb.Enter)
	pv.waitFor("the window opened by Enter", wq(`[data-testid=window]`)+`.hidden === false`)
	pv.eval(ariaOf, &aria)
	if aria.Expanded != "true" {
		t.Fatalf("aria-expanded of the open window's bubble: %q", aria.Expanded)
	}
	var win struct{ Role, Modal, Label, LiveRole, Live string }
	pv.eval(`(() => { const w = `+wq(`[data-testid=window]`)+`, l = `+wq(`[data-testid=messages]`)+`;
		const label = w.getAttribute('aria-label') || (w.getAttribute('aria-labelledby') ? w.getRootNode().getElementById(w.getAttribute('aria-labelledby'))?.textContent : '') || '';
		return {Role: w.getAttribute('role') || '', Modal: w.getAttribute('aria-modal') || '', Label: label.trim(), LiveRole: l.getAttribute('role') || '', Live: l.getAttribute('aria-live') || ''}; })()`, &win)
	if win.Role != "dialog" || win.Label == "" || win.Live != "polite" && win.Live != "assertive" || win.LiveRole != "log" {
		t.Fatalf("the window's ARIA: %+v", win)
	}
	pv.waitFor("the focus in the window", `(() => { const h = document.querySelector('openlines-widget'); return document.activeElement === h && `+wq(`[data-testid=window]`)+`.contains(h.shadowRoot.activeElement); })()`)

	// The window's controls in Tab order: the focus goes round them.
	var ring []string
	pv.eval(`[...`+wq(`[data-testid=window]`)+`.querySelectorAll('button, textarea, input, select, a[href], [tabindex]')]
		.filter(x => !x.disabled && x.tabIndex >= 0 && x.getClientRects().length).map(x => x.dataset.testid || x.tagName)`, &ring)
	t.Logf("the window's controls in Tab order: %v", ring)
	if len(ring) < 2 {
		t.Fatalf("the window's controls: %v", ring)
	}
	at := -1
	for i, id := range ring {
		if id == pv.wfocused() {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("the focus is on %s, not one of the window's controls %v", pv.wfocused(), ring)
	}
	for range len(ring) + 1 { // past the last control at least once
		pv.press("\t")
		at = (at + 1) % len(ring)
		if got := pv.wfocused(); got != ring[at] {
			t.Fatalf("Tab moved the focus to %s, want %s (controls %v)", got, ring[at], ring)
		}
	}
	for at != 0 {
		pv.press("\t")
		at = (at + 1) % len(ring)
	}
	pv.press("\t", chromedp.ModifierShift)
	if got := pv.wfocused(); got != ring[len(ring)-1] {
		t.Fatalf("Shift+Tab from the first control focused %s, want the last, %s", got, ring[len(ring)-1])
	}

	pv.press(kb.Escape)
	pv.waitFor("the window closed by Escape", wq(`[data-testid=window]`)+`.hidden === true`)
	if got := pv.wfocused(); got != "bubble" {
		t.Fatalf("after Escape the focus is on %s, want the bubble", got)
	}
	pv.eval(ariaOf, &aria)
	if aria.Expanded != "false" {
		t.Fatalf("aria-expanded after Escape: %q", aria.Expanded)
	}
}

// With the channel's pre-chat form on (PATCH …/channels/{id}), a new
// visitor meets the form instead of the composer; an empty required field
// stops it with a visible error and the focus on the field, and no visitor
// is made; filled in, the conversation starts and the operator sees the
// customer by the name given.
func TestWidgetPrechatForm(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, []string{e.admin.ID}, func(s *line.Settings) { s.WelcomeEnabled = false })
	opts := &siteOpts{Server: e.srv.URL}
	s := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{s.URL}})
	if st := e.api("PATCH", "/api/v1/channels/"+opts.Channel, map[string]any{"settings": map[string]any{"origins": []string{s.URL},
		"prechat": map[string]any{"enabled": true, "fields": []string{"name", "email"}, "required": []string{"name"}}}}, nil); st != http.StatusOK {
		t.Fatalf("PATCH the channel's pre-chat: %d", st)
	}
	pv := visit(t, e.browser, s.URL, 1280, 800)
	pv.widgetReady()
	pv.wopen()
	pv.waitFor("the pre-chat form", wq(`[data-testid=prechat]`)+`.hidden === false && !!`+wq(`[data-testid=prechat-name]`)+` && !!`+wq(`[data-testid=prechat-email]`))
	visible := func(sel string) string {
		return `(() => { const e = ` + wq(sel) + `; return !!e && !e.hidden && e.getClientRects().length > 0 && e.getBoundingClientRect().height > 0; })()`
	}
	if ok, _ := pv.check(visible(`[data-testid=composer]`)); ok {
		t.Fatal("the composer is usable before the pre-chat form is filled in")
	}
	token := `JSON.parse(localStorage.getItem(` + jsq("openlines.widget."+opts.Channel) + `) || '{}').token || ''`

	pv.wclick(`[data-testid=prechat-submit]`)
	pv.waitFor("the required name's error", visible(`[data-testid=prechat-error-name]`)+` && `+wq(`[data-testid=prechat-error-name]`)+`.textContent.trim() !== ''
		&& `+wq(`[data-testid=prechat-name]`)+`.getAttribute('aria-invalid') === 'true'`)
	if got := pv.wfocused(); got != "prechat-name" {
		t.Fatalf("after the refused form the focus is on %s, want the name field", got)
	}
	var tok string
	pv.eval(token, &tok)
	if tok != "" || e.dialogsCount() != 0 {
		t.Fatalf("a refused form made a visitor (token %q) or a dialog", tok)
	}
	if ok, _ := pv.check(visible(`[data-testid=composer]`)); ok {
		t.Fatal("the composer is usable after the refused form")
	}

	// Typed into the focused field as a keyboard does; Enter sends the form.
	pv.keyboard("Vera Lind")
	pv.keyboard(kb.Tab)
	if got := pv.wfocused(); got != "prechat-email" {
		t.Fatalf("Tab from the name goes to %s, want the e-mail field", got)
	}
	pv.keyboard("vera@example.com")
	pv.keyboard(kb.Enter)
	pv.waitFor("the composer after the form", visible(`[data-testid=composer]`)+` && `+wq(`[data-testid=prechat]`)+`.hidden === true`)
	pv.wsend("Do you ship to Tallinn?")
	pv.wwaitMessage("in", "Do you ship to Tallinn?")
	var r struct {
		Dialogs []dialog.Dialog `json:"dialogs"`
	}
	if st := e.api("GET", "/api/v1/dialogs", nil, &r); st != http.StatusOK || len(r.Dialogs) != 1 {
		t.Fatalf("dialogs: %d %+v", st, r.Dialogs)
	}
	if got := r.Dialogs[0].Customer.Name; got != "Vera Lind" {
		t.Fatalf("the customer in the operator API is %q, want the name of the pre-chat form", got)
	}
	if got := r.Dialogs[0].Customer.Email; got != "vera@example.com" {
		t.Fatalf("the customer's e-mail in the operator API is %q, want the pre-chat form's", got)
	}
	// The operator sees them in the customer panel beside the chat.
	pa := e.signIn(e.admin)
	pa.setViewport(1500, 900)
	pa.click(`[data-testid=tab-all]`)
	pa.openDialog(r.Dialogs[0].ID)
	pa.waitFor("the pre-chat contact in the customer panel", `document.querySelector('[data-testid=cp-name]')?.textContent === 'Vera Lind' &&
		document.querySelector('[data-testid=cp-email] a')?.getAttribute('href') === 'mailto:vera@example.com'`)
}

// newRestartableEnv is newEnv whose server can be restarted on the same
// database and the same address, as a node's restart is for a visitor's
// page. restart stops the server (every socket goes with it), starts a new
// stack on the database, runs whileDown with e pointed at it through a
// listener of its own (nothing answers at the old address yet), then
// serves the old address again.
func newRestartableEnv(t *testing.T) (e *env, restart func(whileDown func())) {
	t.Helper()
	requireChromium(t)
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "e2e.db")
	start := func() *app.Stack {
		stack, err := app.Start(ctx, dsn, app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return stack
	}
	serve := func(stack *app.Stack, addr string) *httptest.Server {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(stack.Handler)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		return srv
	}
	e = &env{t: t, ctx: ctx, stack: start()}
	e.srv = serve(e.stack, "127.0.0.1:0")
	addr := e.srv.Listener.Addr().String()
	t.Cleanup(func() { e.srv.Close(); e.stack.Close() }) // whichever run last; after the browser's cleanup
	var err error
	if e.ws, err = e.stack.Store.CreateWorkspace(ctx, "Acme Retail", workspace.Enterprise); err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin@acme.test", "Alice Morgan", user.Administrator)
	secret, hash, err := user.NewSecret("olt_")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.stack.Store.CreateAPIToken(ctx, e.admin, "e2e customers", hash, nil); err != nil {
		t.Fatal(err)
	}
	e.token = secret
	e.browser = startBrowser(t)
	return e, func(whileDown func()) {
		e.srv.Close()
		e.stack.Close()
		e.stack = start()
		e.srv = httptest.NewServer(e.stack.Handler)
		whileDown()
		e.srv.Close()
		e.srv = serve(e.stack, addr)
	}
}

// The server goes away under an open widget (a restart on the same
// database closes the visitor's socket) and the operator answers while
// the widget cannot connect: once it reconnects the answer shows once,
// and nothing shown before shows again.
func TestWidgetSocketResumesAfterRestart(t *testing.T) {
	e, restart := newRestartableEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, []string{e.admin.ID}, func(s *line.Settings) { s.WelcomeEnabled = false })
	opts := &siteOpts{Server: e.srv.URL}
	s := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{s.URL}})
	pv := visit(t, e.browser, s.URL, 1280, 800)
	pv.widgetReady()
	pv.wopen()
	pv.wsend("Hello, is anyone there?")
	pv.wwaitMessage("in", "Hello, is anyone there?")
	var r struct {
		Dialogs []dialog.Dialog `json:"dialogs"`
	}
	if st := e.api("GET", "/api/v1/dialogs", nil, &r); st != http.StatusOK || len(r.Dialogs) != 1 {
		t.Fatalf("dialogs: %d %+v", st, r.Dialogs)
	}
	dlg := r.Dialogs[0].ID
	answer := func(text string) {
		t.Helper()
		if st := e.api("POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": text}, nil); st != http.StatusCreated {
			t.Fatalf("answer %q: %d", text, st)
		}
	}
	answer("Yes, Alice here.")
	pv.wwaitMessage("out", "Yes, Alice here.")
	pv.waitFor("the live socket", wq(`[data-testid=widget]`)+`.dataset.conn === 'online'`)
	before := pv.wmessages()

	restart(func() {
		pv.waitFor("the widget offline", wq(`[data-testid=widget]`)+`.dataset.conn === 'offline' && `+wq(`[data-testid=subtitle]`)+`.textContent === 'Reconnecting…'`)
		answer("The jacket is in stock.")
	})
	pv.wwaitMessage("out", "The jacket is in stock.")
	pv.waitFor("the socket back", wq(`[data-testid=widget]`)+`.dataset.conn === 'online'`)
	// A live answer after the resume: whatever the resume would add twice
	// has arrived before it.
	answer("Anything else?")
	pv.wwaitMessage("out", "Anything else?")

	got := pv.wmessages()
	want := append(before, wmsg{Direction: "out", Text: "The jacket is in stock."}, wmsg{Direction: "out", Text: "Anything else?"})
	if len(got) != len(want) {
		t.Fatalf("after the restart the widget shows %d messages, want %d: %+v", len(got), len(want), got)
	}
	ids := map[string]bool{}
	for i := range got {
		if got[i].Direction != want[i].Direction || got[i].Text != want[i].Text || got[i].Pending || got[i].ID == "" || (want[i].ID != "" && got[i].ID != want[i].ID) {
			t.Fatalf("after the restart message %d is %+v, want %+v", i, got[i], want[i])
		}
		if ids[got[i].ID] {
			t.Fatalf("message %s shown twice: %+v", got[i].ID, got)
		}
		ids[got[i].ID] = true
	}
	var server []string
	for _, m := range e.messages(dlg) {
		if m.Direction == dialog.In || m.Direction == dialog.Out {
			server = append(server, fmt.Sprint(m.Direction, ":", m.Text))
		}
	}
	var shown []string
	for _, m := range got {
		shown = append(shown, fmt.Sprint(m.Direction, ":", m.Text))
	}
	if fmt.Sprint(shown) != fmt.Sprint(server) {
		t.Fatalf("the widget shows %q, the dialog has %q", shown, server)
	}
}

// On a phone-sized viewport (≤ 480 px wide) the open window fills it.
func TestWidgetFullScreenOnPhone(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, []string{e.admin.ID}, nil)
	opts := &siteOpts{Server: e.srv.URL}
	s := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{s.URL}})
	for _, vp := range [][2]int64{{360, 640}, {480, 800}} {
		pv := visit(t, e.browser, s.URL, vp[0], vp[1])
		pv.widgetReady()
		pv.wopen()
		pv.waitFor("the window's opening animation over", wq(`[data-testid=window]`)+`.getAnimations().length === 0`)
		var r struct{ Left, Top, Width, Height, VW, VH float64 }
		pv.eval(`(() => { const b = `+wq(`[data-testid=window]`)+`.getBoundingClientRect();
			return {Left: b.left, Top: b.top, Width: b.width, Height: b.height, VW: document.documentElement.clientWidth, VH: window.innerHeight}; })()`, &r)
		if r.VW != float64(vp[0]) || r.Left != 0 || r.Top != 0 || r.Width != r.VW || r.Height != r.VH {
			t.Fatalf("at %d×%d the open window is %+v, want the whole viewport", vp[0], vp[1], r)
		}
		// The way out is on the screen.
		if ok, _ := pv.check(`(() => { const b = ` + wq(`[data-testid=close]`) + `.getBoundingClientRect(); return b.width > 0 && b.right <= innerWidth && b.top >= 0; })()`); !ok {
			t.Fatalf("at %d×%d the close button is not on the screen", vp[0], vp[1])
		}
	}
}
