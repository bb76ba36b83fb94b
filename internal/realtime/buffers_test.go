package realtime

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// pipelined opens a WebSocket by hand and writes the upgrade request and
// a first frame in one write, so that net/http has the frame in its
// buffer when the connection is hijacked — what a quick client over a
// fast network does now and then. It returns the connection past the
// server's 101.
func pipelined(t *testing.T, url, payload string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write(append([]byte(req), clientFrame(payload)...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return c, br
}

// clientFrame is a masked text frame (RFC 6455 §5.2).
func clientFrame(payload string) []byte {
	f := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	}
	mask := [4]byte{1, 2, 3, 4}
	f = append(f, mask[:]...)
	for i := range len(payload) {
		f = append(f, payload[i]^mask[i%4])
	}
	return f
}

// serverFrame reads an unmasked text frame.
func serverFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	h := make([]byte, 2)
	if _, err := io.ReadFull(br, h); err != nil {
		t.Fatal(err)
	}
	if h[0] != 0x81 {
		t.Fatalf("frame %x: not a text frame (a close with the server's complaint?)", h)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A first frame that arrived with the upgrade request is read whole, short
// or longer than the small read buffer. Before the fix it was lost (the
// library resets the reader onto the connection), and the next read began
// in the middle of the frame: "unexpected rsv bits".
func TestSmallBuffersKeepWhatWasBuffered(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(&smallBuffers{ResponseWriter: w}, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		_, b, err := ws.Read(context.Background())
		if err != nil {
			ws.Close(websocket.StatusProtocolError, err.Error())
			return
		}
		ws.Write(context.Background(), websocket.MessageText, b)
	}))
	defer srv.Close()
	for _, payload := range []string{`{"type":"hello","token":"olv_x"}`, strings.Repeat("long frame ", 100)} {
		_, br := pipelined(t, srv.URL, payload)
		if got := serverFrame(t, br); got != payload {
			t.Fatalf("echoed %q, sent %q", got, payload)
		}
	}
}
