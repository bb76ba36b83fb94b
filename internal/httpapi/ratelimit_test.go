package httpapi

import (
	"testing"
	"time"
)

func TestLoginGuard(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newLoginGuard(3, 15*time.Minute)
	g.now = func() time.Time { return now }
	for range 3 {
		if b, _ := g.blocked("a@x"); b {
			t.Fatal("blocked before the limit")
		}
		g.fail("a@x")
	}
	if b, left := g.blocked("a@x"); !b || left != 15*time.Minute {
		t.Fatalf("not blocked after 3 failures: %v %v", b, left)
	}
	if b, _ := g.blocked("b@x"); b {
		t.Fatal("another address is blocked")
	}
	now = now.Add(15 * time.Minute)
	if b, _ := g.blocked("a@x"); b {
		t.Fatal("still blocked after the window")
	}
	g.fail("a@x")
	g.succeed("a@x")
	g.fail("a@x")
	g.fail("a@x")
	if b, _ := g.blocked("a@x"); b {
		t.Fatal("a success did not reset the failures")
	}
}
