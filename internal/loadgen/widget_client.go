package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The widget's public routes (docs/WIDGET.md) as a site's visitors use
// them: a bearer visitor token, the site's Origin, and the visitor's
// WebSocket with its hello. The server limits them per client address (20
// new visitors a minute, 200 messages in 10 s) and per visitor (20 messages
// in 10 s); a load of thousands of visitors is thousands of people on as
// many addresses. On loopback every address of 127.0.0.0/8 is this
// machine, so the load tool spreads its visitors over many source
// addresses, at most visitorsPerAddress on each, and every address stays
// within the limits as a real visitor's would. The limits are the server's
// and are not bypassed: a server elsewhere sees one address, and the run
// then reports the 429s it gets.

// benchOrigin is the site the run's widget channel allows.
const benchOrigin = "https://bench.openlines.test"

// visitorsPerAddress is how many visitors share a source address: their
// first messages, 10 new visitors a minute and, at 2 messages a second
// per visitor at most, under 200 messages in 10 s from the address.
const visitorsPerAddress = 10

// sources are the run's client addresses, each with its own transports
// (a pooled connection is bound to the address it was dialled from).
type sources struct {
	ips []net.IP // nil entries: the system's choice (a server elsewhere)
	mu  sync.Mutex
	hc  map[int]*http.Client // keep-alive requests
	ws  map[int]*http.Client // WebSocket handshakes
}

// newSources makes enough source addresses for n visitors when the server
// at base is on loopback (127.R.x.y, with R random per run so that runs in
// a row do not meet the previous run's per-minute counts), else one.
func newSources(base string, n int) *sources {
	s := &sources{hc: map[int]*http.Client{}, ws: map[int]*http.Client{}}
	u, err := url.Parse(base)
	host := ""
	if err == nil {
		host = u.Hostname()
	}
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback() || ip.To4() == nil) {
		s.ips = []net.IP{nil}
		return s
	}
	k := max(1, (n+visitorsPerAddress-1)/visitorsPerAddress)
	r := byte(16 + rand.IntN(224))
	for i := range min(k, 254*256) {
		s.ips = append(s.ips, net.IPv4(127, r, byte(i/254), byte(1+i%254)))
	}
	return s
}

// spread reports whether the visitors are spread over addresses.
func (s *sources) spread() bool { return s.ips[0] != nil }

// of is the source address index of visitor i.
func (s *sources) of(i int) int { return (i / visitorsPerAddress) % len(s.ips) }

func (s *sources) transport(i int, pooled bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	local := s.ips[i]
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if local != nil {
				network = "tcp4" // "localhost" must not resolve to ::1 from an IPv4 source
			}
			return d.DialContext(ctx, network, addr)
		},
		DisableCompression: true,
		IdleConnTimeout:    90 * time.Second,
	}
	if pooled {
		t.MaxIdleConnsPerHost = 8
	}
	return t
}

// client is the keep-alive HTTP client of source address i.
func (s *sources) client(i int) *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.hc[i]
	if c == nil {
		c = &http.Client{Transport: s.transport(i, true)}
		s.hc[i] = c
	}
	return c
}

// wsClient is the WebSocket handshake client of source address i.
func (s *sources) wsClient(i int) *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws[i]
	if c == nil {
		c = &http.Client{Transport: s.transport(i, false)}
		s.ws[i] = c
	}
	return c
}

// closeIdle closes the idle keep-alive connections of every address.
func (s *sources) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[int]*http.Client{s.hc, s.ws} {
		for _, c := range m {
			c.CloseIdleConnections()
		}
	}
}

// visitor is a widget visitor the run created.
type visitor struct {
	ID, Token string
	src       int
	dialogID  string   // after the first message, once an operator took it
	holder    *account // the operator who took the dialog
}

// widgetCall sends a JSON request to a widget route from source address
// src, with the site's Origin and (when token is not "") the visitor's
// token, and decodes a JSON answer into out (when not nil).
func (e *env) widgetCall(ctx context.Context, src *sources, i int, token, method, path string, body []byte, out any, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Origin", benchOrigin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return roundTrip(src.client(i), req, out, want)
}

// createWidgetChannel makes the run's widget channel on its line, allowing
// benchOrigin.
func (a *api) createWidgetChannel(ctx context.Context, lineID string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"type": "widget", "name": "bench widget", "settings": map[string]any{"origins": []string{benchOrigin}}}
	err := a.do(ctx, nil, "POST", "/api/v1/lines/"+url.PathEscape(lineID)+"/channels", body, &out, http.StatusCreated)
	return out.ID, err
}

