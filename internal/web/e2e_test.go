package web_test

// End-to-end tests: the whole stack (store, routing engine, hub, HTTP API
// and this web application) behind httptest, driven by Debian chromium
// through chromedp. Every operator has a browser context of their own, so
// their cookies are separate. The tests wait on conditions, never on sleeps,
// and save screenshots of the application to docs/screenshots.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	pngpkg "image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

const (
	testPassword = "correct horse battery staple"
	// waitLimit bounds every wait unless a scenario says otherwise.
	waitLimit = 10 * time.Second
	pollEvery = 50 * time.Millisecond
)

var (
	hashOnce sync.Once
	hashOf   string
	hashErr  error
)

// passwordHash hashes testPassword once: argon2id is slow on purpose.
func passwordHash(t *testing.T) string {
	t.Helper()
	hashOnce.Do(func() { hashOf, hashErr = user.HashPassword(testPassword) })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	return hashOf
}

// chromiumPath is the browser the tests drive: OPENLINES_CHROMIUM, else
// CHROME_PATH (the variable other tools read), else Debian's chromium.
var chromiumPath = func() string {
	for _, v := range []string{"OPENLINES_CHROMIUM", "CHROME_PATH"} {
		if p := os.Getenv(v); p != "" {
			return p
		}
	}
	return "/usr/bin/chromium"
}()

// skipped counts the browser tests skipped for want of a browser; TestMain
// says so loudly, so that an "ok" does not hide them.
var skipped atomic.Int32

func TestMain(m *testing.M) {
	code := m.Run()
	if n := skipped.Load(); n > 0 {
		msg := fmt.Sprintf("\n*** %d BROWSER TESTS SKIPPED: no browser at %s (install Debian's chromium, or set OPENLINES_CHROMIUM or CHROME_PATH) ***\n\n", n, chromiumPath)
		fmt.Fprint(os.Stderr, msg)
		// `go test ./...` shows a passing package's output to nobody: the
		// terminal, when there is one, gets the notice all the same.
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprint(tty, msg)
			tty.Close()
		}
	}
	os.Exit(code)
}

// requireChromium skips without a browser, except in CI where it must be there.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: CI must install chromium for the browser tests", chromiumPath)
		}
		skipped.Add(1)
		t.Skipf("%s is missing: the browser tests need chromium (OPENLINES_CHROMIUM or CHROME_PATH names another)", chromiumPath)
	}
}

// env is one running OpenLines with a workspace, its administrator, an API
// token of the administrator (to play the customers) and a browser.
type env struct {
	t       *testing.T
	ctx     context.Context
	stack   *app.Stack
	srv     *httptest.Server
	ws      workspace.Workspace
	admin   user.User
	token   string
	browser context.Context
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, app.StackOptions{}) }

