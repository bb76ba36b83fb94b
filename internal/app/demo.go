package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "openlines-demo"

var demoOperators = []struct{ email, name string }{
	{"anna@demo.local", "Anna Smirnova"}, {"boris@demo.local", "Boris Ivanov"}, {"chen@demo.local", "Chen Wei"},
	{"dana@demo.local", "Dana Cohen"}, {"emil@demo.local", "Emil Novak"},
}

var demoLines = []struct{ name, mode string }{
	{"Sales", line.ModeEvenly}, {"Support", line.ModeStrictly}, {"VIP", line.ModeAll},
}

var demoTexts = []string{
	"Hello! Is the blue jacket available in size M?", "Where is my order #4821?", "Can I change the delivery address?",
	"Do you ship to Kazan?", "I was charged twice, please help.", "How do I return an item?", "Thanks, that helped!",
	"Здравствуйте! Когда привезут заказ?", "Можно оплатить картой при получении?", "Is there a discount for a second item?",
}

var demoNames = []string{"Olga", "Mark", "Ivan", "Sofia", "Liam", "Maria", "Noah", "Elena", "Omar", "Yuki", "Petr", "Aisha"}

// demoTokenName names the API token the simulated customers write with.
const demoTokenName = "demo customers"

// demoOnlyAvailable makes a demo line offer dialogs only to operators who
// are online. The five demo operators are accounts, not people: nobody is
// signed in as them, so without it every dialog was offered to an offline
// operator, timed out after queue_time and went to the next one, for ever.
// With it the dialogs wait in the queue until someone signs in as an
// operator and goes online — which is what the newcomer should see. This is
// simpler and more robust than simulated operators (which would have to
// hold a presence heartbeat, take, reply and finish, racing the person who
// signs in as the same operator to try the inbox).
func demoOnlyAvailable(l *line.Line) error {
	l.CheckAvailable = true
	return nil
}

// Demo runs the server on a demo workspace — three lines in the three
// modes, five operators and simulated customers writing through the API
// channel at a gentle pace — so a newcomer sees the product alive.
func Demo(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger, pace time.Duration) error {
	return run(ctx, cfg, out, log, func(ctx context.Context, st *Stack, url string) (string, error) {
		token, channels, err := seedDemo(ctx, st)
		if err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		go customers(ctx, log, url, token, channels, pace)
		banner := fmt.Sprintf("Demo workspace: sign in as admin@demo.local or an operator (%s, …), password %q\n", demoOperators[0].email, DemoPassword)
		siteURL, err := demoSite(ctx, st, cfg.Addr, url, token)
		if err != nil {
			log.Warn("demo site", "error", err) // the demo goes on without it
			return banner, nil
		}
		return banner + fmt.Sprintf("Demo site with the chat widget (play the customer): %s\n", siteURL), nil
	})
}

