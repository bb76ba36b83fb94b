package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
)

const shop = "https://shop.example"

// texts drops the line's auto-replies from a visitor's messages.
func texts(ms []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range ms {
		if m["kind"] != "auto" {
			out = append(out, m)
		}
	}
	return out
}

// widgetHarness is a harness whose server has the visitors' sockets, with
// a line and a widget channel that allows shop.
type widgetHarness struct {
	*harness
	line, channel string
}

func newWidgetHarness(t *testing.T, engine string) *widgetHarness {
	vis := realtime.NewVisitors(nil)
	t.Cleanup(vis.Close)
	h := newHarnessWith(t, engine, func(c *httpapi.Config) { c.Visitors = vis })
	h.bus.Subscribe(vis.OnEvents)
	w := &widgetHarness{harness: h, line: h.c.createLine("Shop")}
	w.channel = w.widgetChannel(map[string]any{"origins": []string{shop + ":443/"}, "greeting": "Hi"})
	return w
}

func (w *widgetHarness) widgetChannel(settings map[string]any) string {
	return w.c.do("POST", "/api/v1/lines/"+w.line+"/channels", map[string]any{"type": "widget", "name": "Site", "settings": settings}).want(http.StatusCreated).id()
}

// visitor starts a visitor of channel from origin and returns its client.
func (w *widgetHarness) visitor(channel, origin string, body map[string]any) *client {
	if body == nil {
		body = map[string]any{}
	}
	r := w.anon().do("POST", "/widget/v1/channels/"+channel+"/visitors", body, "Origin", origin).want(http.StatusCreated)
	tok := str(r.json, "token")
	if !strings.HasPrefix(tok, httpapi.VisitorTokenPrefix) {
		w.t.Fatalf("visitor token %q", tok)
	}
	return w.bearer(tok)
}

