package loadgen

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// event is the part of a server event the scenarios look at.
type event struct {
	Type      string `json:"type"`
	LineID    string `json:"line_id"`
	SessionID string `json:"session_id"`
	Data      struct {
		ExternalID *string `json:"external_id"`
	} `json:"data"`
}

// wsURL is the operators' WebSocket address of the server.
func (a *api) wsURL() string {
	return "ws" + strings.TrimPrefix(a.base, "http") + "/api/v1/ws"
}

// dial opens the real-time socket as u (its cookie, with the server's own
// Origin, as a browser would send it), or with the administrator's token
// when u is nil.
func (a *api) dial(ctx context.Context, u *account, timeout time.Duration) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h := http.Header{"Origin": {a.base}}
	hc := &http.Client{Transport: a.wsHTTP}
	if u != nil {
		hc = u.ws
	} else {
		h.Set("Authorization", "Bearer "+a.token)
	}
	c, res, err := websocket.Dial(ctx, a.wsURL(), &websocket.DialOptions{HTTPClient: hc, HTTPHeader: h, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			return nil, &StatusError{Code: res.StatusCode, Body: err.Error()}
		}
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	return c, nil
}

// readEvents reads the socket until it fails or ctx ends and calls fn with
// each event and the time it arrived. It returns the read error.
func readEvents(ctx context.Context, c *websocket.Conn, fn func(ev *event, at time.Time)) error {
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		at := time.Now()
		var ev event
		if json.Unmarshal(b, &ev) == nil {
			fn(&ev, at)
		}
	}
}
