package widget

import (
	"encoding/json"
	"testing"

	"github.com/openlines/openlines/internal/apperr"
)

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Shop.Example:443/": "https://shop.example", "http://localhost:8080": "http://localhost:8080",
		"http://shop.example:80": "http://shop.example", "https://[::1]:8443": "https://[::1]:8443",
	} {
		if got, err := NormalizeOrigin(in); err != nil || got != want {
			t.Errorf("%q → %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "shop.example", "ftp://x", "https://shop.example/path", "https://u:p@shop.example", "https://shop.example?q", "javascript:alert(1)"} {
		if _, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSettings(t *testing.T) {
	s, err := Parse(json.RawMessage(`{"origins":["https://a.example","https://A.example/"],"color":"#ABCDEF"}`))
	if err != nil || len(s.Origins) != 1 || s.Color != "#abcdef" {
		t.Fatalf("%+v %v", s, err)
	}
	if !s.Allows("https://a.example") || s.Allows("https://b.example") || s.Allows("") {
		t.Fatal("origins not enforced")
	}
	if !Defaults().Allows("") || !Defaults().Allows("https://any.example") {
		t.Fatal("an empty list allows any site")
	}
	for raw, field := range map[string]string{
		`{"origins":["https://a.example","nope"]}`:             "settings.origins[1]",
		`{"color":"blue"}`:                                     "settings.color",
		`{"prechat":{"fields":["age"]}}`:                       "settings.prechat.fields[0]",
		`{"prechat":{"fields":["name"],"required":["email"]}}`: "settings.prechat.required[0]",
		`{"greeting":"a\u0000b"}`:                              "settings.greeting",
	} {
		_, err := Parse(json.RawMessage(raw))
		var ae *apperr.Error
		if !asErr(err, &ae) || ae.Field != field {
			t.Errorf("%s: %v, want an error on %s", raw, err, field)
		}
	}
}

func asErr(err error, target **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	*target = e
	return ok
}

func TestIdentitySignature(t *testing.T) {
	secret := NewIdentitySecret()
	sig := Sign(secret, "user-1")
	if !Verify(secret, "user-1", sig) {
		t.Fatal("own signature refused")
	}
	if Verify(secret, "user-2", sig) || Verify(NewIdentitySecret(), "user-1", sig) || Verify(secret, "user-1", "zz") || Verify(secret, "user-1", "") {
		t.Fatal("a forged signature accepted")
	}
}
