package workspace

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	if n, err := ValidateName("  Acme  "); err != nil || n != "Acme" {
		t.Fatalf("%q %v", n, err)
	}
	for _, bad := range []string{"", "   ", "Ac\x00me", "Ac\x01me", strings.Repeat("я", 201)} {
		if _, err := ValidateName(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
