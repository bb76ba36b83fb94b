package loadgen

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The web-chat widget under load (issue 13): idle visitor sockets and the
// latency between an operator and a visitor, both through the widget's
// public routes as a site's visitors use them (widget_client.go).

// WidgetResult is the widget scenarios' detail.
type WidgetResult struct {
	ChannelID string `json:"channel_id"`
	Visitors  int    `json:"visitors"`
	// SourceAddresses is how many client addresses the visitors came from
	// (1 when the server is not on loopback).
	SourceAddresses int `json:"source_addresses"`
	// Replies: operators' replies to the visitors' sockets; VisitorMessages:
	// visitors' messages to the operators' screens (widget-latency).
	Replies         *DeliveryResult `json:"replies,omitempty"`
	VisitorMessages *DeliveryResult `json:"visitor_messages,omitempty"`
}

// writeWidgetText prints the widget scenarios' detail for a person (a
// part of WriteText).
func (r *Result) writeWidgetText(w io.Writer) {
	wr := r.Widget
	if wr == nil {
		return
	}
	fmt.Fprintf(w, "  %-22s %d visitors of channel %s from %d source addresses\n", "widget", wr.Visitors, wr.ChannelID, wr.SourceAddresses)
	for _, x := range []struct {
		name, how string
		d         *DeliveryResult
	}{{"replies", "operator → visitor's socket", wr.Replies}, {"visitor messages", "visitor → operators' screens", wr.VisitorMessages}} {
		if x.d != nil {
			fmt.Fprintf(w, "  %-22s %d of %d delivered (%s; %d sockets, %d dialogs); %d before the acknowledgement\n", x.name, x.d.Delivered, x.d.Expected, x.how, x.d.Sockets, x.d.Dialogs, x.d.BeforeAck)
		}
	}
}

// widgetVisitorsFor is how many visitors widget-latency needs at rate:
// each writes at most 20 messages in 10 s, so the visitor → operator
// direction at rate needs every visitor to write no more than every 0.6 s.
func widgetVisitorsFor(rate float64) int { return int(rate*0.6 + 0.999) }

// runWidgetSockets creates cfg.Sockets visitors of the run's widget
// channel, opens their sockets (hello, then the server's ready),
// cfg.Connections at a time, holds them open and idle for cfg.Hold, and
// reports the server's memory before the sockets (after the visitors were
// created) and after the hold.
func runWidgetSockets(ctx context.Context, e *env, res *Result) error {
	cfg := e.cfg
	src := newSources(cfg.URL, cfg.Sockets)
	defer src.closeIdle()
	wr := &WidgetResult{ChannelID: e.channelID, Visitors: cfg.Sockets, SourceAddresses: len(src.ips)}
	res.Widget = wr
	e.logf("widget-sockets: creating %d visitors from %d source addresses", cfg.Sockets, len(src.ips))
	vs, made, err := e.newVisitors(ctx, src, cfg.Sockets)
	if err != nil {
		return err
	}
	res.addThroughput("visitors", made.OK, made.Elapsed)
	src.closeIdle() // the visitors' keep-alive connections are not the sockets' cost
	if res.Server != nil {
		res.Server.RSSBefore = settledRSS(ctx, "/proc", res.Server.PID, 5*time.Second)
	}
	e.logf("widget-sockets: opening %d visitor sockets, %d at a time", cfg.Sockets, cfg.Connections)
	o := holdSockets(ctx, e, res, func(ctx context.Context, i int) (*websocket.Conn, error) {
		return e.dialVisitor(ctx, src, vs[i], cfg.Timeout)
	}, func(ctx context.Context, c *websocket.Conn) {
		readVisitorFrames(ctx, c, func(*visitorFrame, time.Time) {})
	})
	res.addThroughput("visitor_sockets", o.OK, o.Elapsed)
	res.Latency = append(res.Latency, made.latency("new_visitor"))
	return nil
}

// arrivals records, per message sequence number, when it first arrived
// on a socket (as time since t0; 0: not yet). Readers record while the
// sender counts, so the times are atomics.
type arrivals struct {
	at  []atomic.Int64
	got *atomic.Int64
}

func newArrivals(n int, got *atomic.Int64) *arrivals {
	return &arrivals{at: make([]atomic.Int64, n), got: got}
}

func (a *arrivals) record(seq int, at time.Duration) {
	if seq >= 0 && seq < len(a.at) && a.at[seq].CompareAndSwap(0, int64(max(at, 1))) {
		a.got.Add(1)
	}
}

