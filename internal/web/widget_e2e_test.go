package web_test

// The web-chat widget (static/widget.js, docs/WIDGET.md) as a site's
// visitor meets it: the script is served by OpenLines and embedded in a
// page served by another httptest server, so from another origin, as on a
// real site. Every test runs the whole stack (no fake of the /widget/v1
// routes: the real server can run), with an operator in another browser
// context where one is needed.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/web"
)

// maxWidgetGzip is the widget's budget (issue 13): all of it, gzipped.
const maxWidgetGzip = 30 << 10

func TestWidgetScriptServed(t *testing.T) {
	h := web.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/widget.js", nil))
	hd := rec.Header()
	if rec.Code != http.StatusOK || hd.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		hd.Get("Cross-Origin-Resource-Policy") != "cross-origin" || hd.Get("Cache-Control") != "no-cache" ||
		hd.Get("ETag") == "" || hd.Get("Content-Security-Policy") != "" {
		t.Fatalf("GET /widget.js: %d %v", rec.Code, hd)
	}
	src, err := os.ReadFile("static/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Body.Bytes(), src) {
		t.Fatal("GET /widget.js is not static/widget.js")
	}
	req := httptest.NewRequest("GET", "/widget.js", nil)
	req.Header.Set("If-None-Match", hd.Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("GET /widget.js with its ETag: %d, want 304", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/widget.js", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /widget.js: %d, want 405", rec.Code)
	}

	// The budget: the script is the whole widget (its CSS and strings are in it).
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	w.Write(src)
	w.Close()
	t.Logf("widget.js: %d bytes, %d gzipped", len(src), gz.Len())
	if gz.Len() > maxWidgetGzip {
		t.Fatalf("widget.js is %d bytes gzipped, over the budget of %d", gz.Len(), maxWidgetGzip)
	}
	// A classic script: nothing a module or a bundler would need.
	for _, f := range []string{"\nimport ", "\nexport ", "import(", "require("} {
		if strings.Contains(string(src), f) {
			t.Errorf("widget.js contains %q: it must be one classic script", f)
		}
	}
}

// --- the visitor's page ---

// sitePage is the page of the site that embeds the widget. Its inline
// script measures the bubble: when widget.js finished loading (resource
// timing) and when the bubble was on the page and painted. Its style
// sheet is hostile: the widget must look the same under it.
var sitePage = template.Must(template.New("site").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme shop</title>
<style>
* { color: #f0f !important; font-size: 31px !important; }
button, textarea, div { display: inline !important; border: 9px solid lime !important; }
</style>
<script>
window.__t = {};
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name.includes('/widget.js')) window.__t.loaded = e.responseEnd; })
  .observe({type: 'resource', buffered: true});
new MutationObserver((ms, o) => {
  const w = document.querySelector('openlines-widget');
  if (!w) return;
  o.disconnect();
  window.__t.bubble = performance.now();
  requestAnimationFrame(() => requestAnimationFrame(() => { window.__t.painted = performance.now(); }));
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
</head>
<body>
<h1>Acme shop</h1>
<p>Blue jacket, size M — 49 €</p>
<script src="{{.Server}}/widget.js" data-channel="{{.Channel}}"{{if .Locale}} data-locale="{{.Locale}}"{{end}} async></script>
</body>
</html>
`))

type siteOpts struct {
	Server, Channel, Lang, Locale string
}

// site serves the embedding page from an origin of its own.
// The page reads *o at each request, so a test may fill in the channel
// once it knows the site's origin.
func site(t *testing.T, o *siteOpts) *httptest.Server {
	t.Helper()
	if o.Lang == "" {
		o.Lang = "en"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := sitePage.Execute(w, o); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// visit opens url in a browser context of its own (a visitor's own
// localStorage) with a viewport of w×h.
func visit(t *testing.T, browser context.Context, url string, w, h int64) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	p := &page{t: t, ctx: ctx, user: user.User{Name: "visitor"}}
	p.do(chromedp.EmulateViewport(w, h), chromedp.Navigate(url))
	return p
}

// wq is a JavaScript expression for the element of the widget sel finds.
func wq(sel string) string {
	return `document.querySelector('openlines-widget')?.shadowRoot?.querySelector(` + jsq(sel) + `)`
}

func (p *page) widgetReady() {
	p.t.Helper()
	p.waitFor("the widget's config", `document.querySelector('openlines-widget')?.shadowRoot?.querySelector('[data-testid=widget]')?.dataset.ready === 'true'`)
}

func (p *page) wclick(sel string) {
	p.t.Helper()
	p.eval(`(() => { const e = `+wq(sel)+`; if (!e) throw new Error('no '+`+jsq(sel)+`); e.click(); return true; })()`, nil)
}

// wopen clicks the bubble and waits for the window.
func (p *page) wopen() {
	p.t.Helper()
	p.wclick(`[data-testid=bubble]`)
	p.waitFor("the open window", ``+wq(`[data-testid=window]`)+`?.hidden === false`)
}

// wtype types text into the widget's composer: each keystroke an input
// event, as a keyboard would.
func (p *page) wtype(text string) {
	p.t.Helper()
	p.eval(`(() => { const e = `+wq(`[data-testid=composer]`)+`; e.focus(); e.value = `+jsq(text)+`; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, nil)
}

// wsend types text and presses Enter.
func (p *page) wsend(text string) {
	p.t.Helper()
	p.wtype(text)
	p.key("Enter", "Enter", 13, 0)
}

// key presses a key on the focused element (keydown and keyup).
func (p *page) key(key, code string, vk int64, mods int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: key, Code: code, WindowsVirtualKeyCode: vk, Modifiers: mods}); err != nil {
			p.t.Fatalf("press %s: %v", key, err)
		}
	}
}

