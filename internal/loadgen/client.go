package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// newTransport is the load client's transport: keep-alive connections, as
// many idle ones kept per host as there are workers, and no more than that
// open at once, so that --connections is what the server sees.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // only the URL given, never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// api talks to one OpenLines server. Requests carry either the bearer token
// (the administrator's, as a connector would) or a user's cookie jar.
type api struct {
	base   string // scheme://host[:port], no trailing slash
	token  string // the administrator's bearer token
	hc     *http.Client
	setup  *http.Client // for setup and cleanup requests: its own few connections
	wsHTTP *http.Transport
}

func newAPI(base string, conns int) *api {
	return &api{
		base:   strings.TrimRight(base, "/"),
		hc:     &http.Client{Transport: newTransport(conns)},
		setup:  &http.Client{Transport: newTransport(8)},
		wsHTTP: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, DisableCompression: true},
	}
}

func (a *api) close() {
	a.hc.CloseIdleConnections()
	a.setup.CloseIdleConnections()
	a.wsHTTP.CloseIdleConnections()
}

// account is a signed-in user: its cookie jar works for HTTP and WebSocket.
type account struct {
	ID    string
	Email string
	jar   *cookiejar.Jar
	http  *http.Client // cookie jar on the setup transport
	ws    *http.Client // cookie jar on the WebSocket transport (no timeout: contexts bound it)
}

// call sends a JSON request on hc and decodes a JSON answer into out (when
// not nil). A status other than want is a *StatusError. With bearer the
// request carries the administrator's token; otherwise hc's cookie jar
// authenticates it.
func (a *api) call(ctx context.Context, hc *http.Client, bearer bool, method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	return roundTrip(hc, req, out, want)
}

// roundTrip sends req, wants the status want and decodes a JSON answer
// into out (when not nil; else the body is read and dropped).
func roundTrip(hc *http.Client, req *http.Request, out any, want int) error {
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := wantStatus(res, want); err != nil {
		return err
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// do is call on the setup transport as the user as (nil: with the
// administrator's token), bounded by a minute.
func (a *api) do(ctx context.Context, as *account, method, path string, body, out any, want int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := a.setup
	if as != nil {
		hc = as.http
	}
	if err := a.call(ctx, hc, as == nil, method, path, body, out, want); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// post sends a ready JSON body with the token on the load client and
// expects want; it is the hot path of the HTTP scenarios.
func (a *api) post(ctx context.Context, path string, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := wantStatus(res, want); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

// login signs in with a password and returns the user with its cookie.
func (a *api) login(ctx context.Context, email, password string) (*account, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	u := &account{Email: email, jar: jar,
		http: &http.Client{Transport: a.setup.Transport, Jar: jar},
		ws:   &http.Client{Transport: a.wsHTTP, Jar: jar}}
	var out struct {
		User struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		} `json:"user"`
	}
	if err := a.do(ctx, u, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &out, http.StatusOK); err != nil {
		return nil, err
	}
	u.ID = out.User.ID
	return u, nil
}

// me returns the signed-in caller's id and role.
func (a *api) me(ctx context.Context, as *account) (id, role string, err error) {
	var out struct {
		User struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		} `json:"user"`
	}
	err = a.do(ctx, as, "GET", "/api/v1/me", nil, &out, http.StatusOK)
	return out.User.ID, out.User.Role, err
}

// createToken makes an API token for the signed-in user and returns its id
// and secret.
func (a *api) createToken(ctx context.Context, as *account, name string) (id, secret string, err error) {
	var out struct {
		Token struct {
			ID string `json:"id"`
		} `json:"token"`
		Secret string `json:"secret"`
	}
	err = a.do(ctx, as, "POST", "/api/v1/tokens", map[string]string{"name": name}, &out, http.StatusCreated)
	return out.Token.ID, out.Secret, err
}

func (a *api) createUser(ctx context.Context, email, name, password, role string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, nil, "POST", "/api/v1/users", map[string]string{"email": email, "name": name, "password": password, "role": role}, &out, http.StatusCreated)
	return out.ID, err
}

func (a *api) createLine(ctx context.Context, settings map[string]any) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, nil, "POST", "/api/v1/lines", settings, &out, http.StatusCreated)
	return out.ID, err
}

func (a *api) createChannel(ctx context.Context, lineID string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, nil, "POST", "/api/v1/lines/"+url.PathEscape(lineID)+"/channels", map[string]string{"type": "api", "name": "bench"}, &out, http.StatusCreated)
	return out.ID, err
}

// setStatus changes a user's presence status (the request whose latency
// the backlog scenario measures), on the load client's transport.
func (a *api) setStatus(ctx context.Context, u *account, status string) error {
	hc := &http.Client{Transport: a.hc.Transport, Jar: u.jar}
	return a.call(ctx, hc, false, "PUT", "/api/v1/me/status", map[string]string{"status": status}, nil, http.StatusOK)
}

// countOffered pages through the line's queued dialogs and counts those
// whose session is offered to someone or held.
func (a *api) countOffered(ctx context.Context, lineID string) (offered, queued int, err error) {
	cursor := ""
	for range 100_000 { // bounded: 200 dialogs a page
		q := url.Values{"line_id": {lineID}, "status": {"queued"}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Dialogs []struct {
				Session *struct {
					OfferedTo  []string `json:"offered_to"`
					OperatorID *string  `json:"operator_id"`
				} `json:"session"`
			} `json:"dialogs"`
			NextCursor string `json:"next_cursor"`
		}
		if err := a.do(ctx, nil, "GET", "/api/v1/dialogs?"+q.Encode(), nil, &page, http.StatusOK); err != nil {
			return 0, 0, err
		}
		for _, d := range page.Dialogs {
			queued++
			if d.Session != nil && (len(d.Session.OfferedTo) > 0 || d.Session.OperatorID != nil) {
				offered++
			}
		}
		if page.NextCursor == "" || len(page.Dialogs) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	return offered, queued, nil
}

// wantStatus returns a StatusError, with the start of the body, unless the
// response has status want.
func wantStatus(res *http.Response, want int) error {
	if res.StatusCode == want {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	io.Copy(io.Discard, res.Body)
	return &StatusError{Code: res.StatusCode, Body: strings.TrimSpace(string(b))}
}
