// Package line holds the open line: its routing, working-hours, auto-reply,
// rating and closing settings (SPEC §3) and their validation.
package line

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Distribution modes (SPEC §5).
const (
	ModeEvenly   = "evenly"
	ModeStrictly = "strictly"
	ModeAll      = "all"
)

// Kinds of open sessions a line's limit does not count (SPEC §3, §5).
const (
	ExcludeAnswered      = "answered"
	ExcludeWaitingClient = "waiting_client"
	ExcludeClosing       = "closing"
)

// Bounds of the numeric settings, in seconds unless said otherwise.
const (
	MaxQueueTime    = 43200
	MaxLimit        = 1000
	MaxTextLen      = 4000
	MaxNameLen      = 200
	MaxQueueMembers = 10000
	maxDelay        = 30 * 24 * 3600 // no timer setting may exceed 30 days
)

// Line is an open line. Its settings are part of its JSON object, flat.
type Line struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	Name        string    `json:"name"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Settings
}

// Settings are every setting of a line except its name and active flag.
// The zero value is not valid; start from Defaults.
type Settings struct {
	Mode           string   `json:"mode"`
	Queue          []string `json:"queue"`
	QueueTime      int      `json:"queue_time"`
	CheckAvailable bool     `json:"check_available"`
	LimitEnabled   bool     `json:"limit_enabled"`
	Limit          int      `json:"limit"`
	LimitExcludes  string   `json:"limit_excludes"`

	WelcomeEnabled  bool   `json:"welcome_enabled"`
	WelcomeText     string `json:"welcome_text"`
	NoAnswerEnabled bool   `json:"no_answer_enabled"`
	NoAnswerTime    int    `json:"no_answer_time"`
	NoAnswerText    string `json:"no_answer_text"`

	WorkingHours WorkingHours `json:"working_hours"`

	CloseRule        string `json:"close_rule"`
	CloseText        string `json:"close_text"`
	AutoCloseEnabled bool   `json:"auto_close_enabled"`
	AutoCloseTime    int    `json:"auto_close_time"`
	AutoCloseText    string `json:"auto_close_text"`

	RatingEnabled      bool   `json:"rating_enabled"`
	RatingText         string `json:"rating_text"`
	RatingThanksText   string `json:"rating_thanks_text"`
	RatingScale        string `json:"rating_scale"`
	RatingWindow       int    `json:"rating_window"`
	CloseOnRating      bool   `json:"close_on_rating"`
	FullCloseDelay     int    `json:"full_close_delay"`
	OperatorData       string `json:"operator_data"`
	OperatorDataName   string `json:"operator_data_name"`
	OperatorDataAvatar string `json:"operator_data_avatar"`
}

// Defaults returns the settings of a new line (SPEC §3 defaults).
func Defaults() Settings {
	return Settings{
		Mode:             ModeEvenly,
		Queue:            []string{},
		QueueTime:        60,
		LimitExcludes:    ExcludeAnswered,
		WelcomeEnabled:   true,
		WelcomeText:      "Hello! An operator will answer you shortly.",
		NoAnswerTime:     60,
		NoAnswerText:     "All operators are busy right now. Please wait, we will answer as soon as possible.",
		WorkingHours:     DefaultWorkingHours(),
		CloseRule:        RuleText,
		CloseText:        "Thank you for contacting us. The conversation is finished.",
		AutoCloseEnabled: true,
		AutoCloseTime:    4 * 3600,
		AutoCloseText:    "The conversation was closed because we have not heard from you for a while. Write again any time.",
		RatingEnabled:    true,
		RatingText:       "Please rate the conversation.",
		RatingThanksText: "Thank you for your rating!",
		RatingScale:      RatingLike,
		FullCloseDelay:   600,
		OperatorData:     OperatorDataProfile,
	}
}

// DefaultsIn returns the defaults with the customer-facing texts in the
// language of locale ("ru" or else English), so that a line created by a
// Russian-speaking administrator greets customers in Russian.
func DefaultsIn(locale string) Settings {
	s := Defaults()
	if locale == "ru" {
		s.WelcomeText = "Здравствуйте! Оператор скоро ответит вам."
		s.NoAnswerText = "Все операторы сейчас заняты. Пожалуйста, подождите, мы ответим как можно скорее."
		s.WorkingHours.OffHoursText = "Сейчас мы не работаем. Оставьте сообщение, и мы ответим в рабочее время."
		s.CloseText = "Спасибо за обращение! Диалог завершён."
		s.AutoCloseText = "Диалог закрыт, так как мы давно не получали от вас ответа. Пишите в любое время."
		s.RatingText = "Пожалуйста, оцените наш разговор."
		s.RatingThanksText = "Спасибо за оценку!"
	}
	return s
}

// Rules for the texts sent off hours and on close.
const (
	RuleText = "text"
	RuleNone = "none"
)

// Rating scales: like/dislike (a text reply "1" likes, "0" dislikes) or
// 1 to 5 stars (a text reply "1".."5").
const (
	RatingLike  = "like"
	RatingStars = "stars"
)

// ValidRating reports whether v is a rating on the scale.
func ValidRating(scale string, v int) bool {
	if scale == RatingStars {
		return v >= 1 && v <= 5
	}
	return v == 0 || v == 1
}

// What customers see of the operator.
const (
	OperatorDataProfile = "profile"
	OperatorDataHidden  = "hidden"
)

// ValidateName trims and checks a line name.
func ValidateName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.FieldError("name", "is required")
	}
	if err := input.Text("name", s); err != nil {
		return "", err
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "", apperr.FieldError("name", "is longer than %d characters", MaxNameLen)
	}
	return s, nil
}

// Validate checks every setting and normalises what has one canonical form
// (interval order, weekday names). It returns the first problem found as an
// Invalid error naming the field.
func (s *Settings) Validate() error {
	if err := oneOf("mode", s.Mode, ModeEvenly, ModeStrictly, ModeAll); err != nil {
		return err
	}
	if s.Queue == nil {
		s.Queue = []string{}
	}
	if len(s.Queue) > MaxQueueMembers {
		return apperr.FieldError("queue", "has more than %d members", MaxQueueMembers)
	}
	seen := make(map[string]bool, len(s.Queue))
	for _, id := range s.Queue {
		if id == "" {
			return apperr.FieldError("queue", "contains an empty user id")
		}
		if err := input.Text("queue", id); err != nil {
			return err
		}
		if seen[id] {
			return apperr.FieldError("queue", "lists user %s twice", id)
		}
		seen[id] = true
	}
	if err := between("queue_time", s.QueueTime, 1, MaxQueueTime); err != nil {
		return err
	}
	if s.LimitEnabled {
		if s.Limit < 1 || s.Limit > MaxLimit {
			return apperr.FieldError("limit", "%d is out of range 1..%d while limit_enabled is on", s.Limit, MaxLimit).With("out_of_range", map[string]any{"min": 1, "max": MaxLimit, "value": s.Limit})
		}
	} else if err := between("limit", s.Limit, 0, MaxLimit); err != nil {
		return err
	}
	if err := oneOf("limit_excludes", s.LimitExcludes, ExcludeAnswered, ExcludeWaitingClient, ExcludeClosing); err != nil {
		return err
	}
	if err := between("no_answer_time", s.NoAnswerTime, 1, maxDelay); err != nil {
		return err
	}
	if err := oneOf("close_rule", s.CloseRule, RuleText, RuleNone); err != nil {
		return err
	}
	if err := between("auto_close_time", s.AutoCloseTime, 1, maxDelay); err != nil {
		return err
	}
	if err := between("rating_window", s.RatingWindow, 0, maxDelay); err != nil {
		return err
	}
	if err := between("full_close_delay", s.FullCloseDelay, 0, maxDelay); err != nil {
		return err
	}
	if err := oneOf("rating_scale", s.RatingScale, RatingLike, RatingStars); err != nil {
		return err
	}
	if err := oneOf("operator_data", s.OperatorData, OperatorDataProfile, OperatorDataHidden); err != nil {
		return err
	}
	for _, t := range []struct {
		field, text string
		required    bool
	}{
		{"welcome_text", s.WelcomeText, s.WelcomeEnabled},
		{"no_answer_text", s.NoAnswerText, s.NoAnswerEnabled},
		{"close_text", s.CloseText, s.CloseRule == RuleText},
		{"auto_close_text", s.AutoCloseText, false},
		{"rating_text", s.RatingText, s.RatingEnabled},
		{"rating_thanks_text", s.RatingThanksText, false},
		{"operator_data_name", s.OperatorDataName, s.OperatorData == OperatorDataHidden},
		{"operator_data_avatar", s.OperatorDataAvatar, false},
	} {
		if err := text(t.field, t.text, t.required); err != nil {
			return err
		}
	}
	if s.OperatorDataAvatar != "" && !strings.HasPrefix(s.OperatorDataAvatar, "https://") && !strings.HasPrefix(s.OperatorDataAvatar, "/") {
		return apperr.FieldError("operator_data_avatar", "must be an https:// URL or a path on this server")
	}
	return s.WorkingHours.Validate()
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return apperr.FieldError(field, "%q is not one of %s", v, strings.Join(allowed, ", ")).With("not_one_of", map[string]any{"allowed": allowed, "value": v})
}

func between(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return apperr.FieldError(field, "%d is out of range %d..%d", v, lo, hi).With("out_of_range", map[string]any{"min": lo, "max": hi, "value": v})
	}
	return nil
}

func text(field, v string, required bool) error {
	if err := input.Text(field, v); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(v); n > MaxTextLen {
		return apperr.FieldError(field, "is longer than %d characters", MaxTextLen).With("too_long", map[string]any{"max": MaxTextLen})
	}
	if required && strings.TrimSpace(v) == "" {
		return apperr.FieldError(field, "must not be empty while it is in use").With("required", nil)
	}
	return nil
}