// wmsg is a message as the widget shows it.
type wmsg struct {
	ID, Direction, Text string
	Pending             bool
}

func (p *page) wmessages() []wmsg {
	p.t.Helper()
	var out []wmsg
	p.eval(`[...(document.querySelector('openlines-widget')?.shadowRoot?.querySelectorAll('[data-testid=messages] [data-testid=message]') || [])].map(r => ({
		ID: r.dataset.id || '', Direction: r.dataset.direction, Text: r.querySelector('[data-testid=message-text]').textContent, Pending: r.dataset.pending === 'true'}))`, &out)
	return out
}

// wwaitMessage waits for a message of the server (not pending) with text.
func (p *page) wwaitMessage(direction, text string) {
	p.t.Helper()
	p.waitFor("the widget's "+direction+" message "+text, `[...(document.querySelector('openlines-widget')?.shadowRoot?.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=`+direction+`]') || [])]
		.some(r => r.dataset.id && r.querySelector('[data-testid=message-text]').textContent === `+jsq(text)+`)`)
}

// The bubble is on the page before the config arrives, fast: measured
// from the end of the script's download to the bubble painted.
func TestWidgetFirstPaint(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, nil, nil)
	opts := &siteOpts{Server: e.srv.URL}
	s := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{s.URL}})
	var painted []float64
	for i := range 5 {
		p := visit(t, e.browser, s.URL, 1280, 800)
		p.waitFor("the bubble painted", `window.__t.painted > 0 && window.__t.loaded > 0`)
		var tm struct{ Loaded, Bubble, Painted float64 }
		p.eval(`({Loaded: window.__t.loaded, Bubble: window.__t.bubble, Painted: window.__t.painted})`, &tm)
		t.Logf("run %d: bubble on the page %.1f ms, painted %.1f ms after widget.js loaded", i+1, tm.Bubble-tm.Loaded, tm.Painted-tm.Loaded)
		painted = append(painted, tm.Painted-tm.Loaded)
	}
	slices.Sort(painted)
	t.Logf("bubble painted after widget.js loaded: median %.1f ms, worst %.1f ms of %d fresh visitors", painted[2], painted[4], len(painted))
	if painted[2] > 100 {
		t.Fatalf("the bubble was painted %.1f ms (median) after the script loaded, over 100 ms", painted[2])
	}
}