// seedDemo creates the demo workspace unless the database has it already,
// and returns an administrator's API token and the channels to write to.
func seedDemo(ctx context.Context, st *Stack) (string, []string, error) {
	s := st.Store
	hash, err := user.HashPassword(DemoPassword)
	if err != nil {
		return "", nil, err
	}
	admin, err := s.UserByEmail(ctx, "admin@demo.local")
	if err != nil {
		ws, err := s.CreateWorkspace(ctx, "Demo company", workspace.Enterprise)
		if err != nil {
			return "", nil, err
		}
		if admin, err = s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "admin@demo.local", Name: "Demo Admin", Role: user.Administrator,
			Active: true, ServerAdmin: true, PasswordHash: hash}); err != nil {
			return "", nil, err
		}
		var ops []string
		for _, o := range demoOperators {
			u, err := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: o.email, Name: o.name, Role: user.Manager, Active: true, PasswordHash: hash})
			if err != nil {
				return "", nil, err
			}
			ops = append(ops, u.ID)
		}
		for i, dl := range demoLines {
			set := line.Defaults()
			set.Mode, set.QueueTime, set.Queue = dl.mode, 30, []string{ops[i], ops[(i+1)%len(ops)], ops[(i+2)%len(ops)]}
			set.CheckAvailable = true // see demoOnlyAvailable
			l, err := s.CreateLine(ctx, ws.ID, dl.name, set)
			if err != nil {
				return "", nil, err
			}
			if _, err := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: l.ID, Type: channel.TypeAPI, Name: "Website API"}); err != nil {
				return "", nil, err
			}
		}
	}
	// One token for the simulated customers: the previous run's secret is
	// gone with its process, so its token is replaced rather than piling up.
	toks, err := s.ListAPITokens(ctx, admin.WorkspaceID, admin.ID)
	if err != nil {
		return "", nil, err
	}
	for _, t := range toks {
		if t.Name == demoTokenName {
			if err := s.DeleteAPIToken(ctx, admin.WorkspaceID, admin.ID, t.ID); err != nil {
				return "", nil, err
			}
		}
	}
	secret, hashed, err := user.NewSecret("olt_")
	if err != nil {
		return "", nil, err
	}
	if _, err := s.CreateAPIToken(ctx, admin, demoTokenName, hashed, nil); err != nil {
		return "", nil, err
	}
	lines, err := s.ListLines(ctx, admin.WorkspaceID)
	if err != nil {
		return "", nil, err
	}
	var channels []string
	for _, l := range lines {
		if !l.CheckAvailable { // a demo database seeded before the lines checked availability
			if l, err = s.UpdateLine(ctx, admin.WorkspaceID, l.ID, demoOnlyAvailable); err != nil {
				return "", nil, err
			}
		}
		cs, err := s.ListChannels(ctx, admin.WorkspaceID, l.ID)
		if err != nil {
			return "", nil, err
		}
		for _, c := range cs {
			if c.Type == channel.TypeAPI { // the simulated customers write through the API channels only
				channels = append(channels, c.ID)
			}
		}
	}
	return secret, channels, nil
}

// customers posts a customer message every pace (±50 %) through the API.
func customers(ctx context.Context, log *slog.Logger, url, token string, channels []string, pace time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	client := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ; n++ {
		wait := pace/2 + time.Duration(rng.Int64N(int64(pace)+1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		who := rng.IntN(len(demoNames))
		body, _ := json.Marshal(map[string]any{
			"customer": map[string]string{"external_id": fmt.Sprintf("demo-%d", who), "name": demoNames[who]},
			"message":  map[string]string{"external_id": fmt.Sprintf("demo-%d-%d", time.Now().UnixNano(), n), "text": demoTexts[rng.IntN(len(demoTexts))]},
		})
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/channels/"+channels[rng.IntN(len(channels))]+"/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("demo customer", "error", err)
			}
			continue
		}
		resp.Body.Close()
	}
}

// demoSite serves a small shop page on a second port (the server's + 1, or
// any free one) that embeds the widget of the demo's first line, so a
// newcomer can play the customer. It is another origin than the server's,
// as a real site is. The widget channel is made (or, on a restart, given
// the site's origins again) through the HTTP API, as an administrator
// would. It returns the page's URL; the site stops with ctx.
func demoSite(ctx context.Context, st *Stack, addr, serverURL, token string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	sitePort := 0
	if p, err := strconv.Atoi(port); err == nil && p > 0 && p < 65535 {
		sitePort = p + 1
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(sitePort)))
	if err != nil && sitePort != 0 {
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	_, sp, _ := net.SplitHostPort(ln.Addr().String())
	siteURL := "http://" + displayAddr(ln.Addr().String())
	chID, err := demoWidgetChannel(ctx, st, token, []string{"http://127.0.0.1:" + sp, "http://localhost:" + sp})
	if err != nil {
		ln.Close()
		return "", err
	}
	var page bytes.Buffer
	if err := demoSitePage.Execute(&page, map[string]string{"Server": serverURL, "Channel": chID}); err != nil {
		ln.Close()
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page.Bytes())
	})}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return siteURL + "/", nil
}

