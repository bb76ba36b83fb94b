package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// client calls the API of a server over HTTP with a bearer token.
type client struct {
	srv   *server
	token string
	hc    *http.Client
}

func newHTTPClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns, conns
	tr.Proxy = nil // loopback only, never through a proxy
	return &http.Client{Transport: tr}
}

// reply is one HTTP exchange as a client saw it.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error // transport error: no answer at all
	start  time.Time
	dur    time.Duration
}

// errCode is the code of a JSON error answer, or "".
func (r reply) errCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r reply) String() string {
	if r.err != nil {
		return fmt.Sprintf("no answer after %v: %v", r.dur.Round(time.Millisecond), r.err)
	}
	b := string(r.body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%d after %v: %s", r.status, r.dur.Round(time.Millisecond), strings.TrimSpace(b))
}

// call sends one request with a JSON body (nil: none) within timeout.
func (c *client) call(method, path string, body any, timeout time.Duration) reply {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{err: err}
		}
		rd = bytes.NewReader(b)
	}
	r := reply{start: time.Now()}
	req, err := http.NewRequestWithContext(ctx, method, c.srv.URL()+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err == nil {
		r.status, r.header = res.StatusCode, res.Header
		r.body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	r.err, r.dur = err, time.Since(r.start)
	return r
}

// must calls and fails the test unless the status is want; the JSON answer
// is decoded into out when out is not nil.
func (c *client) must(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	r := c.call(method, path, body, 20*time.Second)
	if r.err != nil || r.status != want {
		t.Fatalf("%s %s: want %d, got %v", method, path, want, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, r.body, err)
		}
	}
}

