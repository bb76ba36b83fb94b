// Package delivery sends what the outbox holds (SPEC §11): every text for a
// customer — operator messages, auto-replies, rating requests — was written
// to the outbox in the transaction that created it (store/outbox.go). The
// Worker claims due texts under a lease, hands each to the Sender of its
// channel's kind, and records the outcome: sent (or delivered), a retry with
// exponential backoff, or failed with the last error once the give-up time
// has passed or the error is permanent. A dialog's texts go out in order:
// the store offers only the oldest waiting text of each dialog. Delivery is
// at least once: a worker that dies mid-delivery leaves its lease to run
// out, and the text is sent again.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/store"
)

// Sender delivers texts through one kind of channel.
type Sender interface {
	// Deliver sends o to the customer and tells the state it reached:
	// store.OutSent, or store.OutDelivered when the transport confirms
	// receipt. An error wrapped by Permanent is not retried.
	Deliver(ctx context.Context, o store.Outbound) (string, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, o store.Outbound) (string, error)

// Deliver calls f.
func (f SenderFunc) Deliver(ctx context.Context, o store.Outbound) (string, error) { return f(ctx, o) }

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error no retry can fix (a blocked bot, an unknown
// recipient): the text fails at once.
func Permanent(err error) error { return permanent{err} }

// Options tune a Worker. The zero value works: the real clock, no senders
// (every text fails: name the kinds' senders, package channel/...), leases
// of a minute, 64 texts a claim, 8 at a time.
type Options struct {
	Clock   clock.Clock
	Senders map[string]Sender // by channel kind
	Lease   time.Duration     // how long a claimed text is nobody else's
	Batch   int               // texts claimed at once
	Workers int               // deliveries running at once
	Timeout time.Duration     // one delivery attempt's limit
	Logger  *slog.Logger
	// Observe, when set, hears the outcome of every attempt: the channel
	// type and sent, delivered, read, temporary_error or permanent_error
	// (the metrics).
	Observe func(channelType, result string)
}

// Backoff is the wait before attempt n+1 after n failed attempts: 1 s,
// doubling, at most 10 minutes.
func Backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// Worker delivers the outbox of one node; several nodes may run one each.
type Worker struct {
	st   *store.Store
	opt  Options
	wake chan struct{}
}

// New returns a worker over st.
func New(st *store.Store, o Options) *Worker {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Senders == nil {
		o.Senders = map[string]Sender{}
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Timeout <= 0 || o.Timeout > o.Lease/2 {
		o.Timeout = o.Lease / 2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Worker{st: st, opt: o, wake: make(chan struct{}, 1)}
}

// OnEvents wakes the worker when a text is queued (a bus subscriber).
func (w *Worker) OnEvents(evs []events.Event) {
	for _, e := range evs {
		if e.Type == events.Outbound {
			select {
			case w.wake <- struct{}{}:
			default:
			}
			return
		}
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := w.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			w.opt.Logger.Warn("delivery: claim", "error", err)
		}
		if n > 0 && err == nil {
			continue
		}
		wait := time.Minute
		if err != nil {
			wait = time.Second // the database is away: try again soon
		} else if next, ok, err := w.st.NextOutbound(ctx); err == nil && ok {
			// Not less than a moment: a due text another node is claiming
			// right now must not make this one spin.
			wait = max(next.Sub(w.opt.Clock.Now()), 50*time.Millisecond)
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-w.opt.Clock.After(wait):
		}
	}
}

// Flush claims the texts due now and delivers them, returning how many it
// handled.
func (w *Worker) Flush(ctx context.Context) (int, error) {
	batch, err := w.st.ClaimOutbound(ctx, w.opt.Batch, w.opt.Lease)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, w.opt.Workers)
	var wg sync.WaitGroup
	for _, o := range batch {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.deliver(ctx, o)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// deliver makes one attempt and records its outcome.
func (w *Worker) deliver(ctx context.Context, o store.Outbound) {
	var res store.OutboundResult
	s, ok := w.opt.Senders[o.ChannelType]
	if !ok {
		res.Err = "no sender for channels of kind " + o.ChannelType
	} else {
		dctx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
		state, err := s.Deliver(dctx, o)
		cancel()
		switch {
		case err == nil && state == "":
			res.State = store.OutSent
		case err == nil:
			res.State = state
		case errors.As(err, new(permanent)):
			res.Err = err.Error()
		default:
			res.Err = err.Error()
			res.Retry = w.opt.Clock.Now().Add(Backoff(o.Attempt))
		}
	}
	err := w.st.RecordOutbound(ctx, o.Message.ID, res)
	if err != nil && ctx.Err() == nil {
		// The lease runs out and the text is tried again.
		w.opt.Logger.Warn("delivery: record", "message", o.Message.ID, "error", err)
	}
	if w.opt.Observe != nil && err == nil {
		result := res.State
		switch {
		case res.Err != "" && !res.Retry.IsZero():
			result = "temporary_error" // tried again unless past its give-up time
		case res.Err != "":
			result = "permanent_error"
		}
		w.opt.Observe(o.ChannelType, result)
	}
}
