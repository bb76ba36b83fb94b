package httpapi

import (
	"sync"
	"time"
)

// loginGuard slows password guessing: after MaxFailures failed sign-ins for
// one e-mail address within Window, further attempts for it are refused
// until the window has passed. It is per node and in memory: enough to make
// online guessing impractical (argon2id makes each guess slow as well).
type loginGuard struct {
	mu       sync.Mutex
	failures map[string]*failures
	max      int
	window   time.Duration
	now      func() time.Time
}

type failures struct {
	count int
	since time.Time
}

func newLoginGuard(max int, window time.Duration) *loginGuard {
	return &loginGuard{failures: map[string]*failures{}, max: max, window: window, now: time.Now}
}

// blocked reports whether key may not try now, and for how long.
func (g *loginGuard) blocked(key string) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.failures[key]
	if !ok {
		return false, 0
	}
	left := g.window - g.now().Sub(f.since)
	if left <= 0 {
		delete(g.failures, key)
		return false, 0
	}
	return f.count >= g.max, left
}

// fail records a failed attempt for key.
func (g *loginGuard) fail(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.failures) > 100_000 { // bound memory under a spray of addresses
		for k, f := range g.failures {
			if now.Sub(f.since) >= g.window {
				delete(g.failures, k)
			}
		}
	}
	f, ok := g.failures[key]
	if !ok || now.Sub(f.since) >= g.window {
		g.failures[key] = &failures{count: 1, since: now}
		return
	}
	f.count++
}

// succeed forgets key's failures.
func (g *loginGuard) succeed(key string) {
	g.mu.Lock()
	delete(g.failures, key)
	g.mu.Unlock()
}