// login signs a user in with the password and makes an API token, so that
// every later call (and every call after a restart) is a bearer call.
func login(t *testing.T, srv *server, email, password string, conns int) *client {
	t.Helper()
	hc := newHTTPClient(conns)
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := hc.Post(srv.URL()+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "openlines_session" {
			cookie = ck
		}
	}
	if res.StatusCode != http.StatusOK || cookie == nil {
		t.Fatalf("login %s: status %d, session cookie %v", email, res.StatusCode, cookie)
	}
	b, _ = json.Marshal(map[string]string{"name": "e2e"})
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v1/tokens", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(cookie)
	res, err = hc.Do(req)
	if err != nil {
		t.Fatalf("token for %s: %v", email, err)
	}
	defer res.Body.Close()
	var tok struct {
		Secret string `json:"secret"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusCreated || tok.Secret == "" {
		t.Fatalf("token for %s: status %d, %v", email, res.StatusCode, err)
	}
	return &client{srv: srv, token: tok.Secret, hc: hc}
}

// admin signs in as the server's first administrator.
func admin(t *testing.T, srv *server, conns int) *client {
	return login(t, srv, adminEmail, adminPassword, conns)
}

type idOnly struct {
	ID string `json:"id"`
}

// createLine creates a line with settings (name included) and returns its id.
func (c *client) createLine(t *testing.T, settings map[string]any) string {
	t.Helper()
	var l idOnly
	c.must(t, "POST", "/api/v1/lines", settings, http.StatusCreated, &l)
	return l.ID
}

// createAPIChannel connects an api channel to the line and returns its id.
func (c *client) createAPIChannel(t *testing.T, lineID string) string {
	t.Helper()
	var ch idOnly
	c.must(t, "POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "api"}, http.StatusCreated, &ch)
	return ch.ID
}

// createOperator adds a manager and returns their id and a client of theirs.
func (c *client) createOperator(t *testing.T, email, name string) (string, *client) {
	t.Helper()
	const pw = "operator-password"
	var u idOnly
	c.must(t, "POST", "/api/v1/users", map[string]any{"email": email, "name": name, "password": pw, "role": "manager"}, http.StatusCreated, &u)
	return u.ID, login(t, c.srv, email, pw, 2)
}

// inboundResult is the answer to a customer message.
type inboundResult struct {
	DialogID   string `json:"dialog_id"`
	SessionID  string `json:"session_id"`
	MessageID  string `json:"message_id"`
	CustomerID string `json:"customer_id"`
	Duplicate  bool   `json:"duplicate"`
}

// inbound posts a customer message through an api channel.
func (c *client) inbound(channelID, customer, externalID, text string, timeout time.Duration) (reply, inboundResult) {
	r := c.call("POST", "/api/v1/channels/"+channelID+"/messages", map[string]any{
		"customer": map[string]string{"external_id": customer, "name": "Customer " + customer},
		"message":  map[string]string{"external_id": externalID, "text": text},
	}, timeout)
	var res inboundResult
	if r.err == nil && r.status/100 == 2 {
		if err := json.Unmarshal(r.body, &res); err != nil {
			r.err = fmt.Errorf("2xx with an undecodable body %q: %w", r.body, err)
		}
	}
	return r, res
}

type sessionView struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	OperatorID *string    `json:"operator_id"`
	OfferedTo  []string   `json:"offered_to"`
	ClosedAt   *time.Time `json:"closed_at"`
}

type dialogView struct {
	ID      string       `json:"id"`
	LineID  string       `json:"line_id"`
	Status  string       `json:"status"`
	Session *sessionView `json:"session"`
}

type message struct {
	ID         string    `json:"id"`
	DialogID   string    `json:"dialog_id"`
	SessionID  *string   `json:"session_id"`
	Direction  string    `json:"direction"`
	Kind       string    `json:"kind"`
	ExternalID *string   `json:"external_id"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
	Event      *struct {
		Code   string            `json:"code"`
		Params map[string]string `json:"params"`
	} `json:"event"`
}

func (c *client) dialog(t *testing.T, id string) dialogView {
	t.Helper()
	var d dialogView
	c.must(t, "GET", "/api/v1/dialogs/"+id, nil, http.StatusOK, &d)
	return d
}

// dialogsOfLine lists every dialog of a line, page by page (bounded).
func (c *client) dialogsOfLine(t *testing.T, lineID string) []dialogView {
	t.Helper()
	var all []dialogView
	cursor := ""
	for range 1000 {
		q := url.Values{"line_id": {lineID}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Dialogs    []dialogView `json:"dialogs"`
			NextCursor string       `json:"next_cursor"`
		}
		c.must(t, "GET", "/api/v1/dialogs?"+q.Encode(), nil, http.StatusOK, &page)
		all = append(all, page.Dialogs...)
		if cursor = page.NextCursor; cursor == "" {
			return all
		}
	}
	t.Fatalf("line %s: more than 1000 pages of dialogs", lineID)
	return nil
}

// messages lists a dialog's whole timeline in order, page by page (bounded).
func (c *client) messages(t *testing.T, dialogID string) []message {
	t.Helper()
	var all []message
	after := ""
	for range 1000 {
		path := "/api/v1/dialogs/" + dialogID + "/messages?limit=1000"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		var page struct {
			Messages []message `json:"messages"`
		}
		c.must(t, "GET", path, nil, http.StatusOK, &page)
		all = append(all, page.Messages...)
		if len(page.Messages) < 1000 {
			return all
		}
		after = page.Messages[len(page.Messages)-1].ID
	}
	t.Fatalf("dialog %s: more than 1000 pages of messages", dialogID)
	return nil
}

// events returns the timeline events of a dialog with the given code.
func events(ms []message, code string) []message {
	var out []message
	for _, m := range ms {
		if m.Kind == "event" && m.Event != nil && m.Event.Code == code {
			out = append(out, m)
		}
	}
	return out
}

// describe renders a timeline's events for a failure message.
func describe(ms []message) string {
	var b strings.Builder
	for _, m := range ms {
		if m.Kind == "event" && m.Event != nil {
			fmt.Fprintf(&b, "\n  %s event %s %v", m.CreatedAt.Format("15:04:05.000"), m.Event.Code, m.Event.Params)
		} else {
			fmt.Fprintf(&b, "\n  %s %s/%s %q", m.CreatedAt.Format("15:04:05.000"), m.Direction, m.Kind, m.Text)
		}
	}
	return b.String()
}
