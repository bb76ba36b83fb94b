package httpapi

import (
	"sync"
	"time"
)

// loginGuard slows password guessing with three counters of attempts in a
// sliding window (15 minutes):
//
//   - per e-mail address and client IP (10): one client guessing one
//     account is stopped;
//   - per client IP (50): one client spraying many accounts is stopped;
//   - per e-mail address from all clients (100): many clients guessing one
//     account are stopped — except on a client IP that signed in to that
//     account successfully before, so an attacker's failures cannot lock the
//     owner out of their own account.
//
// An attempt is reserved before the password is hashed, so concurrent
// guesses cannot all slip past the counter during the slow hash; a success
// refunds its reservation. It is per node and in memory: with argon2id each
// guess is slow too, and the hash slots bound how many run at once.
type loginGuard struct {
	mu      sync.Mutex
	pair    map[string]*failures // address + "\x00" + ip
	ip      map[string]*failures
	addr    map[string]*failures
	trusted map[string]time.Time // address + "\x00" + ip → last successful sign-in
	limits  loginLimits
	now     func() time.Time
}

type loginLimits struct {
	pair, ip, addr int
	window         time.Duration
	trustFor       time.Duration // how long a successful sign-in vouches for its IP
}

var defaultLoginLimits = loginLimits{pair: 10, ip: 50, addr: 100, window: 15 * time.Minute, trustFor: 30 * 24 * time.Hour}

type failures struct {
	count int
	since time.Time
}

// maxTracked bounds each map under a spray of addresses or IPs.
const maxTracked = 100_000

func newLoginGuard(l loginLimits) *loginGuard {
	return &loginGuard{pair: map[string]*failures{}, ip: map[string]*failures{}, addr: map[string]*failures{},
		trusted: map[string]time.Time{}, limits: l, now: time.Now}
}

// reserve counts an attempt by ip on address before its password is
// checked. It reports false and how long to wait when the attempt is refused
// (then nothing is counted).
func (g *loginGuard) reserve(address, ip string) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	pk := address + "\x00" + ip
	wait := time.Duration(0)
	check := func(m map[string]*failures, key string, max int) {
		f := g.current(m, key, now)
		if f != nil && f.count >= max {
			wait = max2(wait, g.limits.window-now.Sub(f.since))
		}
	}
	check(g.pair, pk, g.limits.pair)
	check(g.ip, ip, g.limits.ip)
	if t, ok := g.trusted[pk]; !ok || now.Sub(t) > g.limits.trustFor {
		check(g.addr, address, g.limits.addr)
	}
	if wait > 0 {
		return false, wait
	}
	for _, e := range []struct {
		m   map[string]*failures
		key string
	}{{g.pair, pk}, {g.ip, ip}, {g.addr, address}} {
		g.add(e.m, e.key, now)
	}
	return true, 0
}

// succeed refunds the attempt of a successful sign-in, forgets the pair's
// failures and trusts the IP for the address from now on.
func (g *loginGuard) succeed(address, ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	pk := address + "\x00" + ip
	delete(g.pair, pk)
	for _, e := range []struct {
		m   map[string]*failures
		key string
	}{{g.ip, ip}, {g.addr, address}} {
		if f := e.m[e.key]; f != nil && f.count > 0 {
			f.count--
		}
	}
	if len(g.trusted) >= maxTracked {
		now := g.now()
		for k, t := range g.trusted {
			if now.Sub(t) > g.limits.trustFor {
				delete(g.trusted, k)
			}
		}
		if len(g.trusted) >= maxTracked {
			return // full of fresh entries: trust nobody new rather than grow
		}
	}
	g.trusted[pk] = g.now()
}

// release gives back the attempt of a sign-in that could not be judged (the
// database or the hash slots were unavailable): it is no failure.
func (g *loginGuard) release(address, ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range []struct {
		m   map[string]*failures
		key string
	}{{g.pair, address + "\x00" + ip}, {g.ip, ip}, {g.addr, address}} {
		if f := e.m[e.key]; f != nil && f.count > 0 {
			f.count--
		}
	}
}

// current returns key's live counter, dropping an expired one.
func (g *loginGuard) current(m map[string]*failures, key string, now time.Time) *failures {
	f, ok := m[key]
	if !ok {
		return nil
	}
	if now.Sub(f.since) >= g.limits.window {
		delete(m, key)
		return nil
	}
	return f
}

func (g *loginGuard) add(m map[string]*failures, key string, now time.Time) {
	if len(m) >= maxTracked {
		for k, f := range m {
			if now.Sub(f.since) >= g.limits.window {
				delete(m, k)
			}
		}
	}
	if f := g.current(m, key, now); f != nil {
		f.count++
		return
	}
	m[key] = &failures{count: 1, since: now}
}

func max2(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
