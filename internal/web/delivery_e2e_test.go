package web_test

import (
	"testing"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// Each text for the customer shows how far it got: the welcome and the
// operator's reply turn "sent" as the node's delivery worker sends them
// (the reply live, by message.delivery), and a text no channel can carry
// shows it was not delivered, with the reason, in the operator's language.
func TestDeliveryStateShown(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	l, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	pigeon, err := e.stack.Store.CreateChannel(e.ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: l.ID, Type: "pigeon", Name: "Pigeon post"})
	if err != nil {
		t.Fatal(err)
	}
	po := e.signIn(olga)
	a := e.customer(ch, "anna", "Anna Petrova", "a1", "Where is my order?")
	mark := func(direction string) string {
		return `[...document.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=` + direction + `] [data-testid=delivery]')]`
	}
	po.take(a.DialogID)
	po.waitFor("the welcome sent", mark("out")+`.some(el => el.dataset.state === 'sent' && el.title === 'Sent')`)
	po.send("It left the warehouse today.")
	po.waitMessage("out", "It left the warehouse today.")
	po.waitFor("the reply sent", `(() => {
		const ms = [...document.querySelectorAll('[data-testid=messages] [data-testid=message][data-direction=out]')];
		const m = ms.find(m => m.querySelector('[data-testid=message-text]').textContent === 'It left the warehouse today.');
		return m && m.querySelector('[data-testid=delivery]')?.dataset.state === 'sent';
	})()`)
	// No inbound or event text carries a mark.
	if n := po.strings(`[...document.querySelectorAll('[data-testid=message]:not([data-direction=out]) [data-testid=delivery]')].map(e => e.dataset.state)`); len(n) != 0 {
		t.Fatalf("marks on messages that are not sent to the customer: %v", n)
	}

	b := e.customer(pigeon, "boris", "Boris Kuznetsov", "b1", "Coo")
	po.openDialog(b.DialogID)
	po.waitFor("the welcome failed", mark("out")+`.some(el => el.dataset.state === 'failed' && el.title === 'Not delivered: no sender for channels of kind pigeon')`)
}