func TestWidgetRoutes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWidgetHarness(t, engine)
		anon := w.anon()

		// Settings are validated, and normalised as a browser sends Origin.
		w.c.do("POST", "/api/v1/lines/"+w.line+"/channels", map[string]any{"type": "widget", "settings": map[string]any{"origins": []string{shop, "ftp://x"}}}).
			wantErr(http.StatusBadRequest, "invalid")
		if f := w.c.do("PATCH", "/api/v1/channels/"+w.channel, map[string]any{"settings": map[string]any{"color": "red"}}).wantErr(http.StatusBadRequest, "invalid").errField(); f != "settings.color" {
			t.Fatalf("field %q", f)
		}
		ch := w.c.do("GET", "/api/v1/channels/"+w.channel, nil).want(http.StatusOK)
		if o := get(ch.json, "settings", "origins").([]any); len(o) != 1 || o[0] != shop {
			t.Fatalf("origins %v", o)
		}
		if get(ch.json, "health", "outbox") == nil {
			t.Fatalf("no health: %s", ch.raw)
		}

		// The public config: for the allowed site (with CORS), refused for others.
		r := anon.do("GET", "/widget/v1/channels/"+w.channel, nil, "Origin", shop).want(http.StatusOK)
		if r.header.Get("Access-Control-Allow-Origin") != shop || str(r.json, "greeting") != "Hi" {
			t.Fatalf("config: %v %s", r.header, r.raw)
		}
		for _, origin := range []string{"https://evil.example", "http://shop.example", ""} {
			r := anon.do("GET", "/widget/v1/channels/"+w.channel, nil, "Origin", origin).wantErr(http.StatusForbidden, "forbidden")
			if r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("CORS for a refused origin %q", origin)
			}
			anon.do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{}, "Origin", origin).wantErr(http.StatusForbidden, "forbidden")
		}
		anon.do("GET", "/widget/v1/channels/"+w.line, nil, "Origin", shop).wantErr(http.StatusNotFound, "not_found")
		apiCh := w.c.createChannel(w.line)
		anon.do("GET", "/widget/v1/channels/"+apiCh, nil, "Origin", shop).wantErr(http.StatusNotFound, "not_found")

		// A visitor writes; the same client id twice is one message; limits.
		v := w.visitor(w.channel, shop, map[string]any{"name": "Olga"})
		m := v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "c1", "text": "<img src=x onerror=alert(1)>"}, "Origin", shop).want(http.StatusCreated)
		again := v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "c1", "text": "<img src=x onerror=alert(1)>"}, "Origin", shop).want(http.StatusOK)
		if str(m.json, "message", "id") != str(again.json, "message", "id") || str(m.json, "message", "client_id") != "c1" {
			t.Fatalf("a repeat: %s then %s", m.raw, again.raw)
		}
		v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "c2", "text": strings.Repeat("я", widget.MaxMessageText+1)}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		v.do("POST", "/widget/v1/messages", map[string]any{"text": "no id"}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "c3", "text": "from elsewhere"}, "Origin", "https://evil.example").wantErr(http.StatusForbidden, "forbidden")
		w.bearer("olv_forged").do("GET", "/widget/v1/messages", nil, "Origin", shop).wantErr(http.StatusUnauthorized, "unauthorized")
		anon.do("GET", "/widget/v1/messages", nil, "Origin", shop).wantErr(http.StatusUnauthorized, "unauthorized")
		// An operator's token is not a visitor's.
		w.c.do("GET", "/widget/v1/messages", nil, "Origin", shop).wantErr(http.StatusUnauthorized, "unauthorized")

		// The operator answers and writes a note: the visitor sees the answer
		// with the operator's name, never the note or anyone's id.
		dlg := w.c.dialogs("").json["dialogs"].([]any)[0].(map[string]any)["id"].(string)
		w.c.do("POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": "Hello Olga"}).want(http.StatusCreated)
		w.c.do("POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": "secret note", "note": true})
		page := v.do("GET", "/widget/v1/messages", nil, "Origin", shop).want(http.StatusOK)
		if strings.Contains(string(page.raw), "secret note") || strings.Contains(string(page.raw), w.admin.ID) || strings.Contains(string(page.raw), "author_id") {
			t.Fatalf("the visitor sees too much: %s", page.raw)
		}
		ms := texts(objects(t, page.json, "messages"))
		if len(ms) != 2 || ms[0]["text"] != "<img src=x onerror=alert(1)>" || ms[1]["text"] != "Hello Olga" || str(ms[1], "author", "name") != w.admin.Name {
			t.Fatalf("the visitor's conversation: %s", page.raw)
		}
		// Receipts move the delivery state forward; the operator sees it.
		v.do("POST", "/widget/v1/seen", map[string]any{"message_id": ms[1]["id"], "read": true}, "Origin", shop).want(http.StatusNoContent)
		var state string
		for _, m := range w.c.messages(dlg) {
			if m["id"] == ms[1]["id"] {
				state = str(m, "delivery", "state")
			}
		}
		if state != "read" {
			t.Fatalf("delivery after the receipt: %q", state)
		}
		v.do("POST", "/widget/v1/rating", map[string]any{"value": 5}, "Origin", shop).wantErr(http.StatusConflict, "conflict")

		// A visitor of another channel is refused where that channel is not allowed.
		other := w.widgetChannel(map[string]any{"origins": []string{"https://other.example"}})
		vo := w.visitor(other, "https://other.example", nil)
		vo.do("GET", "/widget/v1/messages", nil, "Origin", shop).wantErr(http.StatusForbidden, "forbidden")

		// Rate limit: 20 messages per visitor per 10 s.
		burst := w.visitor(w.channel, shop, nil)
		var limited reply
		for i := range 25 {
			limited = burst.do("POST", "/widget/v1/messages", map[string]any{"client_id": fmt.Sprint("b", i), "text": "spam"}, "Origin", shop)
			if limited.status == http.StatusTooManyRequests {
				break
			}
		}
		if limited.status != http.StatusTooManyRequests || limited.header.Get("Retry-After") == "" {
			t.Fatalf("25 messages at once: %d %v", limited.status, limited.header)
		}

		// CSRF protection does not refuse the widget's cross-site calls.
		v.do("POST", "/widget/v1/typing", map[string]any{}, "Origin", shop, "Sec-Fetch-Site", "cross-site").want(http.StatusNoContent)
		// The preflight allows the headers the widget sends.
		pre := anon.do("OPTIONS", "/widget/v1/messages", nil, "Origin", shop, "Access-Control-Request-Method", "POST")
		if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Fatalf("preflight: %d %v", pre.status, pre.header)
		}
	})
}

