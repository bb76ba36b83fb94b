package httpapi

import (
	"testing"
	"time"
)

func TestLoginGuard(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newLoginGuard(loginLimits{pair: 3, ip: 5, addr: 8, window: 15 * time.Minute, trustFor: time.Hour})
	g.now = func() time.Time { return now }
	allowed := func(addr, ip string) bool { ok, _ := g.reserve(addr, ip); return ok }

	for range 3 {
		if !allowed("a@x", "1.1.1.1") {
			t.Fatal("refused before the pair limit")
		}
	}
	if ok, wait := g.reserve("a@x", "1.1.1.1"); ok || wait != 15*time.Minute {
		t.Fatalf("not refused after 3 failures: %v %v", ok, wait)
	}
	if !allowed("a@x", "2.2.2.2") {
		t.Fatal("the same address from another IP is refused: one client locked the owner out")
	}
	// Per IP across addresses: 1.1.1.1 has 3 attempts; two more and it is out.
	allowed("b@x", "1.1.1.1")
	allowed("c@x", "1.1.1.1")
	if allowed("d@x", "1.1.1.1") {
		t.Fatal("an IP spraying addresses was not stopped")
	}
	now = now.Add(15 * time.Minute)
	if !allowed("a@x", "1.1.1.1") {
		t.Fatal("still refused after the window")
	}
	// A success refunds and resets the pair.
	g.succeed("a@x", "1.1.1.1")
	for range 3 {
		if !allowed("a@x", "1.1.1.1") {
			t.Fatal("a success did not reset the pair's failures")
		}
	}
	// Many IPs guessing one address: the address's global limit (8) stops
	// untrusted clients, while the owner's IP, trusted since its success,
	// still gets in.
	now = now.Add(15 * time.Minute)
	g.succeed("a@x", "9.9.9.9") // the owner signed in from here before
	for i := range 8 {
		allowed("a@x", "10.0.0."+string(rune('0'+i)))
	}
	if allowed("a@x", "10.0.1.1") {
		t.Fatal("a distributed guess on one address was not stopped")
	}
	if !allowed("a@x", "9.9.9.9") {
		t.Fatal("the owner's trusted IP is locked out by others' failures")
	}
	// An attempt that could not be judged (database away) is given back.
	now = now.Add(15 * time.Minute)
	for range 20 {
		if !allowed("b@x", "5.5.5.5") {
			t.Fatal("released attempts were counted as failures")
		}
		g.release("b@x", "5.5.5.5")
	}
}
