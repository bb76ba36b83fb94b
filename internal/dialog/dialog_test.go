package dialog

import (
	"errors"
	"testing"

	"github.com/openlines/openlines/internal/apperr"
)

// An inbound message's texts are refused with the field named when they hold
// a control character other than tab, LF and CR (PostgreSQL refuses NUL).
func TestInboundValidateControls(t *testing.T) {
	ok := func() Inbound {
		return Inbound{Customer: Customer{ExternalID: "c-1", Name: "Ann"}, ExternalID: "m-1", Text: "Hello,\r\n\tworld"}
	}
	in := ok()
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(*Inbound){
		"customer.external_id": func(in *Inbound) { in.Customer.ExternalID = "c\x00" },
		"customer.name":        func(in *Inbound) { in.Customer.Name = "Ann\x01" },
		"message.external_id":  func(in *Inbound) { in.ExternalID = "\x00" },
		"message.text":         func(in *Inbound) { in.Text = "hi\x00there" },
	} {
		in := ok()
		change(&in)
		var ae *apperr.Error
		if err := in.Validate(); !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := ValidateText("text", "esc \x1b"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("ValidateText: %v", err)
	}
}