// A visitor writes on the site, an operator takes and answers in the
// inbox; typing shows both ways; hostile text stays text on both sides;
// a reload shows the conversation once; the rating after finish lands on
// the session.
func TestWidgetConversation(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	l, _ := e.line("Shop", line.ModeEvenly, []string{olga.ID}, func(s *line.Settings) {
		s.WelcomeEnabled = false
		s.RatingEnabled, s.RatingScale = true, line.RatingStars
		s.CloseOnRating = false
	})
	opts := &siteOpts{Server: e.srv.URL}
	shop := site(t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{shop.URL}, "greeting": "Hi! How can we help?", "color": "#7c3aed"})

	po := e.signIn(olga)
	pv := visit(t, e.browser, shop.URL, 1280, 800)
	pv.widgetReady()
	pv.wopen()
	if ok, _ := pv.check(wq(`[data-testid=greeting]`) + `.textContent === 'Hi! How can we help?'`); !ok {
		t.Fatal("no greeting")
	}
	pv.wsend("Hello! Is the blue jacket available in size M?")
	pv.wwaitMessage("in", "Hello! Is the blue jacket available in size M?")

	po.waitFor("the widget's dialog offered", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 1`)
	dlg := po.listIDs()[0]
	po.take(dlg)
	po.waitMessage("in", "Hello! Is the blue jacket available in size M?")

	// Typing, both ways.
	pv.wtype("One more")
	po.waitFor("the visitor typing", `document.querySelector('[data-testid=typing]').textContent === 'The customer is typing…'`)
	po.do(chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "Let me"))
	pv.waitFor("the operator typing in the widget", wq(`[data-testid=typing]`)+`.textContent.includes('typing')`)
	po.fill(`[data-testid=composer]`, "")
	po.send("Yes, we have it in size M.")
	pv.wwaitMessage("out", "Yes, we have it in size M.")
	if got := pv.strings(`[` + wq(`[data-testid=author]`) + `?.textContent || '']`)[0]; !strings.Contains(got, "Olga Smirnova") {
		t.Fatalf("the answer's author in the widget: %q", got)
	}
	pv.waitFor("the typing cleared by the answer", wq(`[data-testid=typing]`)+`.textContent === ''`)

	// Hostile text from either side is text in both.
	pv.wtype("")
	// An alert() that ran would block the page: the waits below would time out.
	const fromVisitor = `<img src=x onerror=alert(1)>`
	const fromOperator = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`
	pv.wsend(fromVisitor)
	po.waitMessage("in", fromVisitor)
	po.send(fromOperator)
	pv.wwaitMessage("out", fromOperator)
	if ok, _ := pv.check(`typeof window.__pwned === 'undefined' && document.querySelector('openlines-widget').shadowRoot.querySelectorAll('[data-testid=messages] img:not([data-testid=avatar]), [data-testid=messages] script').length === 0`); !ok {
		t.Fatal("hostile text became markup in the widget")
	}
	if ok, _ := po.check(`typeof window.__pwned === 'undefined' && document.querySelectorAll('[data-testid=messages] [data-testid=message-text] img, [data-testid=messages] script').length === 0`); !ok {
		t.Fatal("hostile text became markup in the inbox")
	}
	pv.screenshot("widget-conversation")

	// A reload: the whole conversation, once.
	want := pv.wmessages()
	pv.do(chromedp.Reload())
	pv.widgetReady()
	pv.wopen()
	pv.waitFor("the history after the reload", fmt.Sprintf(`document.querySelector('openlines-widget').shadowRoot.querySelectorAll('[data-testid=message]').length === %d`, len(want)))
	time.Sleep(300 * time.Millisecond) // the socket's replay would add duplicates now
	got := pv.wmessages()
	if len(got) != len(want) {
		t.Fatalf("after the reload the widget shows %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Text != want[i].Text || got[i].Pending {
			t.Fatalf("after the reload message %d is %+v, want %+v", i, got[i], want[i])
		}
	}
	var server []string
	for _, m := range e.messages(dlg) {
		if (m.Direction == dialog.In || m.Direction == dialog.Out) && m.Kind == dialog.KindText {
			server = append(server, m.Text)
		}
	}
	var shown []string
	for _, m := range got {
		shown = append(shown, m.Text)
	}
	if strings.Join(shown, "\n") != strings.Join(server, "\n") {
		t.Fatalf("the widget shows %q, the dialog has %q", shown, server)
	}

	// Finish: the widget offers the stars, the rating lands on the session.
	po.waitFor("the finish button", `!!document.querySelector('[data-testid=action-finish]:not([disabled])')`)
	po.click(`[data-testid=action-finish]`)
	pv.waitFor("the rating buttons", `document.querySelector('openlines-widget').shadowRoot.querySelectorAll('[data-testid=rate]').length === 5`)
	pv.wclick(`[data-testid=rate][data-value="5"]`)
	pv.waitFor("the thanks", `!!`+wq(`[data-testid=rating-thanks]`))
	e.eventually("the rating on the session", waitLimit, func() bool {
		ss := e.sessions(dlg)
		return len(ss) > 0 && ss[0].Rating != nil && ss[0].Rating.Value == 5
	})
}

