package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// attempt is one customer message a load worker sent, and what came back.
type attempt struct {
	customer, ext, text string
	reply
	res inboundResult
}

func (a attempt) acked() bool { return a.err == nil && a.status/100 == 2 }

// load is a crowd of clients posting customer messages with unique
// external ids to one channel, recording every attempt.
type load struct {
	c       *client
	channel string
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	attempts []attempt
	acked    map[string]attempt // by external id
	sent     map[string]attempt // every external id tried, with its last attempt
}

// loadConfig shapes a load.
type loadConfig struct {
	prefix    string        // of external ids, unique per test
	workers   int           // concurrent clients
	customers int           // customers shared by the workers (several write to one dialog at once)
	perWorker int           // upper bound of messages per worker
	timeout   time.Duration // per request
	// pause after an answer that is not 2xx (or no answer), so that a
	// refusing server is not hammered in a tight loop.
	pause time.Duration
}

func startLoad(c *client, channel string, cfg loadConfig) *load {
	l := &load{c: c, channel: channel, stop: make(chan struct{}), acked: map[string]attempt{}, sent: map[string]attempt{}}
	for w := range cfg.workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := range cfg.perWorker {
				select {
				case <-l.stop:
					return
				default:
				}
				a := attempt{
					customer: fmt.Sprintf("%s-c%02d", cfg.prefix, (w*7+i)%cfg.customers),
					ext:      fmt.Sprintf("%s-w%02d-m%05d", cfg.prefix, w, i),
				}
				a.text = "message " + a.ext
				a.reply, a.res = c.inbound(channel, a.customer, a.ext, a.text, cfg.timeout)
				l.record(a)
				if !a.acked() {
					select {
					case <-l.stop:
						return
					case <-time.After(cfg.pause):
					}
				}
			}
		}()
	}
	return l
}

func (l *load) record(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
	l.sent[a.ext] = a
	if a.acked() {
		l.acked[a.ext] = a
	}
}

// ackedCount is how many distinct messages were acknowledged so far.
func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked waits until n messages more than base were acknowledged.
func (l *load) waitAcked(t *testing.T, base, n int, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, 10*time.Millisecond, fmt.Sprintf("%d acknowledged messages", n), func() (bool, string) {
		got := l.ackedCount() - base
		return got >= n, fmt.Sprintf("%d acknowledged; last attempt: %s", got, l.last())
	})
}

func (l *load) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.attempts) == 0 {
		return "none"
	}
	return l.attempts[len(l.attempts)-1].reply.String()
}

// halt stops the workers and waits for them (each ends within one request timeout).
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// snapshot returns the attempts, the acknowledged and the tried messages.
func (l *load) snapshot() ([]attempt, map[string]attempt, map[string]attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked, sent := make(map[string]attempt, len(l.acked)), make(map[string]attempt, len(l.sent))
	for k, v := range l.acked {
		acked[k] = v
	}
	for k, v := range l.sent {
		sent[k] = v
	}
	return append([]attempt(nil), l.attempts...), acked, sent
}

// errorList reports the first few of many failures, and how many there were.
type errorList struct {
	t     *testing.T
	what  string
	n     int
	limit int
}

func (e *errorList) add(format string, args ...any) {
	e.t.Helper()
	e.n++
	if e.n <= e.limit {
		e.t.Errorf(e.what+": "+format, args...)
	}
}

func (e *errorList) done() {
	e.t.Helper()
	if e.n > e.limit {
		e.t.Errorf("%s: %d failures in all, the first %d shown", e.what, e.n, e.limit)
	}
}