// Identity verification: a signed user id is the same customer on every
// device; a forged or missing signature is refused; a rotated secret
// stops the old signatures.
func TestWidgetIdentity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWidgetHarness(t, engine)
		secret := str(w.c.do("GET", "/api/v1/channels/"+w.channel+"/identity-secret", nil).want(http.StatusOK).json, "secret")
		if len(secret) != 64 {
			t.Fatalf("secret %q", secret)
		}
		sig := widget.Sign(secret, "user-42")
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"user_id": "user-42", "user_hash": strings.Repeat("0", 64)}, "Origin", shop).
			wantErr(http.StatusForbidden, "forbidden")
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"user_id": "user-42"}, "Origin", shop).wantErr(http.StatusForbidden, "forbidden")
		phone := w.visitor(w.channel, shop, map[string]any{"user_id": "user-42", "user_hash": sig})
		laptop := w.visitor(w.channel, shop, map[string]any{"user_id": "user-42", "user_hash": strings.ToUpper(sig)})
		phone.do("POST", "/widget/v1/messages", map[string]any{"client_id": "p1", "text": "from the phone"}, "Origin", shop).want(http.StatusCreated)
		ms := texts(objects(t, laptop.do("GET", "/widget/v1/messages", nil, "Origin", shop).want(http.StatusOK).json, "messages"))
		if len(ms) != 1 || ms[0]["text"] != "from the phone" {
			t.Fatalf("the laptop does not see the phone's conversation: %v", ms)
		}
		anonymous := w.visitor(w.channel, shop, nil)
		if ms := objects(t, anonymous.do("GET", "/widget/v1/messages", nil, "Origin", shop).want(http.StatusOK).json, "messages"); len(ms) != 0 {
			t.Fatalf("an anonymous visitor sees someone's conversation: %v", ms)
		}
		rotated := str(w.c.do("POST", "/api/v1/channels/"+w.channel+"/identity-secret", nil).want(http.StatusOK).json, "secret")
		if rotated == secret {
			t.Fatal("the rotation kept the secret")
		}
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"user_id": "user-42", "user_hash": sig}, "Origin", shop).wantErr(http.StatusForbidden, "forbidden")
		w.visitor(w.channel, shop, map[string]any{"user_id": "user-42", "user_hash": widget.Sign(rotated, "user-42")})
		// Required identity: anonymous visitors are refused.
		w.c.do("PATCH", "/api/v1/channels/"+w.channel, map[string]any{"settings": map[string]any{"identity_required": true}}).want(http.StatusOK)
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{}, "Origin", shop).wantErr(http.StatusForbidden, "forbidden")
		// Pre-chat: a required field is required.
		w.c.do("PATCH", "/api/v1/channels/"+w.channel, map[string]any{"settings": map[string]any{"identity_required": false,
			"prechat": map[string]any{"enabled": true, "fields": []string{"name", "email"}, "required": []string{"email"}}}}).want(http.StatusOK)
		if f := w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"name": "Ann"}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid").errField(); f != "email" {
			t.Fatalf("field %q", f)
		}
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"email": "not an address"}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		w.visitor(w.channel, shop, map[string]any{"email": "ann@example.com"})
	})
}

// The pre-chat form's contact is the customer's: operators see the name,
// e-mail and phone on the dialog from the first message; a verified user
// on another device keeps them and adds what that device gave; an
// anonymous visitor's contact is theirs alone.
func TestWidgetContactReachesTheCustomer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWidgetHarness(t, engine)
		customerOf := func(externalID string) map[string]any {
			t.Helper()
			for _, d := range objects(t, w.c.dialogs("").json, "dialogs") {
				if c := d["customer"].(map[string]any); c["external_id"] == externalID {
					return c
				}
			}
			t.Fatalf("no dialog of customer %s", externalID)
			return nil
		}
		secret := str(w.c.do("GET", "/api/v1/channels/"+w.channel+"/identity-secret", nil).want(http.StatusOK).json, "secret")
		sig := widget.Sign(secret, "user-7")
		phone := w.visitor(w.channel, shop, map[string]any{"user_id": "user-7", "user_hash": sig, "name": " Vera Lind ", "email": "vera@example.com"})
		phone.do("POST", "/widget/v1/messages", map[string]any{"client_id": "p1", "text": "Do you ship to Tallinn?"}, "Origin", shop).want(http.StatusCreated)
		c := customerOf(widget.VerifiedCustomer("user-7"))
		if c["name"] != "Vera Lind" || c["email"] != "vera@example.com" || c["phone"] != nil {
			t.Fatalf("the customer after the pre-chat form: %v", c)
		}
		// The laptop gives a phone number only: the name and e-mail stay.
		laptop := w.visitor(w.channel, shop, map[string]any{"user_id": "user-7", "user_hash": sig, "phone": "+372 5555 0101"})
		laptop.do("POST", "/widget/v1/messages", map[string]any{"client_id": "l1", "text": "And to Riga?"}, "Origin", shop).want(http.StatusCreated)
		c = customerOf(widget.VerifiedCustomer("user-7"))
		if c["name"] != "Vera Lind" || c["email"] != "vera@example.com" || c["phone"] != "+372 5555 0101" {
			t.Fatalf("the customer after the second device: %v", c)
		}
		// Anonymous visitors: each their own customer with their own contact;
		// one who gave nothing has none.
		ann := w.visitor(w.channel, shop, map[string]any{"name": "Ann", "email": "ann@example.com"})
		ann.do("POST", "/widget/v1/messages", map[string]any{"client_id": "a1", "text": "Hi"}, "Origin", shop).want(http.StatusCreated)
		silent := w.visitor(w.channel, shop, nil)
		silent.do("POST", "/widget/v1/messages", map[string]any{"client_id": "s1", "text": "Hi"}, "Origin", shop).want(http.StatusCreated)
		named := 0
		for _, d := range objects(t, w.c.dialogs("").json, "dialogs") {
			c := d["customer"].(map[string]any)
			switch c["email"] {
			case "ann@example.com":
				named++
				if c["name"] != "Ann" || c["phone"] != nil {
					t.Fatalf("Ann: %v", c)
				}
			case nil:
				if c["name"] != "" {
					t.Fatalf("a visitor who gave nothing: %v", c)
				}
			}
		}
		if named != 1 {
			t.Fatalf("%d customers with Ann's e-mail", named)
		}
		// Hostile contact is refused, not stored.
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"name": "x\x00y"}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
		w.anon().do("POST", "/widget/v1/channels/"+w.channel+"/visitors", map[string]any{"phone": strings.Repeat("1", 201)}, "Origin", shop).wantErr(http.StatusBadRequest, "invalid")
	})
}