// newEnvWith is newEnv with the stack's options (a small file limit).
func newEnvWith(t *testing.T, o app.StackOptions) *env {
	t.Helper()
	requireChromium(t)
	ctx := context.Background()
	o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	stack, err := app.Start(ctx, filepath.Join(t.TempDir(), "e2e.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Close)
	srv := httptest.NewServer(stack.Handler)
	t.Cleanup(srv.Close) // before the stack closes: cleanups run last-in, first-out
	e := &env{t: t, ctx: ctx, stack: stack, srv: srv}
	if e.ws, err = stack.Store.CreateWorkspace(ctx, "Acme Retail", workspace.Enterprise); err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin@acme.test", "Alice Morgan", user.Administrator)
	secret, hash, err := user.NewSecret("olt_")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Store.CreateAPIToken(ctx, e.admin, "e2e customers", hash, nil); err != nil {
		t.Fatal(err)
	}
	e.token = secret
	e.browser = startBrowser(t)
	return e
}

// startBrowser starts chromium with a fresh profile; it closes with the test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// user creates an active user with testPassword.
func (e *env) user(email, name string, role user.Role) user.User {
	e.t.Helper()
	u, err := e.stack.Store.CreateUser(e.ctx, user.User{WorkspaceID: e.ws.ID, Email: email, Name: name, Role: role, Active: true, PasswordHash: passwordHash(e.t)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// line creates a line with an api channel; change adjusts its settings.
func (e *env) line(name, mode string, queue []string, change func(*line.Settings)) (line.Line, channel.Channel) {
	e.t.Helper()
	st := line.Defaults()
	st.Mode = mode
	st.Queue = queue
	if change != nil {
		change(&st)
	}
	l, err := e.stack.Store.CreateLine(e.ctx, e.ws.ID, name, st)
	if err != nil {
		e.t.Fatal(err)
	}
	ch, err := e.stack.Store.CreateChannel(e.ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: l.ID, Type: "api", Name: "Website chat"})
	if err != nil {
		e.t.Fatal(err)
	}
	return l, ch
}

// api calls the REST API with the administrator's token and decodes the answer into out.
func (e *env) api(method, path string, body, out any) int {
	e.t.Helper()
	return e.apiAs(e.token, method, path, body, out)
}

// apiAs calls the REST API with another bearer token (a channel's key).
func (e *env) apiAs(token, method, path string, body, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode
}

// customer delivers a customer message through the connector API.
func (e *env) customer(ch channel.Channel, externalID, name, msgID, text string) dialog.InboundResult {
	e.t.Helper()
	var res dialog.InboundResult
	body := map[string]any{"customer": map[string]string{"external_id": externalID, "name": name}, "message": map[string]string{"external_id": msgID, "text": text}}
	if st := e.api("POST", "/api/v1/channels/"+ch.ID+"/messages", body, &res); st != http.StatusCreated && st != http.StatusOK {
		e.t.Fatalf("inbound message: status %d", st)
	}
	return res
}

func (e *env) messages(dialogID string) []dialog.Message {
	e.t.Helper()
	var r struct {
		Messages []dialog.Message `json:"messages"`
	}
	if st := e.api("GET", "/api/v1/dialogs/"+dialogID+"/messages?limit=1000", nil, &r); st != http.StatusOK {
		e.t.Fatalf("list messages: status %d", st)
	}
	return r.Messages
}

func (e *env) getLine(id string) line.Line {
	e.t.Helper()
	var l line.Line
	if st := e.api("GET", "/api/v1/lines/"+id, nil, &l); st != http.StatusOK {
		e.t.Fatalf("get line: status %d", st)
	}
	return l
}

// eventually polls cond until it holds or the limit passes.
func (e *env) eventually(what string, limit time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(pollEvery)
	}
}

// page is one signed-in person in a browser context of their own.
type page struct {
	e    *env
	t    *testing.T
	ctx  context.Context
	user user.User
}

// open gives u a new browser context (own cookies) at the application.
func (e *env) open(u user.User) *page {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // creates the tab, bound to ctx
		e.t.Fatalf("new browser context: %v", err)
	}
	p := &page{e: e, t: e.t, ctx: ctx, user: u}
	p.do(chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.srv.URL+"/#/login"))
	return p
}

// signIn opens the application for u and signs in through the form.
func (e *env) signIn(u user.User) *page {
	e.t.Helper()
	p := e.open(u)
	p.login()
	return p
}

// login fills in and sends the sign-in form.
func (p *page) login() {
	p.t.Helper()
	u := p.user
	p.waitFor("the sign-in form", `!!document.querySelector('[data-testid=login-email]')`)
	p.do(
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), u.Email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
	)
	p.waitFor("the inbox with a live connection", `!!document.querySelector('[data-testid=tab-offered]') &&
		document.querySelector('[data-testid=conn-state]').dataset.state === 'online'`)
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\n%s", p.user.Name, err, p.debug())
	}
}

// click clicks the element sel finds. When an event redraws the element
// between finding and clicking it, it is found again: the click had not
// been sent then.
func (p *page) click(sel string) {
	p.t.Helper()
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if try == 2 || !strings.Contains(err.Error(), "Could not find node") {
			p.t.Fatalf("%s: click %s: %v\n%s", p.user.Name, sel, err, p.debug())
		}
	}
}

// fill sets an input's value as typing would (input and change events).
func (p *page) fill(sel, value string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) throw new Error('no element ' + %s);
		el.focus();
		el.value = %s;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, jsq(sel), jsq(sel), jsq(value)), nil)
}

// eval runs JavaScript in the page and decodes its result into out (may be nil).
func (p *page) eval(js string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v\n%s", p.user.Name, js, err, p.debug())
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

// check evaluates a boolean JavaScript condition once.
func (p *page) check(js string) (bool, error) {
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[bool](js))
}

// waitFor polls a JavaScript condition until it is true (up to waitLimit).
func (p *page) waitFor(what, js string) { p.t.Helper(); p.waitForIn(what, js, waitLimit) }

func (p *page) waitForIn(what, js string, limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := p.check(js)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: timed out after %s waiting for %s (last error: %v)\n%s", p.user.Name, limit, what, err, p.debug())
		}
		time.Sleep(pollEvery)
	}
}