// Out of working hours the widget says so (the channel's off-hours text).
func TestWidgetOffHours(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	const text = "We are closed now; we answer tomorrow from 9:00."
	l, _ := e.line("Shop", line.ModeEvenly, []string{olga.ID}, func(s *line.Settings) {
		// Open one minute a week, a week from now: closed now, whatever the day.
		s.WorkingHours.Enabled = true
		s.WorkingHours.Timezone = "UTC"
		day := line.Weekdays[(int(time.Now().UTC().Weekday())+6)%7]
		s.WorkingHours.Week = map[string][]line.Interval{}
		from := time.Now().UTC().Add(-2 * time.Hour)
		if from.Day() != time.Now().UTC().Day() {
			from = time.Now().UTC().Add(2 * time.Hour)
		}
		s.WorkingHours.Week[day] = []line.Interval{{From: from.Format("15:04"), To: from.Add(time.Minute).Format("15:04")}}
		s.WorkingHours.OffHoursText = text
	})
	chID := e.newWidget(l.ID, map[string]any{"origins": []string{}})
	s := site(t, &siteOpts{Server: e.srv.URL, Channel: chID})
	pv := visit(t, e.browser, s.URL, 1280, 800)
	pv.widgetReady()
	pv.wopen()
	pv.waitFor("the off-hours text", `!`+wq(`[data-testid=off-hours]`)+`.hidden && `+wq(`[data-testid=off-hours]`)+`.textContent === `+jsq(text))
}

// A site that is not among the channel's origins gets no widget, and no
// visitor is made for it.
func TestWidgetForeignOrigin(t *testing.T) {
	e := newEnv(t)
	l, _ := e.line("Shop", line.ModeEvenly, []string{e.admin.ID}, nil)
	chID := e.newWidget(l.ID, map[string]any{"origins": []string{"https://shop.example"}})
	s := site(t, &siteOpts{Server: e.srv.URL, Channel: chID})
	pv := visit(t, e.browser, s.URL, 1280, 800)
	pv.waitFor("the bubble drawn once", `window.__t.bubble > 0`)
	pv.waitFor("the widget gone", `!document.querySelector('openlines-widget')`)
	// The server refuses the site whatever it tries.
	req, _ := http.NewRequest("POST", e.srv.URL+"/widget/v1/channels/"+chID+"/visitors", strings.NewReader(`{}`))
	req.Header.Set("Origin", s.URL)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("POST visitors from a foreign origin: %d, want 403", res.StatusCode)
	}
	if n := e.dialogsCount(); n != 0 {
		t.Fatalf("%d dialogs after a foreign site's attempts", n)
	}
}

func (e *env) dialogsCount() int {
	e.t.Helper()
	var r struct {
		Dialogs []json.RawMessage `json:"dialogs"`
	}
	if st := e.api("GET", "/api/v1/dialogs", nil, &r); st != http.StatusOK {
		e.t.Fatalf("list dialogs: %d", st)
	}
	return len(r.Dialogs)
}

// newWidget creates a widget channel on the line through the API.
func (e *env) newWidget(lineID string, settings map[string]any) string {
	e.t.Helper()
	var ch struct {
		ID string `json:"id"`
	}
	if st := e.api("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "widget", "name": "Website", "settings": settings}, &ch); st != http.StatusCreated {
		e.t.Fatalf("create a widget channel: status %d", st)
	}
	return ch.ID
}

// sessions reads a dialog's sessions through the API, newest first.
func (e *env) sessions(dialogID string) []dialog.Session {
	e.t.Helper()
	var r struct {
		Sessions []dialog.Session `json:"sessions"`
	}
	if st := e.api("GET", "/api/v1/dialogs/"+dialogID+"/sessions", nil, &r); st != http.StatusOK {
		e.t.Fatalf("list sessions: %d", st)
	}
	return r.Sessions
}