// seqAfter parses the sequence number after prefix in s.
func seqAfter(s, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// runWidgetLatency: cfg.Customers visitors each open their socket and
// write a first message; the line's cfg.Operators operators take the
// dialogs (POST /api/v1/sessions/{id}/take) and have their screens open.
// Then, at cfg.Rate for cfg.Duration (or cfg.Count), the holders reply
// (POST /api/v1/dialogs/{id}/messages) and the time from sending to the
// message frame on the visitor's socket is measured; then, at the same
// rate, the visitors write (POST /widget/v1/messages) and the time to the
// message.created event on each operator's screen is measured.
func runWidgetLatency(ctx context.Context, e *env, res *Result) error {
	cfg := e.cfg
	n := cfg.Customers
	src := newSources(cfg.URL, n)
	defer src.closeIdle()
	wr := &WidgetResult{ChannelID: e.channelID, Visitors: n, SourceAddresses: len(src.ips)}
	res.Widget = wr
	e.logf("widget-latency: creating %d visitors from %d source addresses", n, len(src.ips))
	vs, _, err := e.newVisitors(ctx, src, n)
	if err != nil {
		return err
	}
	m := cfg.messagesBound()
	fwdPrefix, revPrefix := e.runID+"-o", e.runID+"-v"
	t0 := time.Now()
	var got atomic.Int64
	readCtx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	var (
		readers sync.WaitGroup
		closing atomic.Bool
		drops   atomic.Int64
	)
	conns := make([]*websocket.Conn, n)
	closeAll := func() {
		closing.Store(true)
		stopReading()
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
		readers.Wait()
	}
	defer closeAll()
	fwd := newArrivals(m, &got) // the replies on the visitors' sockets: each on its dialog's only
	e.logf("widget-latency: opening %d visitor sockets", n)
	o := drive(ctx, e.setupLoad(n), func(ctx context.Context, i int) error {
		c, err := e.dialVisitor(ctx, src, vs[i], cfg.Timeout)
		if err != nil {
			return err
		}
		conns[i] = c
		readers.Go(func() {
			readVisitorFrames(readCtx, c, func(f *visitorFrame, at time.Time) {
				if f.Type == "message" && f.Message != nil && f.Message.Direction == "out" {
					if seq, ok := seqAfter(f.Message.Text, fwdPrefix); ok {
						fwd.record(seq, at.Sub(t0))
					}
				}
			})
			if !closing.Load() {
				drops.Add(1)
			}
		})
		return nil
	})
	if o.OK != int64(n) {
		return fmt.Errorf("only %d of %d visitor sockets opened (errors: %s)", o.OK, n, o.Errors)
	}
	e.logf("widget-latency: every visitor writes a first message")
	o = drive(ctx, e.setupLoad(n), func(ctx context.Context, i int) error {
		return e.visitorMessage(ctx, src, vs[i], e.runID+"-first", "Hello! Where is my order?")
	})
	if o.OK != int64(n) {
		return fmt.Errorf("only %d of %d first messages were accepted (errors: %s)", o.OK, n, o.Errors)
	}
	e.logf("widget-latency: %d operators take the %d dialogs", len(e.ops), n)
	if err := e.takeDialogs(ctx, vs, cfg.Timeout); err != nil {
		return err
	}
	// The operators' screens: open while they reply, and where the
	// visitors' messages arrive.
	rev := make([]*arrivals, len(e.ops))
	var revGot atomic.Int64
	screens := make([]*websocket.Conn, len(e.ops))
	defer func() {
		for _, c := range screens {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	for i, u := range e.ops {
		c, err := e.a.dial(ctx, u, cfg.Timeout)
		if err != nil {
			return fmt.Errorf("operator socket: %w", err)
		}
		screens[i] = c
		a := newArrivals(m, &revGot)
		rev[i] = a
		readers.Go(func() {
			readEvents(readCtx, c, func(ev *event, at time.Time) {
				if ev.Type != "message.created" || ev.Data.ExternalID == nil {
					return
				}
				ext := *ev.Data.ExternalID // visitor id "/" client id
				if seq, ok := seqAfter(ext[strings.LastIndexByte(ext, '/')+1:], revPrefix); ok {
					a.record(seq, at.Sub(t0))
				}
			})
			if !closing.Load() {
				drops.Add(1)
			}
		})
	}
	clients := map[*account]*http.Client{}
	for _, u := range e.ops {
		clients[u] = &http.Client{Transport: e.a.hc.Transport, Jar: u.jar}
	}

	// Operator → visitor.
	sent, acked := make([]time.Duration, m), make([]time.Duration, m)
	e.logf("widget-latency: operators reply, %s", describeLoad(cfg))
	o = drive(ctx, cfg.load(), func(ctx context.Context, seq int) error {
		v := vs[seq%n]
		body := fmt.Appendf(nil, `{"text":%q}`, fwdPrefix+strconv.Itoa(seq))
		sent[seq] = time.Since(t0)
		err := e.reply(ctx, clients[v.holder], v.dialogID, body)
		if err == nil {
			acked[seq] = time.Since(t0)
		}
		return err
	})
	for wait := time.Now().Add(cfg.Timeout); got.Load() < o.OK && time.Now().Before(wait) && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
	}
	d, toVisitor, fromAck := deliveries([]iter.Seq2[int, time.Duration]{fwd.all}, sent, acked, false)
	d.Sockets, d.Dialogs, d.Expected = n, n, o.OK
	wr.Replies = d
	res.Elapsed = round3(o.Elapsed.Seconds())
	res.addThroughput("replies", o.OK, o.Elapsed)
	res.Latency = append(res.Latency, summarize("reply_to_visitor", toVisitor, 0, 0), summarize("reply_ack_to_visitor", fromAck, 0, 0), o.latency("reply_request"))
	res.Errors.add(o.Errors)
	if miss := o.OK - d.Delivered; miss > 0 {
		res.Errors["missing_events"] += miss
	}

	// Visitor → operators' screens.
	sent, acked = make([]time.Duration, m), make([]time.Duration, m)
	e.logf("widget-latency: visitors write, %s", describeLoad(cfg))
	o = drive(ctx, cfg.load(), func(ctx context.Context, seq int) error {
		s := strconv.Itoa(seq)
		sent[seq] = time.Since(t0)
		err := e.visitorMessage(ctx, src, vs[seq%n], revPrefix+s, "Visitor message "+s)
		if err == nil {
			acked[seq] = time.Since(t0)
		}
		return err
	})
	// Directors' screens each see every message; a manager's screen only
	// its own dialogs', so there a message is due once, on any screen.
	ownOnly := cfg.OperatorRole == "manager"
	want := o.OK * int64(len(screens))
	if ownOnly {
		want = o.OK
	}
	for wait := time.Now().Add(cfg.Timeout); revGot.Load() < want && time.Now().Before(wait) && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
	}
	closeAll()
	socks := make([]iter.Seq2[int, time.Duration], len(rev))
	for i, a := range rev {
		socks[i] = a.all
	}
	d, toScreen, fromAck := deliveries(socks, sent, acked, ownOnly)
	d.Sockets, d.Dialogs, d.Expected = len(screens), n, want
	wr.VisitorMessages = d
	res.addThroughput("visitor_messages", o.OK, o.Elapsed)
	res.Latency = append(res.Latency, summarize("visitor_to_screen", toScreen, 0, 0), summarize("visitor_ack_to_screen", fromAck, 0, 0), o.latency("visitor_request"))
	res.Errors.add(o.Errors)
	if miss := want - d.Delivered; miss > 0 {
		res.Errors["missing_events"] += miss
	}
	if n := drops.Load(); n > 0 {
		res.Errors["socket_dropped"] += n
	}
	return nil
}

// all yields each message's first arrival on the socket (seq, time since
// t0).
func (a *arrivals) all(yield func(int, time.Duration) bool) {
	for seq := range a.at {
		if at := time.Duration(a.at[seq].Load()); at != 0 && !yield(seq, at) {
			return
		}
	}
}

// deliveries collects the arrivals of acknowledged messages on every
// socket: their latency from sending and from the acknowledgement (0 when
// the frame came first). With once, a message counts on one socket only.
func deliveries(socks []iter.Seq2[int, time.Duration], sent, acked []time.Duration, once bool) (d *DeliveryResult, fromSend, fromAck []time.Duration) {
	d = &DeliveryResult{OwnOnly: once}
	counted := make([]bool, len(sent))
	for _, s := range socks {
		for seq, at := range s {
			if acked[seq] == 0 || (once && counted[seq]) {
				continue // the request failed or timed out: not counted
			}
			counted[seq] = true
			d.Delivered++
			fromSend = append(fromSend, at-sent[seq])
			lag := at - acked[seq]
			if lag < 0 {
				d.BeforeAck++
				lag = 0
			}
			fromAck = append(fromAck, lag)
		}
	}
	return d, fromSend, fromAck
}
