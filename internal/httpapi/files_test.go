package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// A tiny PNG: the signature, then bytes (the type is sniffed from the
// first ones).
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0xab}, 3000)...)

// raw sends body as it is (a file), not as JSON.
func (c *client) raw(method, path string, body []byte, headers ...string) reply {
	c.t.Helper()
	return c.do(method, path, rawBody(body), headers...)
}

func (w *widgetHarness) used() int64 {
	w.t.Helper()
	n, err := w.st.FilesUsed(context.Background(), w.ws.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// Files in both directions: the type is sniffed whatever the client says,
// operators read them with their rights, customers through signed links;
// limits, refusals and repeats keep nothing they should not.
func TestFiles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWidgetHarness(t, engine)
		v := w.visitor(w.channel, shop, map[string]any{"name": "Olga"})
		v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "c1", "text": "Hello"}, "Origin", shop).want(http.StatusCreated)
		dlg := str(objects(t, w.c.dialogs("").json, "dialogs")[0], "id")

		// The customer sends a picture named like a program, claiming text.
		up := v.raw("POST", "/widget/v1/files?client=f1&name="+url.QueryEscape(`..\..\setup.exe`), pngBytes, "Origin", shop, "Content-Type", "text/plain").want(http.StatusCreated)
		f := get(up.json, "message", "file").(map[string]any)
		if f["name"] != "setup.exe" || f["content_type"] != "image/png" || f["image"] != true || f["size"] != float64(len(pngBytes)) {
			t.Fatalf("the customer's file: %s", up.raw)
		}
		link := f["url"].(string)
		if !strings.HasPrefix(link, "/files/") || !strings.Contains(link, "sig=") {
			t.Fatalf("link %q", link)
		}
		// Anyone with the link reads it, shown inline on the customer's site.
		got := w.anon().raw("GET", link, nil).want(http.StatusOK)
		if !bytes.Equal(got.raw, pngBytes) || got.header.Get("Content-Type") != "image/png" || got.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "inline") || got.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" ||
			!strings.Contains(got.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("the signed link: %d %v", got.status, got.header)
		}
		// A range, as a browser asks for a large file.
		if part := w.anon().raw("GET", link, nil, "Range", "bytes=0-7").want(http.StatusPartialContent); string(part.raw) != string(pngBytes[:8]) {
			t.Fatalf("range: %q", part.raw)
		}
		// A forged, moved or truncated link opens nothing.
		u, _ := url.Parse(link)
		id := strings.TrimPrefix(u.Path, "/files/")
		q := u.Query()
		for _, bad := range []string{
			"/files/" + id + "?exp=" + q.Get("exp") + "&sig=" + strings.Repeat("A", 43),
			"/files/" + id + "?exp=9999999999&sig=" + q.Get("sig"),
			"/files/" + id,
			"/files/01aaaaaa-0000-7000-8000-000000000009?" + u.RawQuery,
		} {
			w.anon().raw("GET", bad, nil).wantErr(http.StatusNotFound, "not_found")
		}

		// The operator sees it in the timeline and reads it with their rights.
		var fileID string
		for _, m := range w.c.messages(dlg) {
			if a, ok := m["attachment"].(map[string]any); ok {
				fileID = a["id"].(string)
				if m["text"] != "setup.exe" || a["content_type"] != "image/png" || m["direction"] != "in" {
					t.Fatalf("the customer's file in the timeline: %v", m)
				}
			}
		}
		if fileID != id {
			t.Fatalf("the timeline's file %q, the link's %q", fileID, id)
		}
		if got := w.c.raw("GET", "/api/v1/files/"+id, nil).want(http.StatusOK); !bytes.Equal(got.raw, pngBytes) {
			t.Fatal("the operator reads other bytes")
		}
		w.anon().raw("GET", "/api/v1/files/"+id, nil).wantErr(http.StatusUnauthorized, "unauthorized")
		// A manager who does not see the dialog, and another workspace.
		w.user(w.ws.ID, "mia@acme.test", user.Manager, false)
		w.login("mia@acme.test", testPassword).raw("GET", "/api/v1/files/"+id, nil).wantErr(http.StatusNotFound, "not_found")
		_, _, other := w.workspace("Other", "enterprise", "boss@other.test", false)
		other.raw("GET", "/api/v1/files/"+id, nil).wantErr(http.StatusNotFound, "not_found")

		// The same client id again is the same message: kept once, counted once.
		before := w.used()
		again := v.raw("POST", "/widget/v1/files?client=f1&name=again.png", pngBytes, "Origin", shop).want(http.StatusOK)
		if str(again.json, "message", "id") != str(up.json, "message", "id") || w.used() != before {
			t.Fatalf("a repeat: %s; used %d → %d", again.raw, before, w.used())
		}

		// The operator answers with a page of HTML: stored, never rendered.
		html := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
		out := w.c.raw("POST", "/api/v1/dialogs/"+dlg+"/files?name=price+list.html", html).want(http.StatusCreated)
		a := get(out.json, "attachment").(map[string]any)
		if a["image"] != false || !strings.HasPrefix(a["content_type"].(string), "text/html") || out.json["text"] != "price list.html" {
			t.Fatalf("the operator's file: %s", out.raw)
		}
		dl := w.c.raw("GET", "/api/v1/files/"+a["id"].(string), nil).want(http.StatusOK)
		if cd := dl.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "price list.html") {
			t.Fatalf("disposition %q", cd)
		}
		// The visitor sees it with a link of its own.
		var seen map[string]any
		for _, m := range objects(t, v.do("GET", "/widget/v1/messages", nil, "Origin", shop).want(http.StatusOK).json, "messages") {
			if m["direction"] == "out" && m["file"] != nil {
				seen = m["file"].(map[string]any)
			}
		}
		if seen == nil || seen["name"] != "price list.html" {
			t.Fatalf("the visitor's view of the operator's file: %v", seen)
		}
		if got := w.anon().raw("GET", seen["url"].(string), nil).want(http.StatusOK); !bytes.Equal(got.raw, html) {
			t.Fatal("the visitor's link reads other bytes")
		}

		// Refusals keep nothing: empty, too large, no client id, another site.
		before = w.used()
		v.raw("POST", "/widget/v1/files?client=f2&name=x", nil, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		w.c.raw("POST", "/api/v1/dialogs/"+dlg+"/files?name=big.bin", bytes.Repeat([]byte("x"), 20<<20+1)).wantErr(http.StatusRequestEntityTooLarge, "too_large")
		v.raw("POST", "/widget/v1/files?name=x.png", pngBytes, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		v.raw("POST", "/widget/v1/files?client=f3&name=x.png", pngBytes, "Origin", "https://evil.example").wantErr(http.StatusForbidden, "forbidden")
		w.c.raw("POST", "/api/v1/dialogs/"+dlg+"/files?name=x.png", pngBytes, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").wantErr(http.StatusForbidden, "forbidden")
		if w.used() != before {
			t.Fatalf("refused files count: %d → %d", before, w.used())
		}
		// A client that goes away mid-file: nothing kept, nothing counted.
		req, _ := http.NewRequest("POST", w.srv.URL+"/widget/v1/files?client=cut&name=cut.png",
			io.MultiReader(bytes.NewReader(pngBytes[:1000]), iotest.ErrReader(errors.New("the visitor closed the tab"))))
		req.ContentLength = int64(len(pngBytes))
		req.Header.Set("Origin", shop)
		req.Header.Set("Authorization", "Bearer "+v.bearer)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("a cut-short upload was answered %d", res.StatusCode)
		}
		if w.used() != before {
			t.Fatalf("a cut-short file counts: %d → %d", before, w.used())
		}
		// A file into a dialog without an open session gives its bytes back.
		w.c.do("POST", "/api/v1/sessions/"+str(objects(t, w.c.dialogs("").json, "dialogs")[0], "session", "id")+"/spam", nil).want(http.StatusOK)
		w.c.raw("POST", "/api/v1/dialogs/"+dlg+"/files?name=late.png", pngBytes).wantErr(http.StatusConflict, "conflict")
		if w.used() != before {
			t.Fatalf("a refused reply's file counts: %d → %d", before, w.used())
		}
	})
}

