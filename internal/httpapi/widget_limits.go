package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/apperr"
)

// windowLimiter allows n events per key in each window (fixed windows:
// simple, and at most 2n in any stretch of one window). Per node, in
// memory, bounded in the keys it tracks: the widget's public routes are
// open to anyone, so a spray of keys must not grow it without bound.
type windowLimiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	m      map[string]*windowCount
	now    func() time.Time
}

type windowCount struct {
	count int
	start time.Time
}

func newWindowLimiter(n int, window time.Duration) *windowLimiter {
	return &windowLimiter{n: n, window: window, m: map[string]*windowCount{}, now: time.Now}
}

// allow counts an event for key; false with the wait when over the limit.
func (l *windowLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c := l.m[key]
	if c == nil || now.Sub(c.start) >= l.window {
		if c == nil && len(l.m) >= maxTracked {
			// Full: drop the ended windows, and if a spray of keys fills
			// every slot, start over (the counters of the window are lost;
			// the map never grows past maxTracked).
			for k, v := range l.m {
				if now.Sub(v.start) >= l.window {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxTracked {
				clear(l.m)
			}
		}
		c = &windowCount{start: now}
		l.m[key] = c
	}
	if c.count >= l.n {
		return false, c.start.Add(l.window).Sub(now)
	}
	c.count++
	return true, 0
}

// limit answers 429 with Retry-After when key is over l's limit.
func limit(w http.ResponseWriter, l *windowLimiter, key, what string) error {
	ok, wait := l.allow(key)
	if ok {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
	return apperr.New(apperr.RateLimited, "too many %s; try again in %s", what, wait.Round(time.Second))
}

// The widget's limits (docs/WIDGET.md).
type widgetLimits struct {
	visitorsPerIP    *windowLimiter // new visitors per client IP
	messagesPerVis   *windowLimiter // messages per visitor
	messagesPerIP    *windowLimiter // messages per client IP, all visitors
	typingPerVisitor *windowLimiter
}

func newWidgetLimits() widgetLimits {
	return widgetLimits{
		visitorsPerIP:    newWindowLimiter(20, time.Minute),
		messagesPerVis:   newWindowLimiter(20, 10*time.Second),
		messagesPerIP:    newWindowLimiter(200, 10*time.Second),
		typingPerVisitor: newWindowLimiter(20, 10*time.Second),
	}
}