// newVisitors creates n visitors of the run's channel, each from its
// source address, cfg.Connections at a time.
func (e *env) newVisitors(ctx context.Context, src *sources, n int) ([]*visitor, *outcome, error) {
	vs := make([]*visitor, n)
	path := "/widget/v1/channels/" + url.PathEscape(e.channelID) + "/visitors"
	o := drive(ctx, e.setupLoad(n), func(ctx context.Context, i int) error {
		var out struct {
			VisitorID string `json:"visitor_id"`
			Token     string `json:"token"`
		}
		body := fmt.Appendf(nil, `{"name":"Bench visitor %d"}`, i)
		if err := e.widgetCall(ctx, src, src.of(i), "", "POST", path, body, &out, http.StatusCreated); err != nil {
			return err
		}
		if out.VisitorID == "" || out.Token == "" {
			return errors.New("a new visitor without id or token")
		}
		vs[i] = &visitor{ID: out.VisitorID, Token: out.Token, src: src.of(i)}
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if o.OK != int64(n) {
		return nil, nil, fmt.Errorf("only %d of %d visitors were created (errors: %s)", o.OK, n, o.Errors)
	}
	return vs, o, nil
}

// visitorMessage is POST /widget/v1/messages as v.
func (e *env) visitorMessage(ctx context.Context, src *sources, v *visitor, clientID, text string) error {
	body := fmt.Appendf(nil, `{"client_id":%q,"text":%q}`, clientID, text)
	return e.widgetCall(ctx, src, v.src, v.Token, "POST", "/widget/v1/messages", body, nil, http.StatusCreated)
}

// visitorFrame is the part of a frame of the visitor's socket the
// scenarios look at.
type visitorFrame struct {
	Type    string `json:"type"`
	Message *struct {
		ID        string `json:"id"`
		Direction string `json:"direction"`
		Text      string `json:"text"`
	} `json:"message"`
}

// dialVisitor opens v's socket from its source address, says hello and
// reads up to the server's ready (after the replay of the conversation).
func (e *env) dialVisitor(ctx context.Context, src *sources, v *visitor, timeout time.Duration) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := "ws" + strings.TrimPrefix(e.a.base, "http") + "/widget/v1/socket"
	c, res, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: src.wsClient(v.src), HTTPHeader: http.Header{"Origin": {benchOrigin}}, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			return nil, &StatusError{Code: res.StatusCode, Body: err.Error()}
		}
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	hello, _ := json.Marshal(map[string]string{"type": "hello", "token": v.Token, "after": ""})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		c.CloseNow()
		return nil, err
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			c.CloseNow()
			if code := websocket.CloseStatus(err); code != -1 {
				return nil, fmt.Errorf("the server closed the visitor's socket before ready: %d %w", code, err)
			}
			return nil, err
		}
		var f visitorFrame
		if json.Unmarshal(b, &f) == nil && f.Type == "ready" {
			return c, nil
		}
	}
}

// readVisitorFrames reads v's socket until it fails or ctx ends and calls
// fn with each frame and the time it arrived.
func readVisitorFrames(ctx context.Context, c *websocket.Conn, fn func(f *visitorFrame, at time.Time)) error {
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		at := time.Now()
		var f visitorFrame
		if json.Unmarshal(b, &f) == nil {
			fn(&f, at)
		}
	}
}

// takeDialogs has the line's operators take the sessions offered to them
// until every visitor's dialog is held, and files each visitor's dialog
// and holder. Offers are made by the routing engine after the first
// messages commit, so it lists again until all are in or timeout passes.
func (e *env) takeDialogs(ctx context.Context, vs []*visitor, timeout time.Duration) error {
	byCustomer := make(map[string]*visitor, len(vs))
	for _, v := range vs {
		byCustomer["v:"+v.ID] = v
	}
	taken := 0
	var mu sync.Mutex
	deadline := time.Now().Add(timeout)
	for taken < len(vs) {
		type offer struct {
			op         *account
			session, d string
			v          *visitor
		}
		var offers []offer
		for _, op := range e.ops {
			cursor := ""
			for range 10_000 {
				q := url.Values{"line_id": {e.lineID}, "offered_to": {op.ID}, "status": {"queued"}, "limit": {"200"}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				var page struct {
					Dialogs []struct {
						ID       string `json:"id"`
						Customer struct {
							ExternalID string `json:"external_id"`
						} `json:"customer"`
						Session *struct {
							ID string `json:"id"`
						} `json:"session"`
					} `json:"dialogs"`
					NextCursor string `json:"next_cursor"`
				}
				if err := e.a.do(ctx, op, "GET", "/api/v1/dialogs?"+q.Encode(), nil, &page, http.StatusOK); err != nil {
					return err
				}
				for _, d := range page.Dialogs {
					if v := byCustomer[d.Customer.ExternalID]; v != nil && v.holder == nil && d.Session != nil {
						offers = append(offers, offer{op, d.Session.ID, d.ID, v})
					}
				}
				if page.NextCursor == "" || len(page.Dialogs) == 0 {
					break
				}
				cursor = page.NextCursor
			}
		}
		err := parallel(ctx, len(offers), e.cfg.Connections, func(i int) error {
			o := offers[i]
			if err := e.a.do(ctx, o.op, "POST", "/api/v1/sessions/"+url.PathEscape(o.session)+"/take", nil, nil, http.StatusOK); err != nil {
				var se *StatusError
				if errors.As(err, &se) && se.Code == http.StatusConflict {
					return nil // offered elsewhere meanwhile: the next listing finds it
				}
				return err
			}
			mu.Lock()
			o.v.dialogID, o.v.holder = o.d, o.op
			taken++
			mu.Unlock()
			return nil
		})
		if err != nil {
			return fmt.Errorf("take: %w", err)
		}
		if taken < len(vs) {
			if time.Now().After(deadline) {
				return fmt.Errorf("the operators took %d of %d dialogs within %v (sessions not offered to them); raise --timeout or --operators", taken, len(vs), timeout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// reply is an operator's reply to a dialog on the load client's transport.
func (e *env) reply(ctx context.Context, hc *http.Client, dialogID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.a.base+"/api/v1/dialogs/"+url.PathEscape(dialogID)+"/messages", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := wantStatus(res, http.StatusCreated); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}
