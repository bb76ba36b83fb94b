// Package user holds the people who sign in to a workspace, their predefined
// roles, password hashing and API token secrets.
package user

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Role is the key of a role given to a user.
type Role string

// The predefined roles (SPEC §9). The full rights model builds on these keys.
const (
	Administrator Role = "administrator"
	Director      Role = "director"
	Manager       Role = "manager"
)

// Roles lists the predefined roles with their display names.
var Roles = []struct {
	Key  Role   `json:"key"`
	Name string `json:"name"`
}{
	{Administrator, "Administrator"},
	{Director, "Director"},
	{Manager, "Manager"},
}

// ParseRole validates a role key: a predefined role's, or a custom role's
// id (whether that role exists in the workspace is the store's to check).
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r.Key) == s {
			return r.Key, nil
		}
	}
	if input.ID(s) {
		return Role(s), nil
	}
	return "", apperr.FieldError("role", "unknown role %q (administrator, director, manager or a custom role's id)", s)
}

// User is a person of a workspace who signs in.
type User struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Active      bool      `json:"active"`
	ServerAdmin bool      `json:"server_admin"`
	Locale      string    `json:"locale"` // "" follows the browser; "en" or "ru"
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	PasswordHash string `json:"-"`
}

// NormalizeEmail validates an address and returns it trimmed and lower-cased;
// emails are unique across the server so that sign-in needs nothing else.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", apperr.FieldError("email", "is required")
	}
	if err := input.Text("email", s); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", apperr.FieldError("email", "%q is not a valid e-mail address", s)
	}
	return s, nil
}

// ValidateName checks a display name.
func ValidateName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.FieldError("name", "is required")
	}
	if utf8.RuneCountInString(s) > 200 {
		return "", apperr.FieldError("name", "is longer than 200 characters")
	}
	if err := input.Text("name", s); err != nil {
		return "", err
	}
	return s, nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(s string) error {
	n := utf8.RuneCountInString(s)
	if n < 8 {
		return apperr.FieldError("password", "must be at least 8 characters")
	}
	if len(s) > 1024 {
		return apperr.FieldError("password", "must be at most 1024 bytes")
	}
	return nil
}

// Locales are the interface languages.
var Locales = []string{"en", "ru"}

// ValidateLocale checks an interface language; "" follows the browser.
func ValidateLocale(s string) error {
	if s == "" {
		return nil
	}
	for _, l := range Locales {
		if s == l {
			return nil
		}
	}
	return apperr.FieldError("locale", "%q is not one of en, ru (or empty to follow the browser)", s)
}