// The workspace's quota: a file that would pass it is refused, whole.
func TestFilesQuota(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		vis := realtime.NewVisitors(nil)
		t.Cleanup(vis.Close)
		h := newHarnessWith(t, engine, func(c *httpapi.Config) { c.Visitors = vis; c.FilesQuota = 2 * int64(len(pngBytes)) })
		w := &widgetHarness{harness: h, line: h.c.createLine("Shop")}
		w.channel = w.widgetChannel(map[string]any{"origins": []string{shop}})
		v := w.visitor(w.channel, shop, nil)
		for i := range 2 {
			v.raw("POST", fmt.Sprintf("/widget/v1/files?client=q%d&name=p.png", i), pngBytes, "Origin", shop).want(http.StatusCreated)
		}
		r := v.raw("POST", "/widget/v1/files?client=q2&name=p.png", pngBytes, "Origin", shop).wantErr(http.StatusRequestEntityTooLarge, "too_large")
		if !strings.Contains(string(r.raw), "quota_exceeded") {
			t.Fatalf("over the quota: %s", r.raw)
		}
		if n := w.used(); n != 2*int64(len(pngBytes)) {
			t.Fatalf("used %d", n)
		}
		// Deleting the line gives the space back.
		w.c.do("DELETE", "/api/v1/lines/"+w.line, map[string]any{"confirm": "Shop"}).want(http.StatusNoContent)
		if n := w.used(); n != 0 {
			t.Fatalf("after the line's deletion: %d", n)
		}
	})
}

// FuzzUploadFile: whatever the name and the bytes, an upload is stored and
// read back byte for byte, or refused with a 4xx; never a 5xx.
func FuzzUploadFile(f *testing.F) {
	f.Add("a.png", pngBytes[:40])
	f.Add("../../etc/passwd", []byte("root:x:0:0"))
	f.Add("\x00\xff\xfe.html", []byte("<script>alert(1)</script>"))
	f.Add("", []byte{})
	f.Add(strings.Repeat("я", 300), []byte("%PDF-1.4"))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		w := newWidgetHarness(t, "sqlite")
		v := w.visitor(w.channel, shop, nil)
		r := v.raw("POST", "/widget/v1/files?client=f&name="+url.QueryEscape(name), body, "Origin", shop)
		switch {
		case r.status == http.StatusCreated:
			link := get(r.json, "message", "file", "url").(string)
			if got := w.anon().raw("GET", link, nil); got.status != http.StatusOK || !bytes.Equal(got.raw, body) {
				t.Fatalf("read back %d, %d bytes of %d", got.status, len(got.raw), len(body))
			}
		case r.status >= 500 || r.status < 400:
			t.Fatalf("name %q, %d bytes: %d %s", name, len(body), r.status, r.raw)
		}
	})
}
