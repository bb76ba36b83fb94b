package loadgen

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// setupLoad bounds a setup phase (warm-up, backlog): n requests, flat out.
func (e *env) setupLoad(n int) load {
	return load{conns: e.cfg.Connections, count: n, duration: MaxDuration, timeout: e.cfg.Timeout}
}

func (e *env) messagesPath() string { return "/api/v1/channels/" + e.channelID + "/messages" }

// customers sends one message from each of n new customers (kind names
// them) and fails unless every one was accepted.
func (e *env) customers(ctx context.Context, kind string, n int) (*outcome, error) {
	path := e.messagesPath()
	o := drive(ctx, e.setupLoad(n), func(ctx context.Context, i int) error {
		return e.a.post(ctx, path, messageBody(e.ext(kind, i), e.ext(kind+"m", i)), http.StatusCreated)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.OK != int64(n) {
		return nil, fmt.Errorf("only %d of %d customers' first messages were accepted (errors: %s)", o.OK, n, o.Errors)
	}
	return o, nil
}

// runMessages: customer messages to the API channel, each with a unique
// external id. In messages, they come from cfg.Customers customers whose
// dialogs a warm-up created; in conversations, each from a new customer.
func runMessages(ctx context.Context, e *env, res *Result) error {
	cfg := e.cfg
	path := e.messagesPath()
	name := "messages"
	body := func(seq int) []byte { return messageBody(e.ext("c", seq%cfg.Customers), e.ext("m", seq)) }
	if cfg.Scenario == Conversations {
		name = "conversations"
		body = func(seq int) []byte { return messageBody(e.ext("n", seq), e.ext("m", seq)) }
	} else {
		e.logf("warm-up: %d customers open their dialogs", cfg.Customers)
		if _, err := e.customers(ctx, "c", cfg.Customers); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	e.logf("%s: %s", cfg.Scenario, describeLoad(cfg))
	o := drive(ctx, cfg.load(), func(ctx context.Context, seq int) error {
		return e.a.post(ctx, path, body(seq), http.StatusCreated)
	})
	res.Elapsed = round3(o.Elapsed.Seconds())
	res.addThroughput(name, o.OK, o.Elapsed)
	res.Latency = append(res.Latency, o.latency("request"))
	res.Errors.add(o.Errors)
	return nil
}

func describeLoad(cfg Config) string {
	s := fmt.Sprintf("%d connections", cfg.Connections)
	if cfg.Rate > 0 {
		s += fmt.Sprintf(" at %g/s", cfg.Rate)
	} else {
		s += " flat out"
	}
	if cfg.Count > 0 {
		s += fmt.Sprintf(", %d requests", cfg.Count)
	}
	return s + fmt.Sprintf(" within %v", cfg.Duration)
}

// DeliveryResult is the latency scenario's accounting of events.
type DeliveryResult struct {
	Sockets   int   `json:"sockets"`
	Dialogs   int   `json:"dialogs"`
	Expected  int64 `json:"expected"`  // accepted messages × sockets
	Delivered int64 `json:"delivered"` // message.created events matched
	// OwnOnly: the screens are managers', each due only its own dialogs'
	// messages, so a message counts once, on any screen.
	OwnOnly   bool  `json:"own_only,omitempty"`
	BeforeAck int64 `json:"before_ack"` // events that arrived before the sender had its acknowledgement
}

// runLatency: cfg.Operators operators have their screens (WebSockets)
// open; customers of cfg.Customers dialogs write at cfg.Rate. For every
// message and every screen it measures the time from sending the request
// to the message.created event on the screen, and from the request's
// acknowledgement to the event (0 when the event came first).
func runLatency(ctx context.Context, e *env, res *Result) error {
	cfg := e.cfg
	e.logf("warm-up: %d customers open their dialogs", cfg.Customers)
	if _, err := e.customers(ctx, "c", cfg.Customers); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	n := cfg.messagesBound()
	prefix := e.runID + "-l"
	// Arrival times per socket, by message sequence number, as time since t0.
	type screen struct {
		conn    *websocket.Conn
		arrived map[int]time.Duration
		dropped bool
	}
	screens := make([]*screen, len(e.ops))
	var got atomic.Int64
	var readers sync.WaitGroup
	readCtx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	var closing atomic.Bool
	t0 := time.Now()
	for i, u := range e.ops {
		c, err := e.a.dial(ctx, u, cfg.Timeout)
		if err != nil {
			for _, s := range screens[:i] {
				s.conn.CloseNow()
			}
			return fmt.Errorf("operator socket: %w", err)
		}
		s := &screen{conn: c, arrived: map[int]time.Duration{}}
		screens[i] = s
		readers.Go(func() {
			readEvents(readCtx, c, func(ev *event, at time.Time) {
				if ev.Type != "message.created" || ev.Data.ExternalID == nil {
					return
				}
				rest, ok := strings.CutPrefix(*ev.Data.ExternalID, prefix)
				if !ok {
					return
				}
				if seq, err := strconv.Atoi(rest); err == nil && seq >= 0 && seq < n {
					if _, dup := s.arrived[seq]; !dup {
						s.arrived[seq] = at.Sub(t0)
						got.Add(1)
					}
				}
			})
			s.dropped = !closing.Load()
		})
	}
	sent := make([]time.Duration, n)
	acked := make([]time.Duration, n) // 0: not acknowledged
	path := e.messagesPath()
	e.logf("latency: %d operator screens, %d dialogs, %s", len(screens), cfg.Customers, describeLoad(cfg))
	o := drive(ctx, cfg.load(), func(ctx context.Context, seq int) error {
		body := messageBody(e.ext("c", seq%cfg.Customers), prefix+strconv.Itoa(seq))
		sent[seq] = time.Since(t0)
		err := e.a.post(ctx, path, body, http.StatusCreated)
		if err == nil {
			acked[seq] = time.Since(t0)
		}
		return err
	})
	// Directors' screens each see every message; a manager's screen only
	// its own dialogs', so there a message is due once, on any screen.
	perMessage := int64(len(screens))
	if cfg.OperatorRole == "manager" {
		perMessage = 1
	}
	want := o.OK * perMessage
	for wait := time.Now().Add(cfg.Timeout); got.Load() < want && time.Now().Before(wait) && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
	}
	closing.Store(true)
	stopReading()
	for _, s := range screens {
		s.conn.CloseNow()
	}
	readers.Wait()

	socks := make([]iter.Seq2[int, time.Duration], len(screens))
	for i, s := range screens {
		if s.dropped {
			res.Errors["socket_dropped"]++
		}
		socks[i] = maps.All(s.arrived)
	}
	d, toScreen, fromAck := deliveries(socks, sent, acked, perMessage == 1)
	d.Sockets, d.Dialogs, d.Expected = len(screens), cfg.Customers, want
	if miss := want - d.Delivered; miss > 0 {
		res.Errors["missing_events"] += miss
	}
	res.Delivery = d
	res.Elapsed = round3(o.Elapsed.Seconds())
	res.addThroughput("messages", o.OK, o.Elapsed)
	res.Latency = append(res.Latency, summarize("send_to_screen", toScreen, 0, 0), summarize("ack_to_screen", fromAck, 0, 0), o.latency("request"))
	res.Errors.add(o.Errors)
	return nil
}
