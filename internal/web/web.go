// Package web serves the browser application: the operator inbox and the
// administration pages, written as plain ES modules and CSS (no framework,
// no bundler) and embedded in the binary, so `go build` is the whole build.
//
// The application (static/) is a single page routed by location.hash:
// #/login, #/inbox[/dialog], #/lines, #/lines/{id}/{tab}, #/users, #/teams,
// #/roles, #/workspace and #/audit. app.js holds the shell, the router, the
// WebSocket (ws.js: reconnects with backoff, and every (re)connect
// refetches what is shown, since missed events are not replayed) and the
// 30 s heartbeat.
//
// What is shown follows the user's rights (GET /me's permissions, read
// through rights.js): a page and its navigation entry only with the
// permission it needs, read-only without the one that changes it, and the
// inbox's supervisor buttons only with dialogs.intercept, .join or .vote.
// The server checks every call all the same; a dialog that answers 404 has
// left the user's scope and is dropped from the lists quietly. When the
// user's rights change the socket closes with 4002, and the shell reloads
// /me and redraws the navigation and the page. Pages build
// the DOM with document.createElement and textContent only (dom.js); no
// string ever becomes markup, and a test refuses innerHTML and the like.
// Every interface string is in i18n.js in English and Russian (a test checks
// both have every key); the language is user.locale, else the browser's.
//
// The inbox refetches its lists (debounced) on session events, appends
// message.created payloads to the open chat and keeps previews on the
// client; unread counts are the server's (read markers, POST …/read when a
// dialog is opened), counted up locally between fetches. Line settings save one tab at a time with PATCH;
// every input is named by its API field path, so an error's field puts the
// server's message next to the input.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// CSP allows scripts, styles and connections to this server only: no inline
// script can run, whatever a customer writes.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// Handler serves / (the application shell), /assets/… (modules, styles)
// and /widget.js (the web-chat widget that sites embed, docs/WIDGET.md).
// Files are revalidated on every load (no-cache) against a content hash
// (ETag), so a new binary is picked up at once and an unchanged file costs
// a 304.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	etags := map[string]string{}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return nil
	})
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/widget.js" {
			serveWidget(w, r, sub, etags["widget.js"])
			return
		}
		w.Header().Set("Content-Security-Policy", CSP)
		w.Header().Set("Cache-Control", "no-cache")
		if r.URL.Path == "/" {
			w.Header().Set("ETag", etags["index.html"])
			http.ServeFileFS(w, r, sub, "index.html")
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/assets/")
		if !ok || etags[name] == "" || name == "index.html" {
			notFound(w, r)
			return
		}
		w.Header().Set("ETag", etags[name])
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// serveWidget serves the web-chat widget's script, which other sites
// embed: it may be loaded from any origin (Cross-Origin-Resource-Policy),
// and it carries no CSP, which would mean nothing for a script anyway.
// Like the other files it is revalidated against its ETag.
func serveWidget(w http.ResponseWriter, r *http.Request, sub fs.FS, etag string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	http.ServeFileFS(w, r, sub, "widget.js")
}

// notFoundPage is what a browser gets for a path the application does not
// have: a page in both interface languages, styled by the application's own
// style sheet (the CSP allows no inline style), with a way back.
const notFoundPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not found — OpenLines</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main class="notfound">
<h1>404</h1>
<p>There is no such page. / Такой страницы нет.</p>
<p><a href="/">Open OpenLines / Открыть OpenLines</a></p>
</main>
</body>
</html>
`

// notFound answers a path that is not part of the application: the page
// above, or for an /api/ path (should the handler ever be mounted on one)
// the API's JSON error, so that an API client never parses HTML.
func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"code": "not_found", "message": "no such endpoint: " + r.Method + " " + r.URL.Path}})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(notFoundPage))
}
