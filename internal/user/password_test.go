package user

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	if CheckPassword(h, "correct horse batterz") {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	for _, h := range []string{"", "$argon2id$", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=0,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5", "$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$a2V5"} {
		if CheckPassword(h, "x") {
			t.Errorf("malformed hash %q matched", h)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if e, err := NormalizeEmail("  Ann@Example.COM "); err != nil || e != "ann@example.com" {
		t.Fatalf("got %q, %v", e, err)
	}
	for _, bad := range []string{"", "ann", "Ann <ann@example.com>", "ann@", "@x"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewSecret(t *testing.T) {
	s, h, err := NewSecret("olt_")
	if err != nil || !strings.HasPrefix(s, "olt_") || HashSecret(s) != h || len(h) != 64 {
		t.Fatalf("secret %q hash %q err %v", s, h, err)
	}
}
