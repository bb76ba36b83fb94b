package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The running stack delivers the outbox: the welcome a customer's first
// message causes is sent by the node's delivery worker, the operator's
// screen hears it (message.delivery, never the worker's own wake-up), and
// the message's state says so.
func TestOutboxDeliveredByTheStack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, true)
	conn, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPClient: f.login(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	res, err := f.inbound("c1", "m1", "hello")
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("inbound: %v %v", res, err)
	}
	var in struct {
		DialogID string `json:"dialog_id"`
	}
	json.NewDecoder(res.Body).Decode(&in)
	res.Body.Close()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		_, data, err := conn.Read(rctx)
		if err != nil {
			t.Fatalf("no message.delivery event: %v", err)
		}
		var ev struct {
			Type     string `json:"type"`
			Status   string `json:"status"`
			DialogID string `json:"dialog_id"`
		}
		json.Unmarshal(data, &ev)
		if ev.Type == "outbound.queued" {
			t.Fatal("the delivery worker's wake-up reached a screen")
		}
		if ev.Type == "message.delivery" && ev.DialogID == in.DialogID && ev.Status == "sent" {
			break
		}
	}
	ms, err := f.stack.Store.ListMessages(ctx, f.admin.WorkspaceID, in.DialogID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Direction == "out" && (m.Delivery == nil || m.Delivery.State != "sent") {
			t.Fatalf("the welcome's delivery: %+v", m.Delivery)
		}
	}
}