// debug describes the page for a failure message and saves a screenshot.
func (p *page) debug() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash + '\n' + document.body.innerText.slice(0, 1500)`))
	if err != nil {
		return "(page not readable: " + err.Error() + ")"
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		f := filepath.Join(os.TempDir(), "openlines-e2e-"+strings.ReplaceAll(p.t.Name(), "/", "_")+".png")
		if os.WriteFile(f, png, 0o644) == nil {
			text += "\n(screenshot: " + f + ")"
		}
	}
	return "page: " + text
}

// strings returns a JavaScript expression's array of strings.
func (p *page) strings(js string) []string {
	p.t.Helper()
	var out []string
	p.eval(js, &out)
	return out
}

// listIDs lists the dialog ids of the list the page shows.
func (p *page) listIDs() []string {
	return p.strings(`[...document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]')].map(e => e.dataset.dialogId)`)
}

// screenshot saves the 1280×800 viewport as <name>.png (in docs/screenshots
// with OPENLINES_SCREENSHOTS=1).
func (p *page) screenshot(name string) {
	p.t.Helper()
	p.saveScreenshot(name, chromedp.CaptureScreenshot())
}

// screenshotPage saves the whole page, 1280 wide, from the top.
func (p *page) screenshotPage(name string) {
	p.t.Helper()
	p.eval(`window.scrollTo(0, 0); true`, nil)
	p.saveScreenshot(name, chromedp.FullScreenshot(100))
}

func (p *page) saveScreenshot(name string, shot chromedp.Action[[]byte]) {
	p.t.Helper()
	// Blur the focus (no caret) and drop passing notifications.
	p.eval(`document.activeElement && document.activeElement.blur(); document.querySelectorAll('.toast').forEach(t => t.remove()); true`, nil)
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if _, err := pngpkg.DecodeConfig(bytes.NewReader(png)); err != nil {
		p.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	// The pictures in docs/ are refreshed on request, so that an ordinary
	// test run leaves the tree clean: OPENLINES_SCREENSHOTS=1 go test ./internal/web/
	dir := p.t.TempDir()
	if os.Getenv("OPENLINES_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// jsq quotes a Go string as a JavaScript string literal.
func jsq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itemSel(dialogID string) string {
	return `[data-testid=dialog-list] [data-testid=dialog-item][data-dialog-id="` + dialogID + `"]`
}

// openDialog clicks a dialog in the list and waits for its chat.
func (p *page) openDialog(dialogID string) {
	p.t.Helper()
	p.click(itemSel(dialogID))
	p.waitFor("the chat of "+dialogID, `location.hash.endsWith(`+jsq(dialogID)+`) && !!document.querySelector('[data-testid=chat-title]')`)
}

// take opens an offered dialog and takes it.
func (p *page) take(dialogID string) {
	p.t.Helper()
	p.openDialog(dialogID)
	p.waitFor("the take button", `!!document.querySelector('[data-testid=action-take]')`)
	p.click(`[data-testid=action-take]`)
	p.waitFor("the dialog in work", `document.querySelector('[data-testid=chat-head] [data-testid=status-chip]')?.dataset.status === 'in_work'`)
}

// send types text into the composer and presses Enter as a keyboard
// does: keydown and keyup only. (SendKeys with "\n" adds a char event that
// inserts a line break although the page cancelled the keydown.)
func (p *page) send(text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), text))
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13}); err != nil {
			p.t.Fatalf("%s: press Enter: %v", p.user.Name, err)
		}
	}
}

// waitMessage waits until the open chat shows a message with text in the direction.
func (p *page) waitMessage(direction, text string) {
	p.t.Helper()
	p.waitFor(direction+" message "+text, `[...document.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=`+direction+`] [data-testid=message-text]')].some(e => e.textContent === `+jsq(text)+`)`)
}

// --- scenarios ---

