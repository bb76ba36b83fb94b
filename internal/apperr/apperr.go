// Package apperr defines the error values every layer returns and the one
// place where an error's code is decided. The HTTP layer maps codes to
// statuses; domain and store code never import net/http.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code shown to API clients.
type Code string

const (
	Invalid      Code = "invalid"      // the request is malformed or a value is out of range
	NotFound     Code = "not_found"    // no such record in the caller's workspace
	Conflict     Code = "conflict"     // the request collides with the current state
	Forbidden    Code = "forbidden"    // the caller may not do this
	PlanLimit    Code = "plan_limit"   // the workspace's plan does not allow this
	Unauthorized Code = "unauthorized" // no valid credentials
	TooLarge     Code = "too_large"    // the request body is over the limit
	Unavailable  Code = "unavailable"  // a dependency (the database) cannot be reached
	Internal     Code = "internal"     // a bug or an unexpected failure
	Unsupported  Code = "unsupported"  // wrong media type
	RateLimited  Code = "rate_limited" // too many attempts; try again later
	MethodNotAll Code = "not_allowed"  // wrong HTTP method
)

// Error is an error with a code and a message meant for the API client.
type Error struct {
	Code    Code
	Message string
	Field   string // the offending input field, when there is one
	// Reason and Params say what is wrong with Field in a form a screen
	// can word in its own language and units: "out_of_range" with min,
	// max and value, "too_long" with max, "required", "not_one_of" with
	// allowed.
	Reason string
	Params map[string]any
	Err    error // the underlying cause, never shown to clients
}

// With returns e with a machine-readable reason and its parameters.
func (e *Error) With(reason string, params map[string]any) *Error {
	e.Reason, e.Params = reason, params
	return e
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code and formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// NotFoundf is shorthand for New(NotFound, ...).
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// Wrap returns an Internal error carrying err as its cause.
func Wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return &Error{Code: Internal, Message: msg, Err: err}
}

// CodeOf returns the code of err: the Code of the first *Error in its chain,
// Internal for any other non-nil error and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return Internal
}

// MessageOf returns the client-facing message of err. Errors that are not
// *Error keep their text to themselves.
func MessageOf(err error) string {
	var ae *Error
	if errors.As(err, &ae) && ae.Code != Internal {
		return ae.Message
	}
	return "internal error"
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
