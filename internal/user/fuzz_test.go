package user

import "testing"

// FuzzCheckPassword: a stored hash read from anywhere never panics and
// never matches a password it was not made from.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Add("$$$$$$", "x")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if CheckPassword(hash, password) {
			// Only a well-formed argon2id hash can match; this one came from
			// the fuzzer, so it must at least be well-formed.
			if len(hash) < 20 || hash[:10] != "$argon2id$" {
				t.Fatalf("malformed hash %q matched", hash)
			}
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.c", " A@B.C ", "<a@b>", "a@", "\x00@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if again, err := NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("%q normalised to %q, which normalises to %q (%v)", s, e, again, err)
		}
	})
}