// Two operators on an evenly line: each gets one of two inquiries without
// a reload, takes it, and the chat carries messages both ways.
func TestEvenlyTwoOperators(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID, pavel.ID}, nil)
	po, pp := e.signIn(olga), e.signIn(pavel)

	anna := e.customer(ch, "anna", "Anna Petrova", "a1", "Hello! My order #1042 has not arrived yet.")
	boris := e.customer(ch, "boris", "Boris Kuznetsov", "b1", "Can I change the delivery address for my order?")

	one := `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 1`
	po.waitFor("one offer for Olga", one)
	pp.waitFor("one offer for Pavel", one)
	got := append(po.listIDs(), pp.listIDs()...)
	slices.Sort(got)
	want := []string{anna.DialogID, boris.DialogID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("offers: Olga and Pavel see %v, want one each of %v", got, want)
	}
	mine := map[*page]string{po: po.listIDs()[0], pp: pp.listIDs()[0]}
	for p, id := range mine {
		p.take(id)
	}

	// Operator → customer: typed in the composer, sent with Enter.
	op, dlg := po, mine[po]
	reply := "Hello! Let me check that for you."
	op.send(reply)
	op.waitMessage("out", reply)
	e.eventually("the reply in GET messages", waitLimit, func() bool {
		for _, m := range e.messages(dlg) {
			if m.Direction == dialog.Out && m.Kind == dialog.KindText && m.Text == reply && m.AuthorID != nil && *m.AuthorID == olga.ID {
				return true
			}
		}
		return false
	})
	if v, _ := op.check(`document.querySelector('[data-testid=composer]').value === ''`); !v {
		t.Error("the composer was not cleared after sending")
	}

	// Customer → operator: appears in the open chat.
	ext := "anna"
	if dlg == boris.DialogID {
		ext = "boris"
	}
	if st := e.api("POST", "/api/v1/channels/"+ch.ID+"/typing", map[string]any{"customer": map[string]string{"external_id": ext}}, nil); st != http.StatusNoContent {
		t.Fatalf("customer typing: status %d", st)
	}
	op.waitFor("the customer typing", `document.querySelector('[data-testid=typing]').textContent === 'The customer is typing…'`)
	answer := "Thank you, I will wait."
	e.customer(ch, ext, "", ext+"2", answer)
	op.waitMessage("in", answer)

	// A private note, shown apart from the conversation.
	op.click(`[data-testid=note-toggle]`)
	note := "VIP customer: offer free express shipping."
	op.send(note)
	op.waitMessage("system", note)
	op.click(`[data-testid=note-toggle]`)

	// More customers, for the screenshots of a working inbox.
	e.customer(ch, "maria", "Maria Sokolova", "m1", "Do you ship to Kazakhstan?")
	e.customer(ch, "james", "James Wilson", "j1", "Hi, I was charged twice for order 2291.")
	e.customer(ch, "li", "Li Wei", "l1", "Is the blue jacket available in size M?")
	po.waitFor("new offers for Olga", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length >= 1`)
	op.send("Your parcel is at the local post office, tracking RU-55821.")
	op.waitMessage("out", "Your parcel is at the local post office, tracking RU-55821.")
	op.screenshot("inbox")
	op.click(`[data-testid=tab-mine]`)
	op.waitFor("Mine lists the dialog", `!!document.querySelector('`+itemSel(dlg)+`')`)
	op.fill(`[data-testid=composer]`, "Would you like me to arrange courier delivery instead?")
	op.screenshot("chat")
}

// strictly: an ignored offer moves to the next operator after queue_time.
func TestStrictlyOfferMovesOn(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	_, ch := e.line("Sales", line.ModeStrictly, []string{olga.ID, pavel.ID}, func(s *line.Settings) { s.QueueTime = 2 })
	po, pp := e.signIn(olga), e.signIn(pavel)

	d := e.customer(ch, "c1", "Nina Orlova", "n1", "I would like a quote for 40 office chairs.")
	has := `!!document.querySelector('` + itemSel(d.DialogID) + `')`
	po.waitFor("the offer to Olga, first in the queue", has)
	if ok, _ := pp.check(has); ok {
		t.Fatal("Pavel sees the offer although Olga is first in a strictly line")
	}
	pp.waitForIn("the offer moving on to Pavel", has, 10*time.Second)
	po.waitFor("the offer leaving Olga", "!"+has)
}

// all: every operator sees the inquiry; when one takes it, it disappears
// from the others' lists within a second.
func TestAllModeTakeRemovesOffer(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	_, ch := e.line("Hotline", line.ModeAll, []string{olga.ID, pavel.ID}, nil)
	po, pp := e.signIn(olga), e.signIn(pavel)

	d := e.customer(ch, "c1", "Igor Belov", "i1", "My payment failed, please help.")
	has := `!!document.querySelector('` + itemSel(d.DialogID) + `')`
	po.waitFor("the offer to Olga", has)
	pp.waitFor("the offer to Pavel", has)

	po.openDialog(d.DialogID)
	po.waitFor("the take button", `!!document.querySelector('[data-testid=action-take]')`)
	po.click(`[data-testid=action-take]`)
	clicked := time.Now()
	for {
		ok, err := pp.check("!" + has)
		if err == nil && ok {
			break
		}
		if time.Since(clicked) > time.Second {
			t.Fatalf("the taken dialog was still in Pavel's list %s after Olga's take", time.Since(clicked))
		}
		time.Sleep(pollEvery)
	}
	t.Logf("gone from the other operator's list %s after the take", time.Since(clicked).Round(time.Millisecond))
	po.waitFor("Olga holds the dialog", `document.querySelector('[data-testid=chat-head] [data-testid=status-chip]')?.dataset.status === 'in_work'`)
}

// Transfer from the chat to a line found by typing part of its name.
func TestTransferToLine(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	billing, _ := e.line("Billing and payments", line.ModeEvenly, []string{pavel.ID}, nil)
	po, pp := e.signIn(olga), e.signIn(pavel)

	d := e.customer(ch, "c1", "Sergey Volkov", "s1", "I need an invoice for my company.")
	po.waitFor("the offer", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
	po.take(d.DialogID)

	po.click(`[data-testid=action-transfer]`)
	po.waitFor("the transfer search", `!!document.querySelector('[data-testid=transfer-search]')`)
	po.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=transfer-search]`), "bill"))
	target := `[data-testid=transfer-target][data-kind=line][data-id="` + billing.ID + `"]`
	po.waitFor("the line found by part of its name", `(() => {
		const all = [...document.querySelectorAll('[data-testid=transfer-target][data-kind=line]')];
		return all.length === 1 && !!document.querySelector('`+target+`') && all[0].textContent.includes('Billing and payments');
	})()`)
	po.screenshot("transfer")
	po.click(target)
	po.waitFor("the transfer dialog closed", `!document.querySelector('[data-testid=transfer-dialog]')`)

	e.eventually("the dialog on the billing line", waitLimit, func() bool {
		var got dialog.Dialog
		e.api("GET", "/api/v1/dialogs/"+d.DialogID, nil, &got)
		return got.LineID == billing.ID
	})
	pp.waitFor("the offer to the billing operator", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
}

