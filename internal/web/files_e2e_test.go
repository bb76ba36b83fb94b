package web_test

// Files in messages in real browsers against the real server: the
// customer's widget on a site of another origin and the operator's inbox,
// each in a browser context of its own.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"image"
	"image/color"
	pngpkg "image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// testPNG is a real picture of w×h (a browser must decode it).
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 5), 90, uint8(y * 7), 255})
		}
	}
	var b bytes.Buffer
	if err := pngpkg.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pickFile puts a file of name and body into the file input that the
// JavaScript expression input finds, and tells the page, as the file
// dialog does when a person picks a file (the widget's input is in its
// shadow root, out of reach of DOM.setFileInputFiles' selectors). then is
// JavaScript run right after, in the same task.
func (p *page) pickFile(input, name string, body []byte, then string) {
	p.t.Helper()
	p.eval(`(() => { const i = `+input+`; const b = Uint8Array.from(atob(`+jsq(base64.StdEncoding.EncodeToString(body))+`), c => c.charCodeAt(0));
		const dt = new DataTransfer(); dt.items.add(new File([b], `+jsq(name)+`)); i.files = dt.files;
		i.dispatchEvent(new Event('change', {bubbles: true})); `+then+`; return true; })()`, nil)
}

// watchProgress records in window.__progress every value that the
// progress bars added under the element that root finds take, watching
// each bar itself: the message that replaces an upload may come over the
// socket before the upload's last progress event.
func (p *page) watchProgress(root string) {
	p.t.Helper()
	p.eval(`(() => { window.__progress = [];
		const bar = new MutationObserver((ms) => { for (const m of ms) window.__progress.push(Number(m.target.getAttribute('value'))); });
		new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.querySelectorAll) for (const b of n.querySelectorAll('progress')) bar.observe(b, {attributes: true, attributeFilter: ['value']}); })
			.observe(`+root+`, {childList: true, subtree: true}); return true; })()`, nil)
}

// progressed says whether a progress bar went up to 100 %.
func (p *page) progressed() {
	p.t.Helper()
	var v []int
	p.eval(`window.__progress`, &v)
	if len(v) == 0 || v[len(v)-1] != 100 {
		p.t.Fatalf("%s: the upload's progress bar went %v, want up to 100", p.user.Name, v)
	}
}

// sha256In is the hex SHA-256 of what the page reads at the URL that the
// JavaScript expression url gives, or "status N".
func (p *page) sha256In(url string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => { const r = await fetch(`+url+`); if (r.status !== 200) return 'status ' + r.status;
		const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer()); return [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join(''); })()`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("fetch %s: %v", url, err)
	}
	return out
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// inboxMsg is the JavaScript of the inbox's message in direction whose
// text (its file's name) is name.
func inboxMsg(direction, name string) string {
	return `[...document.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=` + direction + `]')].find(m => m.querySelector('[data-testid=message-text]')?.textContent === ` + jsq(name) + `)`
}

// widgetMsg is the same in the widget.
func widgetMsg(direction, name string) string {
	return `[...(document.querySelector('openlines-widget')?.shadowRoot?.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=` + direction + `]') || [])].find(m => m.dataset.id && m.querySelector('[data-testid=message-text]')?.textContent === ` + jsq(name) + `)`
}

// shopVisitor puts the widget of a new line (queue: its operators, no
// welcome) on a site of its own in lang, and opens it for a new visitor,
// who writes hello: the visitor's page and the widget's channel.
func (e *env) shopVisitor(queue []string, lang, hello string) (*page, string) {
	e.t.Helper()
	l, _ := e.line("Shop", line.ModeEvenly, queue, func(s *line.Settings) { s.WelcomeEnabled = false })
	opts := &siteOpts{Server: e.srv.URL, Lang: lang}
	shop := site(e.t, opts)
	opts.Channel = e.newWidget(l.ID, map[string]any{"origins": []string{shop.URL}})
	pv := visit(e.t, e.browser, shop.URL, 1280, 800)
	pv.widgetReady()
	pv.wopen()
	pv.wsend(hello)
	pv.wwaitMessage("in", hello)
	return pv, opts.Channel
}