// demoWidgetName names the demo's widget channel.
const demoWidgetName = "Website"

// demoWidgetChannel creates the widget channel on the first demo line, or
// updates the one a previous run made, through the HTTP API. The requests
// go to the stack's handler in-process (httptest's recorder is the
// smallest ResponseWriter at hand): the server does not serve until the
// banner is printed, and nothing here needs a socket.
func demoWidgetChannel(ctx context.Context, st *Stack, token string, origins []string) (string, error) {
	call := func(method, path string, body, out any) error {
		b, _ := json.Marshal(body)
		req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		st.Handler.ServeHTTP(rec, req)
		if rec.Code/100 != 2 {
			return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
		}
		if out != nil {
			return json.Unmarshal(rec.Body.Bytes(), out)
		}
		return nil
	}
	var lines struct {
		Lines []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"lines"`
	}
	if err := call("GET", "/api/v1/lines", nil, &lines); err != nil {
		return "", err
	}
	lineID := ""
	for _, l := range lines.Lines {
		if l.Name == demoLines[0].name {
			lineID = l.ID
		}
	}
	if lineID == "" {
		return "", errors.New("no demo line " + demoLines[0].name)
	}
	settings := map[string]any{"origins": origins, "greeting": "Hi! Ask us anything about your order. / Здравствуйте! Спросите нас о заказе."}
	var chans struct {
		Channels []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"channels"`
	}
	if err := call("GET", "/api/v1/lines/"+lineID+"/channels", nil, &chans); err != nil {
		return "", err
	}
	for _, c := range chans.Channels {
		if c.Type == "widget" && c.Name == demoWidgetName {
			return c.ID, call("PATCH", "/api/v1/channels/"+c.ID, map[string]any{"active": true, "settings": settings}, nil)
		}
	}
	var ch struct {
		ID string `json:"id"`
	}
	if err := call("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "widget", "name": demoWidgetName, "settings": settings}, &ch); err != nil {
		return "", err
	}
	return ch.ID, nil
}

var demoSitePage = template.Must(template.New("site").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Outdoor — OpenLines demo site</title>
<style>
body { margin: 0; font: 16px/1.5 Georgia, serif; color: #1c1917; background: #fafaf9; }
header { background: #1c1917; color: #fafaf9; padding: 16px 32px; display: flex; justify-content: space-between; align-items: baseline; }
header b { font-size: 22px; letter-spacing: .04em; }
main { max-width: 960px; margin: 0 auto; padding: 24px 32px 96px; }
.note { background: #fef9c3; border: 1px solid #fde047; padding: 10px 14px; border-radius: 6px; font: 14px/1.4 system-ui, sans-serif; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 20px; margin-top: 24px; }
.item { background: #fff; border: 1px solid #e7e5e4; border-radius: 8px; padding: 16px; }
.pic { height: 120px; border-radius: 6px; margin-bottom: 10px; }
.a { background: linear-gradient(135deg, #1d4ed8, #60a5fa); } .b { background: linear-gradient(135deg, #15803d, #86efac); } .c { background: linear-gradient(135deg, #b45309, #fcd34d); }
.price { font-weight: bold; }
</style>
</head>
<body>
<header><b>ACME OUTDOOR</b><span>Jackets · Tents · Boots</span></header>
<main>
<p class="note">This is the OpenLines demo site: a shop on another origin with the chat widget in the corner. Write to the shop there, then sign in to OpenLines as an operator of the Sales line, go online, and answer.</p>
<div class="grid">
<div class="item"><div class="pic a"></div>Blue rain jacket<br><span class="price">49 €</span></div>
<div class="item"><div class="pic b"></div>Two-person tent<br><span class="price">129 €</span></div>
<div class="item"><div class="pic c"></div>Hiking boots<br><span class="price">89 €</span></div>
</div>
</main>
<script src="{{.Server}}/widget.js" data-channel="{{.Channel}}" async></script>
</body>
</html>
`))