// Hostile customer text is shown as text and never runs.
func TestHostileTextShownAsText(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	_, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.signIn(olga)

	const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`
	const hostileName = `<b onmouseover="window.__pwned=1">Mallory</b><img src=x onerror="window.__pwned=1">`
	d := e.customer(ch, "evil", hostileName, "x1", hostile)
	item := itemSel(d.DialogID)
	po.waitFor("the dialog in the list", `!!document.querySelector('`+item+`')`)
	po.waitFor("the hostile preview as text", `document.querySelector('`+item+` [data-testid=dialog-preview]').textContent === `+jsq(hostile))
	if ok, _ := po.check(`document.querySelector('` + item + ` [data-testid=dialog-name]').textContent === ` + jsq(hostileName)); !ok {
		t.Error("the customer's name is not shown as the literal text")
	}
	po.openDialog(d.DialogID)
	po.waitMessage("in", hostile)
	if ok, _ := po.check(`document.querySelector('[data-testid=chat-title]').textContent === ` + jsq(hostileName)); !ok {
		t.Error("the chat title is not the literal name")
	}
	// Move the mouse over the name, as a handler in markup would need.
	po.do(chromedp.Click(chromedp.CSS(`[data-testid=chat-title]`)))
	if ok, _ := po.check(`typeof window.__pwned === 'undefined' && document.querySelectorAll('#app img, #app script, #app b').length === 0`); !ok {
		t.Fatal("customer text became markup or ran as script")
	}
}

// Line settings saved through the forms are what the API returns; invalid
// values show the server's message next to the field.
func TestLineSettingsForms(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	e.user("dmitry@acme.test", "Dmitry Sokolov", user.Director)
	l, _ := e.line("Sales", line.ModeEvenly, []string{olga.ID}, nil)
	e.line("Support", line.ModeAll, []string{olga.ID, pavel.ID}, nil)
	pa := e.signIn(e.admin)

	saved := func(tab string) {
		t.Helper()
		pa.click(`[data-testid=line-form-` + tab + `] [data-testid=save]`)
		pa.waitFor(tab+" saved", `document.querySelector('[data-testid=line-form-`+tab+`] [data-testid=save-status]')?.classList.contains('ok')`)
	}
	fieldError := func(field, want string) {
		t.Helper()
		pa.waitFor("the error next to "+field, `(() => {
			const el = document.querySelector('[data-error-for="`+field+`"]');
			return !!el && !el.hidden && el.textContent === `+jsq(want)+` && !!el.closest('.field, .form-section');
		})()`)
	}
	serverMessage := func(patch any) string {
		t.Helper()
		var r struct {
			Error struct{ Field, Message string } `json:"error"`
		}
		if st := e.api("PATCH", "/api/v1/lines/"+l.ID, patch, &r); st != http.StatusBadRequest {
			t.Fatalf("PATCH %v: status %d, want 400", patch, st)
		}
		return r.Error.Message
	}

	// The list.
	pa.click(`[data-testid=nav-lines]`)
	pa.waitFor("the lines table", `document.querySelectorAll('[data-testid=line-row]').length === 2`)
	pa.screenshotPage("lines")

	// Queue.
	pa.click(`[data-testid=line-row][data-line-id="` + l.ID + `"] [data-testid=line-link]`)
	pa.waitFor("the queue tab", `!!document.querySelector('[data-testid=line-form-queue]')`)
	pa.click(`[data-testid=mode-strictly]`)
	pa.do(chromedp.SetValue(chromedp.CSS(`[data-testid=queue-add-select]`), pavel.ID))
	pa.click(`[data-testid=queue-add]`)
	pa.waitFor("Pavel in the queue", `document.querySelectorAll('[data-testid=queue-item]').length === 2`)
	pa.click(`[data-testid=queue-item][data-user-id="` + pavel.ID + `"] [data-testid=queue-up]`)
	pa.fill(`[name=queue_time]`, "45")
	pa.fill(`[name="queue_time.unit"]`, "1")
	pa.click(`[name=limit_enabled]`)
	pa.fill(`[name=limit]`, "3")
	pa.fill(`[name=limit_excludes]`, "waiting_client")
	saved("queue")
	got := e.getLine(l.ID)
	if got.Mode != line.ModeStrictly || !slices.Equal(got.Queue, []string{pavel.ID, olga.ID}) || got.QueueTime != 45 ||
		!got.LimitEnabled || got.Limit != 3 || got.LimitExcludes != line.ExcludeWaitingClient {
		t.Fatalf("queue settings after save: mode %s queue %v queue_time %d limit %v/%d excludes %s",
			got.Mode, got.Queue, got.QueueTime, got.LimitEnabled, got.Limit, got.LimitExcludes)
	}
	pa.screenshotPage("line-queue")
	pa.fill(`[name=queue_time]`, "0")
	pa.click(`[data-testid=line-form-queue] [data-testid=save]`)
	fieldError("queue_time", "Must be between 1 and 43,200 seconds") // in the unit shown (fielderrors.js)
	if e.getLine(l.ID).QueueTime != 45 {
		t.Fatal("an invalid queue_time changed the line")
	}

	// Working hours.
	pa.click(`[data-testid=line-tab-hours]`)
	pa.waitFor("the hours tab", `!!document.querySelector('[data-testid=line-form-hours]')`)
	pa.click(`[name="working_hours.enabled"]`)
	pa.fill(`[name="working_hours.timezone"]`, "Europe/Moscow")
	pa.click(`[data-testid=interval-add-sat]`)
	pa.fill(`[name="working_hours.week.sat.0.from"]`, "10:00")
	pa.fill(`[name="working_hours.week.sat.0.to"]`, "14:00")
	pa.click(`[data-testid=interval-add-mon]`)
	pa.fill(`[name="working_hours.week.mon.1.from"]`, "19:00")
	pa.fill(`[name="working_hours.week.mon.1.to"]`, "21:30")
	pa.click(`[data-testid=day-off-sun]`)
	pa.fill(`[data-testid=holiday-input]`, "01-01")
	pa.click(`[data-testid=holiday-add]`)
	pa.fill(`[data-testid=holiday-input]`, "2026-05-09")
	pa.click(`[data-testid=holiday-add]`)
	saved("hours")
	wh := e.getLine(l.ID).WorkingHours
	wantMon := []line.Interval{{From: "09:00", To: "18:00"}, {From: "19:00", To: "21:30"}}
	if !wh.Enabled || wh.Timezone != "Europe/Moscow" || !slices.Equal(wh.Week["sat"], []line.Interval{{From: "10:00", To: "14:00"}}) ||
		!slices.Equal(wh.Week["mon"], wantMon) || !slices.Equal(wh.DaysOff, []string{"sun"}) || !slices.Equal(wh.Holidays, []string{"01-01", "2026-05-09"}) {
		t.Fatalf("working hours after save: %+v", wh)
	}
	pa.screenshotPage("line-hours")
	pa.fill(`[name="working_hours.timezone"]`, "Mars/Olympus")
	pa.click(`[data-testid=line-form-hours] [data-testid=save]`)
	fieldError("working_hours.timezone", serverMessage(map[string]any{"working_hours": map[string]any{"timezone": "Mars/Olympus"}}))
	pa.fill(`[name="working_hours.timezone"]`, "Europe/Moscow")
	pa.fill(`[name="working_hours.week.sat.0.to"]`, "09:00")
	pa.click(`[data-testid=line-form-hours] [data-testid=save]`)
	fieldError("working_hours.week.sat", serverMessage(map[string]any{"working_hours": map[string]any{"week": map[string]any{"sat": []map[string]string{{"from": "10:00", "to": "09:00"}}}}}))

	// Quality rating.
	pa.click(`[data-testid=line-tab-rating]`)
	pa.waitFor("the rating tab", `!!document.querySelector('[data-testid=line-form-rating]')`)
	pa.click(`[data-testid=rating_scale-stars]`)
	pa.fill(`[name=rating_window]`, "10")
	pa.fill(`[name="rating_window.unit"]`, "60")
	pa.click(`[name=close_on_rating]`)
	pa.fill(`[name=rating_text]`, "Please rate our answer from 1 to 5 stars.")
	saved("rating")
	got = e.getLine(l.ID)
	if got.RatingScale != line.RatingStars || got.RatingWindow != 600 || !got.CloseOnRating || got.RatingText != "Please rate our answer from 1 to 5 stars." {
		t.Fatalf("rating after save: scale %s window %d close_on_rating %v text %q", got.RatingScale, got.RatingWindow, got.CloseOnRating, got.RatingText)
	}
	pa.screenshotPage("line-rating")

	// Auto-replies.
	pa.click(`[data-testid=line-tab-autoreplies]`)
	pa.waitFor("the auto-replies tab", `!!document.querySelector('[data-testid=line-form-autoreplies]')`)
	pa.click(`[name=no_answer_enabled]`)
	pa.fill(`[name=no_answer_time]`, "3")
	pa.fill(`[name="no_answer_time.unit"]`, "60")
	pa.fill(`[name=welcome_text]`, "Hi! This is Acme sales. How can we help?")
	saved("autoreplies")
	got = e.getLine(l.ID)
	if !got.NoAnswerEnabled || got.NoAnswerTime != 180 || got.WelcomeText != "Hi! This is Acme sales. How can we help?" {
		t.Fatalf("auto-replies after save: no_answer %v/%d welcome %q", got.NoAnswerEnabled, got.NoAnswerTime, got.WelcomeText)
	}
	pa.screenshotPage("line-autoreplies")

	// Channels.
	pa.click(`[data-testid=line-tab-channels]`)
	pa.waitFor("the channels", `document.querySelectorAll('[data-testid=channel-row]').length === 1`)
	pa.fill(`[data-testid=channel-name]`, "Partner portal")
	pa.click(`[data-testid=channel-create]`)
	pa.waitFor("the new api channel", `[...document.querySelectorAll('[data-testid=channel-row]')].some(r => r.textContent.includes('Partner portal') && r.querySelector('[data-testid=channel-type]').textContent === 'API')`)
	// Its key, shown once, posts the channel's messages without any user's token.
	pa.waitFor("the new channel's key", `document.querySelector('[data-testid=channel-key-secret]')?.textContent.startsWith('olc_')`)
	keySecret := pa.strings(`[document.querySelector('[data-testid=channel-key-secret]').textContent]`)[0]
	portal := pa.strings(`[[...document.querySelectorAll('[data-testid=channel-row]')].find(r => r.textContent.includes('Partner portal')).dataset.channelId]`)[0]
	if st := e.apiAs(keySecret, "POST", "/api/v1/channels/"+portal+"/messages", map[string]any{"customer": map[string]string{"external_id": "p1"}, "message": map[string]string{"external_id": "p1-1", "text": "Hi"}}, nil); st != http.StatusCreated {
		t.Fatalf("inbound with the key the page showed: status %d", st)
	}
	pa.screenshotPage("line-channels")

	// Other.
	pa.click(`[data-testid=line-tab-other]`)
	pa.waitFor("the other tab", `!!document.querySelector('[data-testid=line-form-other]')`)
	pa.fill(`[data-testid=line-form-other] [name=name]`, "Sales EU")
	pa.fill(`[name=operator_data]`, "hidden")
	pa.fill(`[name=operator_data_name]`, "Acme Sales")
	saved("other")
	got = e.getLine(l.ID)
	if got.Name != "Sales EU" || got.OperatorData != line.OperatorDataHidden || got.OperatorDataName != "Acme Sales" {
		t.Fatalf("other after save: name %q operator_data %s %q", got.Name, got.OperatorData, got.OperatorDataName)
	}
	pa.waitFor("the new title", `document.querySelector('[data-testid=line-title]').textContent === 'Sales EU'`)
	pa.screenshotPage("line-other")
	pa.fill(`[data-testid=delete-confirm]`, "Sales EU")
	pa.click(`[data-testid=delete-line]`)
	pa.waitFor("back at the list", `location.hash === '#/lines' && document.querySelectorAll('[data-testid=line-row]').length === 1`)
	if st := e.api("GET", "/api/v1/lines/"+l.ID, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the deleted line answers %d, want 404", st)
	}

	// Users and the workspace.
	pa.click(`[data-testid=nav-users]`)
	pa.waitFor("the users", `document.querySelectorAll('[data-testid=user-row]').length === 4`)
	pa.fill(`[data-testid=user-name]`, "Elena Fedorova")
	pa.fill(`[data-testid=user-email]`, "elena@acme.test")
	pa.fill(`[data-testid=user-password]`, "long enough password")
	pa.click(`[data-testid=user-create]`)
	pa.waitFor("the new user", `document.querySelectorAll('[data-testid=user-row]').length === 5`)
	pa.click(`[data-testid=user-row][data-user-id="` + olga.ID + `"] [data-testid=user-absences]`)
	pa.waitFor("Olga's absences", `!!document.querySelector('[data-testid=absence-none]')`)
	pa.fill(`[data-testid=absence-starts]`, "2026-07-01T09:00")
	pa.fill(`[data-testid=absence-ends]`, "2026-07-14T18:00")
	pa.fill(`[data-testid=absence-note]`, "Summer vacation")
	pa.click(`[data-testid=absence-add]`)
	pa.waitFor("the absence", `document.querySelectorAll('[data-testid=absence]').length === 1`)
	pa.screenshotPage("users")
	pa.click(`[data-testid=nav-workspace]`)
	pa.waitFor("the workspace", `!!document.querySelector('[data-testid=ws-usage]')`)
	pa.screenshotPage("workspace")
}

// Switching to Russian changes the interface and persists (user.locale).
func TestRussianPersists(t *testing.T) {
	e := newEnv(t)
	e.line("Support", line.ModeEvenly, []string{e.admin.ID}, nil)
	pa := e.open(e.admin)
	pa.waitFor("the sign-in form", `!!document.querySelector('[data-testid=login-email]')`)
	pa.screenshot("login")
	pa.login()
	texts := `[document.querySelector('[data-testid=tab-offered] .tab-label').textContent,
		document.querySelector('[data-testid=nav-inbox]').textContent,
		document.querySelector('[data-testid=sign-out]').textContent]`
	if got, want := pa.strings(texts), []string{"Offered to me", "Inbox", "Sign out"}; !slices.Equal(got, want) {
		t.Fatalf("English interface: %q, want %q", got, want)
	}
	pa.click(`[data-testid=lang-ru]`)
	ru := []string{"Предложены", "Диалоги", "Выйти"}
	pa.waitFor("the Russian interface", `JSON.stringify(`+texts+`) === `+jsq(mustJSON(ru)))
	e.eventually("the saved locale", waitLimit, func() bool {
		u, err := e.stack.Store.GetUser(e.ctx, e.ws.ID, e.admin.ID)
		return err == nil && u.Locale == "ru"
	})
	pa.do(chromedp.Reload())
	pa.waitFor("Russian after a reload", `!!document.querySelector('[data-testid=tab-offered]') && JSON.stringify(`+texts+`) === `+jsq(mustJSON(ru)))
	if ok, _ := pa.check(`document.documentElement.lang === 'ru'`); !ok {
		t.Error("the document language is not ru")
	}
	pa.click(`[data-testid=nav-lines]`)
	pa.waitFor("the lines page in Russian", `document.querySelector('h1')?.textContent === 'Открытые линии'`)

	// The Russian inbox with a conversation, for the documentation.
	_, ch := e.line("Продажи", line.ModeEvenly, []string{e.admin.ID}, nil)
	d := e.customer(ch, "ru1", "Мария Соколова", "r1", "Здравствуйте! Можно оплатить заказ по счёту?")
	pa.click(`[data-testid=nav-inbox]`)
	pa.waitFor("the offer", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
	pa.take(d.DialogID)
	pa.send("Добрый день! Да, пришлём счёт на почту в течение часа.")
	pa.waitMessage("out", "Добрый день! Да, пришлём счёт на почту в течение часа.")
	pa.screenshot("inbox-ru")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