// A file goes each way. The customer attaches a picture with a hostile
// name in the widget: both sides show its preview (decoded, so the bytes
// came), its name as text. The operator attaches a document with a
// hostile name in the inbox: both show a download chip; the customer's
// downloads the same bytes. An upload cancelled at once sends nothing;
// a reload of the site shows each file once.
func TestFilesBothWays(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	po := e.signIn(olga)
	pv, _ := e.shopVisitor([]string{olga.ID}, "", "Hello, a photo of the stain:")
	po.waitFor("the widget's dialog offered", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 1`)
	dlg := po.listIDs()[0]
	po.take(dlg)

	// The customer's picture.
	const photo = `<img src=x onerror=alert(1)>.png`
	png := testPNG(t, 40, 30)
	if got := pv.strings(`[` + wq(`[data-testid=attach]`) + `.getAttribute('aria-label'), ` + wq(`[data-testid=attach]`) + `.type]`); got[0] != "Attach a file" || got[1] != "button" {
		t.Fatalf("the widget's attach button: %q", got)
	}
	pv.watchProgress(wq(`[data-testid=messages]`))
	pv.pickFile(wq(`[data-testid=file-input]`), photo, png, "")
	pv.waitFor("the picture in the widget, decoded", `(() => { const m = `+widgetMsg("in", photo)+`; const i = m && m.querySelector('[data-testid=file-img]');
		return !!i && i.complete && i.naturalWidth === 40 && i.alt === `+jsq(photo)+`; })()`)
	pv.progressed()
	var src string
	pv.eval(widgetMsg("in", photo)+`.querySelector('[data-testid=file-img]').src`, &src)
	if !strings.HasPrefix(src, e.srv.URL+"/files/") || !strings.Contains(src, "sig=") {
		t.Fatalf("the widget's picture comes from %q, want a signed link on %s", src, e.srv.URL)
	}
	po.waitFor("the picture's preview in the inbox", `(() => { const m = `+inboxMsg("in", photo)+`; const i = m && m.querySelector('[data-testid=file-img]');
		return !!i && i.complete && i.naturalWidth === 40 && i.naturalHeight === 30 && i.alt === `+jsq(photo)+`; })()`)
	var link struct{ Href, Target, Loading string }
	po.eval(`(() => { const a = `+inboxMsg("in", photo)+`.querySelector('[data-testid=file-preview]'), i = a.querySelector('img'); return {Href: a.href, Target: a.target, Loading: i.loading}; })()`, &link)
	if !strings.HasPrefix(link.Href, e.srv.URL+"/api/v1/files/") || link.Target != "_blank" || link.Loading != "lazy" {
		t.Fatalf("the inbox's preview: %+v", link)
	}
	if got := po.sha256In(jsq(link.Href)); got != sum(png) {
		t.Fatalf("the operator reads %s of the picture, want %s", got, sum(png))
	}
	po.click(`[data-testid=tab-mine]`)
	po.waitFor("the paperclip in the dialog list", `(() => { const p = document.querySelector(`+jsq(itemSel(dlg)+` [data-testid=dialog-preview]`)+`);
		return !!p && !!p.querySelector('[data-testid=preview-file] svg') && p.textContent === `+jsq(photo)+`; })()`)

	// The operator's document; one cancelled at once never arrives.
	const doc = `<img src=x onerror=window.__pwned=1>.pdf` // the server drops '"' from names
	pdf := append([]byte("%PDF-1.4\n% price list\n"), bytes.Repeat([]byte("0123456789abcdef\n"), 3000)...)
	// Large, so that the abort reaches the browser's network service before
	// the body has all gone: a small body may be on the wire already when
	// the click's abort arrives, and the server then has the whole file.
	big := append(bytes.Clone(pdf), bytes.Repeat([]byte("z"), 8<<20)...)
	po.pickFile(`document.querySelector('[data-testid=file-input]')`, "cancelled.pdf", big, `document.querySelector('[data-testid=upload-cancel]').click()`)
	po.waitFor("the cancelled upload gone", `document.querySelectorAll('[data-testid=upload]').length === 0`)
	dir := t.TempDir()
	path := filepath.Join(dir, "upload.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	// Picked through the real file input (DOM.setFileInputFiles); the
	// name is the one the test gives the File, as the browser takes the
	// file's name from the disk.
	po.watchProgress(`document.querySelector('[data-testid=uploads]')`)
	po.do(chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), []string{path}))
	po.waitMessage("out", "upload.pdf")
	po.progressed()
	po.pickFile(`document.querySelector('[data-testid=file-input]')`, doc, pdf, "")
	po.waitFor("the operator's document as a chip", `(() => { const m = `+inboxMsg("out", doc)+`; const a = m && m.querySelector('a[data-testid=file-chip]');
		return !!a && a.getAttribute('download') === `+jsq(doc)+` && a.querySelector('[data-testid=file-size]').textContent === '50 KB'; })()`)
	if got := po.sha256In(inboxMsg("out", doc) + `.querySelector('a[data-testid=file-chip]').href`); got != sum(pdf) {
		t.Fatalf("the operator's chip reads %s, want %s", got, sum(pdf))
	}
	// Files are replies: none while the composer writes a private note.
	po.click(`[data-testid=note-toggle]`)
	po.waitFor("no files in a private note", `document.querySelector('[data-testid=attach]').disabled`)
	po.pickFile(`document.querySelector('[data-testid=file-input]')`, "note.pdf", pdf, "")
	if ok, _ := po.check(`!document.querySelector('[data-testid=upload]')`); !ok {
		t.Fatal("a file picked in a private note is being sent")
	}
	po.click(`[data-testid=note-toggle]`)
	po.waitFor("files again in a reply", `!document.querySelector('[data-testid=attach]').disabled`)
	pv.waitFor("the document as a chip in the widget", `!!`+widgetMsg("out", doc)+`?.querySelector('a[data-testid=file-chip]')`)
	var href string
	pv.eval(widgetMsg("out", doc)+`.querySelector('a[data-testid=file-chip]').href`, &href)
	if !strings.HasPrefix(href, e.srv.URL+"/files/") {
		t.Fatalf("the widget's chip links to %q", href)
	}
	// The customer clicks it: the browser downloads the same bytes.
	downloads := t.TempDir()
	if _, err := chromedp.Call(pv.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: chromedp.FromContext(pv.ctx).BrowserContextID, DownloadPath: downloads}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	pv.eval(widgetMsg("out", doc)+`.querySelector('a[data-testid=file-chip]').click(); true`, nil)
	e.eventually("the customer's download", waitLimit, func() bool {
		fs, _ := os.ReadDir(downloads)
		for _, f := range fs {
			if b, err := os.ReadFile(filepath.Join(downloads, f.Name())); err == nil && !strings.HasSuffix(f.Name(), ".crdownload") && bytes.Equal(b, pdf) {
				return true
			}
		}
		return false
	})

	// Hostile names are text on both sides: no markup, nothing ran.
	for _, pg := range []*page{po, pv} {
		root := `document`
		if pg == pv {
			root = `document.querySelector('openlines-widget').shadowRoot`
		}
		if ok, _ := pg.check(`typeof window.__pwned === 'undefined' && [...` + root + `.querySelectorAll('[data-testid=messages] img')].every(i => i.dataset.testid === 'file-img' || i.dataset.testid === 'avatar')`); !ok {
			t.Fatalf("%s: a hostile file name became markup", pg.user.Name)
		}
	}
	var files []string
	for _, m := range e.messages(dlg) {
		if m.Attachment != nil {
			files = append(files, m.Direction+":"+m.Attachment.Name)
		}
	}
	if want := []string{"in:" + photo, "out:upload.pdf", "out:" + doc}; strings.Join(files, "|") != strings.Join(want, "|") {
		t.Fatalf("the dialog's files %q, want %q (the cancelled one and the note's never sent)", files, want)
	}

	// A reload: the history and the socket's resume show each file once.
	want := pv.wmessages()
	pv.do(chromedp.Reload())
	pv.widgetReady()
	pv.wopen()
	pv.waitFor("the conversation after the reload", `(() => { const m = `+widgetMsg("in", photo)+`; return !!m && m.querySelector('[data-testid=file-img]').naturalWidth === 40 && `+
		`document.querySelector('openlines-widget').shadowRoot.querySelectorAll('[data-testid=message]').length >= `+itoa(len(want))+`; })()`)
	pv.waitFor("the live socket", wq(`[data-testid=widget]`)+`.dataset.conn === 'online'`)
	time.Sleep(300 * time.Millisecond) // a replay would add duplicates now
	if got := pv.wmessages(); len(got) != len(want) {
		t.Fatalf("after the reload the widget shows %d messages, want %d: %+v", len(got), len(want), got)
	}
	pv.screenshot("widget-files")
	po.screenshot("inbox-files")
}

// With a small file limit, a larger file is refused in the widget and in
// the inbox, each saying the limit in its language; nothing is kept. A
// visitor who sends too fast is told when to try again.
func TestFilesRefused(t *testing.T) {
	e := newEnvWith(t, app.StackOptions{MaxFile: 64 << 10})
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pv, channel := e.shopVisitor([]string{olga.ID}, "ru", "Здравствуйте")
	big := bytes.Repeat([]byte("x"), 100<<10)
	if got := pv.strings(`[` + wq(`[data-testid=attach]`) + `.getAttribute('aria-label')]`); got[0] != "Прикрепить файл" {
		t.Fatalf("the Russian widget's attach button: %q", got)
	}
	pv.pickFile(wq(`[data-testid=file-input]`), "big.bin", big, "")
	pv.waitFor("the refusal in the widget", wq(`[data-testid=error]`)+`?.hidden === false && `+wq(`[data-testid=error]`)+`.textContent === 'Файл слишком большой: не больше 64 КБ.'`)
	pv.waitFor("the refused file marked, with no retry", `(() => { const r = document.querySelector('openlines-widget').shadowRoot.querySelector('[data-testid=message].failed');
		return !!r && r.querySelector('[data-testid=message-text]').textContent === 'big.bin' && !r.querySelector('[data-testid=retry]') && r.querySelector('[data-testid=message-meta]').textContent === 'Не отправлено'; })()`)

	po := e.signIn(olga)
	po.waitFor("the widget's dialog offered", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 1`)
	dlg := po.listIDs()[0]
	po.take(dlg)
	po.pickFile(`document.querySelector('[data-testid=file-input]')`, "big.bin", big, "")
	po.waitFor("the refusal in the inbox", `(() => { const u = document.querySelector('[data-testid=upload][data-state=failed]');
		return !!u && u.querySelector('[data-testid=upload-name]').textContent === 'big.bin' && u.querySelector('[data-testid=upload-status]').textContent === 'The file is too large: at most 64 KB.'; })()`)
	pv.screenshot("widget-file-refused")
	po.screenshot("inbox-file-refused")
	for _, m := range e.messages(dlg) {
		if m.Attachment != nil || m.Direction == dialog.Out {
			t.Fatalf("a refused file was kept: %+v", m)
		}
	}
	// The dialog's uploads stay with it while the operator looks elsewhere.
	po.click(`[data-testid=tab-mine]`)
	po.eval(`location.hash = '#/inbox'; true`, nil)
	po.waitFor("no chat open", `!!document.querySelector('[data-testid=chat-empty]')`)
	po.openDialog(dlg)
	po.waitFor("the refusal back with its dialog", `document.querySelector('[data-testid=upload][data-state=failed] [data-testid=upload-name]')?.textContent === 'big.bin'`)
	po.click(`[data-testid=upload][data-state=failed] [data-testid=upload-cancel]`)
	po.waitFor("the refusal dismissed", `!document.querySelector('[data-testid=upload]')`)

	// Too fast: the visitor's messages use up the limit (20 in 10 s), then a file.
	ctx, cancel := context.WithTimeout(pv.ctx, waitLimit)
	defer cancel()
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(async () => { const tok = JSON.parse(localStorage.getItem(`+jsq("openlines.widget."+channel)+`)).token;
		for (let i = 0; i < 30; i++) {
			const r = await fetch(`+jsq(e.srv.URL+"/widget/v1/messages")+`, {method: 'POST', headers: {Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json'}, body: JSON.stringify({client_id: 'fast' + i, text: 'fast ' + i})});
			if (r.status === 429) return 429;
		}
		return 0; })()`, chromedp.EvalAwaitPromise))
	if err != nil || status != 429 {
		t.Fatalf("30 messages at once were not limited: %d %v", status, err)
	}
	pv.pickFile(wq(`[data-testid=file-input]`), "small.png", testPNG(t, 4, 4), "")
	pv.waitFor("too fast in the widget", wq(`[data-testid=error]`)+`?.textContent.startsWith('Вы отправляете слишком часто. Подождите немного. Повторите через ')`)
	var msg string
	pv.eval(wq(`[data-testid=error]`)+`.textContent`, &msg)
	if !regexp.MustCompile(` через (10|[1-9]) с\.$`).MatchString(msg) {
		t.Fatalf("the widget's refusal %q does not say when to try again", msg)
	}
}

// dropAndPaste drops a file named dropped on the element that target
// finds, then pastes a picture named pasted into the element that field
// finds, as the browser's events carry them.
func (p *page) dropAndPaste(target, dropped, field, pasted string, png []byte) {
	p.t.Helper()
	file := func(name string) string {
		return `(() => { const dt = new DataTransfer(); dt.items.add(new File([Uint8Array.from(atob(` + jsq(base64.StdEncoding.EncodeToString(png)) + `), c => c.charCodeAt(0))], ` + jsq(name) + `, {type: 'image/png'})); return dt; })()`
	}
	p.eval(`(() => { const t = `+target+`, dt = `+file(dropped)+`;
		for (const type of ['dragenter', 'dragover', 'drop']) t.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true, composed: true}));
		`+field+`.dispatchEvent(new ClipboardEvent('paste', {clipboardData: `+file(pasted)+`, bubbles: true, cancelable: true, composed: true})); return true; })()`, nil)
}

// Files dropped on the chat or pasted into the composer are sent as the
// picked ones are, in the inbox and in the widget.
func TestFilesDropAndPaste(t *testing.T) {
	e := newEnv(t)
	pv, _ := e.shopVisitor([]string{e.admin.ID}, "", "Hi")
	png := testPNG(t, 8, 8)
	pv.dropAndPaste(wq(`[data-testid=messages]`), "dropped.png", wq(`[data-testid=composer]`), "pasted.png", png)
	pv.waitFor("the widget's dropped and pasted pictures", `!!`+widgetMsg("in", "dropped.png")+` && !!`+widgetMsg("in", "pasted.png"))

	po := e.signIn(e.admin)
	po.waitFor("the dialog offered", `document.querySelectorAll('[data-testid=dialog-list] [data-testid=dialog-item]').length === 1`)
	dlg := po.listIDs()[0]
	po.take(dlg)
	po.dropAndPaste(`document.querySelector('[data-testid=messages]')`, "map.png", `document.querySelector('[data-testid=composer]')`, "screenshot.png", png)
	po.waitMessage("out", "map.png")
	po.waitMessage("out", "screenshot.png")
	pv.waitFor("the operator's pictures in the widget", `!!`+widgetMsg("out", "map.png")+` && !!`+widgetMsg("out", "screenshot.png"))
	var files []string
	for _, m := range e.messages(dlg) {
		if m.Attachment != nil {
			files = append(files, m.Direction+":"+m.Attachment.Name)
		}
	}
	slices.Sort(files) // sent at once: in either order
	if strings.Join(files, " ") != "in:dropped.png in:pasted.png out:map.png out:screenshot.png" {
		t.Fatalf("the dialog's files: %q", files)
	}
}