// The visitor's socket: hello, live messages, and a reconnect that
// resumes after the last message shown — each message once, in order.
func TestWidgetSocket(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWidgetHarness(t, engine)
		tok := w.visitor(w.channel, shop, nil).bearer
		dial := func(origin, token, after string) (*websocket.Conn, context.Context) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t.Cleanup(cancel)
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.srv.URL, "http")+"/widget/v1/socket",
				&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.CloseNow() })
			b, _ := json.Marshal(realtime.Hello{Type: "hello", Token: token, After: after})
			if err := c.Write(ctx, websocket.MessageText, b); err != nil {
				t.Fatal(err)
			}
			return c, ctx
		}
		read := func(c *websocket.Conn, ctx context.Context) map[string]any {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			return m
		}
		closeCode := func(c *websocket.Conn, ctx context.Context) websocket.StatusCode {
			_, _, err := c.Read(ctx)
			return websocket.CloseStatus(err)
		}
		// Refusals: a foreign site, an unknown token, no hello.
		if c, ctx := dial("https://evil.example", tok, ""); closeCode(c, ctx) != realtime.CloseOriginRefused {
			t.Fatal("a foreign site's socket was not closed with 4003")
		}
		if c, ctx := dial(shop, "olv_unknown", ""); closeCode(c, ctx) != realtime.CloseVisitorUnknown {
			t.Fatal("an unknown token's socket was not closed with 4001")
		}

		// Opened before the first message: the message files it under the dialog.
		c, ctx := dial(shop, tok, "")
		if m := read(c, ctx); m["type"] != "ready" {
			t.Fatalf("first frame %v", m)
		}
		v := w.bearer(tok)
		v.do("POST", "/widget/v1/messages", map[string]any{"client_id": "a", "text": "hi"}, "Origin", shop).want(http.StatusCreated)
		if m := read(c, ctx); m["type"] != "message" || str(m, "message", "text") != "hi" {
			t.Fatalf("own message: %v", m)
		}
		dlg := w.c.dialogs("").json["dialogs"].([]any)[0].(map[string]any)["id"].(string)
		first := w.c.do("POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": "answer 0"}).want(http.StatusCreated).id()
		for {
			m := read(c, ctx)
			if m["type"] == "message" && str(m, "message", "kind") == "text" {
				if str(m, "message", "text") != "answer 0" || str(m, "message", "author", "name") != w.admin.Name {
					t.Fatalf("the answer: %v", m)
				}
				break
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
		for i := 1; i <= 3; i++ {
			w.c.do("POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": fmt.Sprint("answer ", i)}).want(http.StatusCreated)
		}
		c, ctx = dial(shop, tok, first)
		var got []string
		for {
			m := read(c, ctx)
			if m["type"] == "ready" {
				break
			}
			if m["type"] == "message" && str(m, "message", "kind") == "text" {
				got = append(got, str(m, "message", "text"))
			}
		}
		if strings.Join(got, "|") != "answer 1|answer 2|answer 3" {
			t.Fatalf("resumed after the first answer: %q", got)
		}
	})
}

// Whatever a page sends as the socket's first frame, the server answers by
// closing it (or with ready for a real hello), never by failing.
func FuzzWidgetHello(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"type":"hello"}`, `{"type":"hello","token":"olv_x","after":"\u0000"}`, `[1,2]`, `{"type":"hello","token":` + strings.Repeat("9", 5000) + `}`, "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		w := newWidgetHarness(t, store.SQLite)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.srv.URL, "http")+"/widget/v1/socket", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {shop}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		c.Write(ctx, websocket.MessageText, frame)
		_, _, err = c.Read(ctx)
		if code := websocket.CloseStatus(err); code == -1 && err != nil && ctx.Err() != nil {
			t.Fatalf("the server neither answered nor closed: %v", err)
		}
	})
}
