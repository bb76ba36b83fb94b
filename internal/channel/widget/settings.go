// Package widget is the web-chat widget channel kind (SPEC §11, type
// "widget"): a script on the company's site (web/static/widget.js) talks to
// the line through the public /widget/v1 routes and a visitor WebSocket of
// its own (docs/WIDGET.md is the wire contract). This package holds the
// kind's rules — its settings, which sites may embed it, the identity
// signature, what a visitor sees of a conversation — and its Sender.
package widget

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/delivery"
	"github.com/openlines/openlines/internal/input"
	"github.com/openlines/openlines/internal/store"
)

// Type is the kind's channel type.
const Type = channel.TypeWidget

// Pre-chat fields a widget may ask for.
var PrechatFields = []string{"name", "email", "phone"}

// Settings are a widget channel's own settings (channels.settings).
type Settings struct {
	// Origins are the sites allowed to embed the widget, as
	// scheme://host[:port]; empty allows any site.
	Origins          []string `json:"origins"`
	Color            string   `json:"color"`
	Greeting         string   `json:"greeting"`
	Prechat          Prechat  `json:"prechat"`
	IdentityRequired bool     `json:"identity_required"`
}

// Prechat is the optional form before the first message.
type Prechat struct {
	Enabled  bool     `json:"enabled"`
	Fields   []string `json:"fields"`
	Required []string `json:"required"`
}

// Limits of the settings.
const (
	MaxOrigins     = 50
	MaxGreeting    = 500
	DefaultColor   = "#2563eb"
	MaxMessageText = 4000
)

// Defaults are a new widget's settings.
func Defaults() Settings {
	return Settings{Origins: []string{}, Color: DefaultColor, Prechat: Prechat{Fields: []string{}, Required: []string{}}}
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Parse reads settings as stored or sent (missing fields keep their
// defaults) and validates them; errors name the field as settings.…
func Parse(raw json.RawMessage) (Settings, error) {
	s := Defaults()
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, apperr.FieldError("settings", "is not a widget's settings: %v", err)
		}
	}
	return s, s.normalize()
}

// Merge applies a partial change (the fields present in patch) to s.
func Merge(s Settings, patch json.RawMessage) (Settings, error) {
	if err := json.Unmarshal(patch, &s); err != nil {
		return s, apperr.FieldError("settings", "is not a widget's settings: %v", err)
	}
	return s, s.normalize()
}

func (s *Settings) normalize() error {
	if len(s.Origins) > MaxOrigins {
		return apperr.FieldError("settings.origins", "lists more than %d sites", MaxOrigins).With("too_many", map[string]any{"max": MaxOrigins})
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(s.Origins))
	for i, o := range s.Origins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return apperr.FieldError(fmt.Sprintf("settings.origins[%d]", i), "%v", err).With("invalid_origin", nil)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	s.Origins = out
	if s.Color == "" {
		s.Color = DefaultColor
	}
	if !colorRe.MatchString(s.Color) {
		return apperr.FieldError("settings.color", "must be a colour like #2563eb").With("invalid_color", nil)
	}
	s.Color = strings.ToLower(s.Color)
	s.Greeting = strings.TrimSpace(s.Greeting)
	if utf8.RuneCountInString(s.Greeting) > MaxGreeting {
		return apperr.FieldError("settings.greeting", "is longer than %d characters", MaxGreeting).With("too_long", map[string]any{"max": MaxGreeting})
	}
	if err := input.Text("settings.greeting", s.Greeting); err != nil {
		return err
	}
	if s.Prechat.Fields == nil {
		s.Prechat.Fields = []string{}
	}
	if s.Prechat.Required == nil {
		s.Prechat.Required = []string{}
	}
	for i, f := range s.Prechat.Fields {
		if !slices.Contains(PrechatFields, f) {
			return apperr.FieldError(fmt.Sprintf("settings.prechat.fields[%d]", i), "%q is not one of %s", f, strings.Join(PrechatFields, ", ")).
				With("not_one_of", map[string]any{"allowed": PrechatFields})
		}
	}
	for i, f := range s.Prechat.Required {
		if !slices.Contains(s.Prechat.Fields, f) {
			return apperr.FieldError(fmt.Sprintf("settings.prechat.required[%d]", i), "%q is not one of the form's fields", f)
		}
	}
	return nil
}

// NormalizeOrigin turns "https://Shop.Example:443/" into
// "https://shop.example": what a browser sends as Origin.
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not a site's address like https://shop.example", o)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// Allows reports whether a browser on origin may use the widget. A request
// without an Origin header (not a browser's) is allowed only when the list
// is empty: with a list, every caller must name a listed site.
func (s Settings) Allows(origin string) bool {
	if len(s.Origins) == 0 {
		return true
	}
	n, err := NormalizeOrigin(origin)
	return err == nil && slices.Contains(s.Origins, n)
}

// NewIdentitySecret makes a channel's identity secret.
func NewIdentitySecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Sign is the identity signature a site's backend computes for a user id:
// hex(HMAC-SHA256(secret, userID)).
func Sign(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks an identity signature in constant time.
func Verify(secret, userID, hash string) bool {
	want, err := hex.DecodeString(Sign(secret, userID))
	got, err2 := hex.DecodeString(strings.ToLower(hash))
	return err == nil && err2 == nil && hmac.Equal(want, got)
}

// Customer external ids of the widget's visitors: a verified user is the
// same customer on every device; an anonymous visitor is its own.
func VerifiedCustomer(userID string) string     { return "u:" + userID }
func AnonymousCustomer(visitorID string) string { return "v:" + visitorID }

// Sender delivers the widget's outbound: a stored text is on the visitor's
// screen through their socket at once (from the committed event) and in
// the history they fetch when they come back, so it is sent when stored;
// the widget itself reports delivered and read (POST /widget/v1/seen).
var Sender delivery.Sender = delivery.SenderFunc(func(context.Context, store.Outbound) (string, error) { return store.OutSent, nil })