// verifyStored reads every customer message of the line back over the API
// and checks that each acknowledged message is stored exactly once with the
// ids it was acknowledged with, that no external id is stored twice and
// that nothing was stored that was never sent. It returns the stored
// messages by external id.
func verifyStored(t *testing.T, c *client, lineID, label string, acked, sent map[string]attempt) map[string]message {
	t.Helper()
	stored := map[string]message{}
	count := map[string]int{}
	for _, d := range c.dialogsOfLine(t, lineID) {
		for _, m := range c.messages(t, d.ID) {
			if m.Direction != "in" || m.ExternalID == nil {
				continue
			}
			count[*m.ExternalID]++
			stored[*m.ExternalID] = m
		}
	}
	errs := &errorList{t: t, what: label, limit: 10}
	var dups []string
	for ext, n := range count {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", ext, n))
		}
		if _, ok := sent[ext]; !ok {
			errs.add("stored message %s was never sent", ext)
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 {
		errs.add("%d external ids stored more than once: %v", len(dups), dups[:min(len(dups), 10)])
	}
	for ext, a := range acked {
		m, ok := stored[ext]
		switch {
		case !ok:
			errs.add("acknowledged message %s (id %s, answered %d at %s) is lost", ext, a.res.MessageID, a.status, a.start.Format("15:04:05.000"))
		case m.ID != a.res.MessageID || m.DialogID != a.res.DialogID:
			errs.add("message %s is stored as %s in dialog %s, acknowledged as %s in dialog %s", ext, m.ID, m.DialogID, a.res.MessageID, a.res.DialogID)
		case m.Text != a.text:
			errs.add("message %s is stored with text %q, sent %q", ext, m.Text, a.text)
		}
	}
	errs.done()
	return stored
}

// resendAll sends every message tried (acknowledged or not) once more, from
// workers concurrent clients. An acknowledged message must come back as a
// duplicate, 200 with its first ids; one never acknowledged may be new
// (201) or turn out to have been stored (200). It returns every message as
// now acknowledged.
func resendAll(t *testing.T, c *client, channel, label string, acked, sent map[string]attempt, workers int) map[string]attempt {
	t.Helper()
	jobs := make(chan attempt)
	var mu sync.Mutex
	now := map[string]attempt{}
	errs := &errorList{t: t, what: label, limit: 10}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				r, res := c.inbound(channel, a.customer, a.ext, a.text, 20*time.Second)
				b := a
				b.reply, b.res = r, res
				mu.Lock()
				first, wasAcked := acked[a.ext]
				switch {
				case r.err != nil || (r.status != http.StatusOK && r.status != http.StatusCreated):
					errs.add("resending %s: %v", a.ext, r)
				case wasAcked && (r.status != http.StatusOK || !res.Duplicate):
					errs.add("resending acknowledged %s: want 200 duplicate, got %v", a.ext, r)
				case wasAcked && (res.MessageID != first.res.MessageID || res.DialogID != first.res.DialogID ||
					res.SessionID != first.res.SessionID || res.CustomerID != first.res.CustomerID):
					errs.add("resending acknowledged %s: ids %+v, first acknowledged with %+v", a.ext, res, first.res)
				case !wasAcked && (r.status == http.StatusOK) != res.Duplicate:
					errs.add("resending %s: status %d with duplicate=%v", a.ext, r.status, res.Duplicate)
				default:
					if wasAcked {
						b.res = first.res // its ids are the first ones
					}
					now[a.ext] = b
				}
				mu.Unlock()
			}
		}()
	}
	exts := make([]string, 0, len(sent))
	for ext := range sent {
		exts = append(exts, ext)
	}
	sort.Strings(exts)
	for _, ext := range exts {
		jobs <- sent[ext]
	}
	close(jobs)
	wg.Wait()
	errs.done()
	return now
}

// summary counts attempts by outcome, for the log.
func summary(as []attempt) string {
	by := map[string]int{}
	for _, a := range as {
		switch {
		case a.err != nil:
			by["no answer"]++
		default:
			by[fmt.Sprint(a.status)]++
		}
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fmt.Sprintf("%d attempts:", len(as))
	for _, k := range keys {
		s += fmt.Sprintf(" %s %d", k, by[k])
	}
	return s
}
