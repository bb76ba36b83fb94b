package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/delivery"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

var ctx = context.Background()

// world is a workspace with one operator and a line that welcomes every
// new customer (an auto-reply: a text in the outbox) on a store of its own.
type world struct {
	t      *testing.T
	dsn    string
	clk    *clock.Fake
	s      *store.Store
	ws     workspace.Workspace
	op     user.User
	ln     line.Line
	ch     channel.Channel
	events []events.Event
	mu     sync.Mutex
}

func newWorld(t *testing.T, engine string) *world {
	w := &world{t: t, dsn: storetest.DSN(t, engine), clk: clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
	w.open()
	var err error
	if w.ws, err = w.s.CreateWorkspace(ctx, "Acme", workspace.Enterprise); err != nil {
		t.Fatal(err)
	}
	if w.op, err = w.s.CreateUser(ctx, user.User{WorkspaceID: w.ws.ID, Email: "op@acme.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	st := line.Defaults()
	st.Queue = []string{w.op.ID}
	if w.ln, err = w.s.CreateLine(ctx, w.ws.ID, "Support", st); err != nil {
		t.Fatal(err)
	}
	if w.ch, err = w.s.CreateChannel(ctx, channel.Channel{WorkspaceID: w.ws.ID, LineID: w.ln.ID, Type: channel.TypeAPI, Name: "api"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// open (re)opens the store, as a restarted node would.
func (w *world) open() {
	s, err := store.Open(ctx, w.dsn, store.Options{Clock: w.clk, OnCommit: func(evs []events.Event) {
		w.mu.Lock()
		w.events = append(w.events, evs...)
		w.mu.Unlock()
	}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.s = s
	w.t.Cleanup(func() { s.Close() })
}

// customer writes a first message: the welcome text goes to the outbox.
func (w *world) customer(name string) dialog.InboundResult {
	w.t.Helper()
	r, err := w.s.Ingest(ctx, dialog.Inbound{WorkspaceID: w.ws.ID, ChannelID: w.ch.ID, LineID: w.ln.ID,
		Customer: dialog.Customer{ExternalID: name}, ExternalID: name + "-1", Text: "hello"})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// reply sends an operator's text into the dialog (taking it by the reply).
func (w *world) reply(dialogID, text string) dialog.Message {
	w.t.Helper()
	m, err := w.s.AddOperatorReply(ctx, w.ws.ID, dialogID, store.Writer{UserID: w.op.ID, MayIntercept: true}, text)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// states are the delivery states of the dialog's outbound texts, in order.
func (w *world) states(dialogID string) []string {
	w.t.Helper()
	ms, err := w.s.ListMessages(ctx, w.ws.ID, dialogID, "", 100)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Direction == dialog.Out {
			d := "none"
			if m.Delivery != nil {
				d = m.Delivery.State
				if m.Delivery.Error != "" {
					d += ": " + m.Delivery.Error
				}
			}
			out = append(out, d)
		}
	}
	return out
}

// recorder is a Sender that remembers what it delivered, in order, and
// fails as told.
type recorder struct {
	mu   sync.Mutex
	got  []string // texts
	fail func(o store.Outbound) error
	busy map[string]bool
	dup  bool // the same text was being delivered twice at once
}

func (r *recorder) Deliver(_ context.Context, o store.Outbound) (string, error) {
	r.mu.Lock()
	if r.busy == nil {
		r.busy = map[string]bool{}
	}
	if r.busy[o.Message.ID] {
		r.dup = true
	}
	r.busy[o.Message.ID] = true
	fail := r.fail
	r.mu.Unlock()
	time.Sleep(time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.busy, o.Message.ID)
	if fail != nil {
		if err := fail(o); err != nil {
			return "", err
		}
	}
	r.got = append(r.got, o.Message.Text)
	return store.OutSent, nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func worker(w *world, r *recorder) *delivery.Worker {
	return delivery.New(w.s, delivery.Options{Clock: w.clk, Senders: map[string]delivery.Sender{channel.TypeAPI: r}})
}

func flush(t *testing.T, d *delivery.Worker) int {
	t.Helper()
	total := 0
	for {
		n, err := d.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// Every text for the customer is queued in the transaction that writes it
// and sent once, in order per dialog; its state is on the message.
func TestOutboxDeliversInOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		a := w.customer("ann")
		want(t, "queued with the welcome", w.states(a.DialogID), []string{"queued"})
		w.reply(a.DialogID, "one")
		w.reply(a.DialogID, "two")
		r := &recorder{}
		d := worker(w, r)
		// One text per dialog and claim: the dialog's next text waits for it.
		n, err := d.Flush(ctx)
		if err != nil || n != 1 {
			t.Fatalf("first claim: %d texts, %v", n, err)
		}
		want(t, "after the first", w.states(a.DialogID), []string{"sent", "queued", "queued"})
		flush(t, d)
		want(t, "delivered", r.texts(), []string{line.Defaults().WelcomeText, "one", "two"})
		want(t, "states", w.states(a.DialogID), []string{"sent", "sent", "sent"})
		if flush(t, d) != 0 {
			t.Fatal("a sent text was claimed again")
		}
		w.mu.Lock()
		var delivered int
		for _, e := range w.events {
			if e.Type == events.MessageDelivery && e.Status == store.OutSent && e.DialogID == a.DialogID {
				delivered++
			}
		}
		w.mu.Unlock()
		want(t, "delivery events", delivered, 3)
	})
}

// A failed attempt is retried with backoff, and the dialog's later texts
// wait for it; a text that keeps failing ends failed with its last error
// after the give-up time; a permanent error fails it at once.
func TestOutboxRetriesThenGivesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		a := w.customer("ann")
		w.reply(a.DialogID, "after the welcome")
		attempts := 0
		r := &recorder{fail: func(o store.Outbound) error {
			if o.Message.Text == line.Defaults().WelcomeText {
				attempts++
				if attempts < 3 {
					return errors.New("connection refused")
				}
			}
			return nil
		}}
		d := worker(w, r)
		flush(t, d)
		want(t, "after a failure", w.states(a.DialogID), []string{"queued: connection refused", "queued"})
		want(t, "nothing out of order", r.texts(), []string{})
		// The worker sleeps until the retry: the text behind it is not due before.
		if next, ok, err := w.s.NextOutbound(ctx); err != nil || !ok || !next.Equal(w.clk.Now().Add(delivery.Backoff(1))) {
			t.Fatalf("next outbound %v %v %v, want the retry at %v", next, ok, err, w.clk.Now().Add(delivery.Backoff(1)))
		}
		w.clk.Advance(delivery.Backoff(1))
		flush(t, d)
		want(t, "second failure", len(r.texts()), 0)
		w.clk.Advance(delivery.Backoff(2))
		flush(t, d)
		want(t, "in order after the retries", r.texts(), []string{line.Defaults().WelcomeText, "after the welcome"})

		b := w.customer("bob")
		down := &recorder{fail: func(store.Outbound) error { return errors.New("503 from the channel") }}
		d = worker(w, down)
		for i := 1; i < 1000 && strings.HasPrefix(w.states(b.DialogID)[0], "queued"); i++ {
			flush(t, d)
			w.clk.Advance(delivery.Backoff(i))
		}
		want(t, "given up", w.states(b.DialogID), []string{"failed: 503 from the channel"})
		if got := w.clk.Now().Sub(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)); got < store.OutboxGiveUp {
			t.Fatalf("failed after %v, before the give-up time", got)
		}

		c := w.customer("cyd")
		d = worker(w, &recorder{fail: func(store.Outbound) error { return delivery.Permanent(errors.New("the customer blocked the bot")) }})
		flush(t, d)
		want(t, "permanent", w.states(c.DialogID), []string{"failed: the customer blocked the bot"})
	})
}

// A node that dies with texts claimed leaves them to its lease: after a
// restart they are delivered once the lease runs out, none lost.
func TestOutboxSurvivesACrashMidDelivery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		var dialogs []string
		for i := range 5 {
			dialogs = append(dialogs, w.customer(fmt.Sprint("c", i)).DialogID)
		}
		claimed, err := w.s.ClaimOutbound(ctx, 3, time.Minute) // then the node dies
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claimed %d, %v", len(claimed), err)
		}
		w.s.Close()
		w.open()
		r := &recorder{}
		d := worker(w, r)
		want(t, "the others at once", flush(t, d), 2)
		w.clk.Advance(time.Minute)
		want(t, "the claimed ones after the lease", flush(t, d), 3)
		for _, id := range dialogs {
			want(t, "dialog "+id, w.states(id), []string{"sent"})
		}
		want(t, "texts", len(r.texts()), 5)
	})
}

// Two nodes deliver the same outbox: no text is delivered twice at once
// or twice at all (leases are long), and each dialog's texts in order.
func TestOutboxTwoNodes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		if engine != store.Postgres {
			t.Skip("one SQLite file has one node")
		}
		w := newWorld(t, engine)
		var dialogs []string
		for i := range 20 {
			id := w.customer(fmt.Sprint("c", i)).DialogID
			dialogs = append(dialogs, id)
			for j := range 4 {
				w.reply(id, fmt.Sprintf("%d/%d", i, j))
			}
		}
		other, err := store.Open(ctx, w.dsn, store.Options{Clock: w.clk})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		r := &recorder{}
		nodes := []*delivery.Worker{worker(w, r), delivery.New(other, delivery.Options{Clock: w.clk, Senders: map[string]delivery.Sender{channel.TypeAPI: r}})}
		var wg sync.WaitGroup
		for _, d := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					if n, err := d.Flush(ctx); err != nil {
						t.Error(err)
						return
					} else if n == 0 && len(r.texts()) == 100 {
						return
					}
				}
			}()
		}
		wg.Wait()
		got := r.texts()
		want(t, "delivered", len(got), 100)
		if r.dup {
			t.Fatal("a text was delivered by both nodes at once")
		}
		for i := range dialogs {
			var mine []string
			for _, x := range got {
				if len(x) > 2 && x[:len(fmt.Sprint(i))+1] == fmt.Sprint(i, "/") {
					mine = append(mine, x)
				}
			}
			want(t, fmt.Sprint("order of dialog ", i), mine, []string{fmt.Sprint(i, "/0"), fmt.Sprint(i, "/1"), fmt.Sprint(i, "/2"), fmt.Sprint(i, "/3")})
		}
	})
}
