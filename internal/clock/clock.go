// Package clock lets the timers of OpenLines run on real time in production
// and on a controlled time in tests (STYLE: timers are data, tested with a
// fake clock, never with sleeps).
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits for it.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// Real is the system clock.
type Real struct{}

func (Real) Now() time.Time                         { return time.Now() }
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Fake is a clock that moves only when told to.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After fires when the fake time reaches now+d.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{f.now.Add(d), ch})
	return ch
}

// Advance moves the time forward by d, firing the timers that come due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t (never backwards), firing the timers that come due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		return
	}
	f.now = t
	sort.Slice(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	f.waiters = keep
}

// Micros is a moment as the database keeps it: microseconds since the Unix
// epoch, 0 meaning none. Every conversion between it and time.Time, and
// every duration added to it, goes through this file.
type Micros = int64

// MicrosOf is t in microseconds since the epoch.
func MicrosOf(t time.Time) Micros { return t.UnixMicro() }

// TimeOf is the moment us, in UTC.
func TimeOf(us Micros) time.Time { return time.UnixMicro(us).UTC() }

// Seconds is n seconds in microseconds, to add to a Micros.
func Seconds(n int) Micros { return Micros(n) * 1e6 }

// Duration is d in microseconds.
func Duration(d time.Duration) Micros { return d.Microseconds() }
