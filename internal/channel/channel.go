// Package channel holds a connected source of customer messages (SPEC §11).
package channel

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Channel types: the plain connector channel and the web-chat widget.
const (
	TypeAPI    = "api"
	TypeWidget = "widget"
)

// Channel is one source of messages bound to exactly one line.
type Channel struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	LineID      string    `json:"line_id"`
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	// Settings are the kind's own (the widget's: channel/widget.Settings).
	Settings json.RawMessage `json:"settings,omitempty"`
	// IdentitySecret is the widget's identity secret as stored: sealed
	// (package secret), never sent.
	IdentitySecret string `json:"-"`
}

// ValidateType refuses channel types this build does not know.
func ValidateType(t string) error {
	if t != TypeAPI && t != TypeWidget {
		return apperr.FieldError("type", "%q is not a supported channel type (supported: api, widget)", t).
			With("not_one_of", map[string]any{"allowed": []string{TypeAPI, TypeWidget}})
	}
	return nil
}

// ValidateName checks a channel name; an empty one is replaced by the type.
func ValidateName(name, typ string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = typ
	}
	if utf8.RuneCountInString(name) > 200 {
		return "", apperr.FieldError("name", "is longer than 200 characters")
	}
	if err := input.Text("name", name); err != nil {
		return "", err
	}
	return name, nil
}
