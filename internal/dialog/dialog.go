// Package dialog holds customers, dialogs, sessions and messages (SPEC §1, §4)
// and the rules of an inbound customer message.
package dialog

import (
	"github.com/openlines/openlines/internal/access"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Session statuses (SPEC §4).
const (
	StatusQueued        = "queued"
	StatusInWork        = "in_work"
	StatusWaitingClient = "waiting_client"
	StatusClosing       = "closing"
	StatusClosed        = "closed"
	StatusSpam          = "spam"
)

// Statuses lists every session status.
var Statuses = []string{StatusQueued, StatusInWork, StatusWaitingClient, StatusClosing, StatusClosed, StatusSpam}

// IsOpen reports whether a session in status s is still open.
func IsOpen(s string) bool { return s != StatusClosed && s != StatusSpam }

// Message kinds. Events and notes have direction System and are never sent
// to the customer.
const (
	KindText          = "text"           // written by the customer or an operator
	KindAuto          = "auto"           // an auto-reply of the line
	KindRatingRequest = "rating_request" // asks the customer to rate; carries a rating token
	KindEvent         = "event"          // a timeline event: who did what, when and why
	KindNote          = "note"           // an operator's private note
)

// Message directions.
const (
	In     = "in"     // from the customer
	Out    = "out"    // from an operator or an auto-reply
	System = "system" // an event on the timeline
)

// Limits of outside input.
const (
	MaxTextLen       = 32 * 1024
	MaxExternalIDLen = 256
	MaxNameLen       = 200
)

// Customer is a person writing from outside, identified per channel.
type Customer struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	// Email and Phone are the contact the customer gave (the widget's
	// pre-chat form), omitted when not given.
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Dialog is the one persistent conversation of a customer on a channel.
type Dialog struct {
	ID            string    `json:"id"`
	WorkspaceID   string    `json:"workspace_id"`
	LineID        string    `json:"line_id"`
	ChannelID     string    `json:"channel_id"`
	Customer      Customer  `json:"customer"`
	Status        string    `json:"status"`
	OperatorID    *string   `json:"operator_id"`
	Session       *Session  `json:"session"`
	CreatedAt     time.Time `json:"created_at"`
	LastMessageAt time.Time `json:"last_message_at"`
	// LastMessage is the latest message the customer or an operator wrote
	// (not auto-replies, events or notes): the preview of the dialog list.
	LastMessage *LastMessage `json:"last_message"`
	// Unread counts the customer's messages after the caller's read
	// marker (POST /dialogs/{id}/read); set on the API's answers.
	Unread *int `json:"unread,omitempty"`
}

// LastMessage is the preview of a dialog.
type LastMessage struct {
	Text      string    `json:"text"`
	Direction string    `json:"direction"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

// StatusOpen is the dialog-list filter for every open status.
const StatusOpen = "open"

// Session is one handling cycle of a dialog.
type Session struct {
	ID              string     `json:"id"`
	DialogID        string     `json:"dialog_id"`
	LineID          string     `json:"line_id"`
	Status          string     `json:"status"`
	OperatorID      *string    `json:"operator_id"`
	OfferedTo       []string   `json:"offered_to"`
	Answered        bool       `json:"answered"`
	Pinned          bool       `json:"pinned"`
	OffHours        bool       `json:"off_hours"`
	OpenedAt        time.Time  `json:"opened_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	Rating          *Rating    `json:"rating"`
}

// Rating is a customer's rating of a session: on the like scale 1 (like)
// or 0 (dislike), on the stars scale 1 to 5.
type Rating struct {
	Scale     string    `json:"scale"`
	Value     int       `json:"value"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

// Message is one entry of a dialog's timeline.
type Message struct {
	ID         string    `json:"id"`
	DialogID   string    `json:"dialog_id"`
	SessionID  *string   `json:"session_id"`
	Direction  string    `json:"direction"`
	Kind       string    `json:"kind"`
	AuthorID   *string   `json:"author_id"`
	ExternalID *string   `json:"external_id"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
	// RatingToken, on a rating request, is what the channel uses to send the
	// customer's answer to POST /api/v1/ratings/{token}.
	RatingToken string `json:"rating_token,omitempty"`
	// Event, on a timeline event, is its code and parameters (Text is its
	// English rendering).
	Event *Event `json:"event,omitempty"`
	// Delivery, on a text for the customer, is how far it got (the outbox).
	Delivery *Delivery `json:"delivery,omitempty"`
	// Attachment is the file the message carries (its text is the file's
	// name).
	Attachment *Attachment `json:"attachment,omitempty"`
}

// Delivery is the delivery state of an outbound message: queued, sent,
// delivered, read or failed (with the last error).
type Delivery struct {
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// Inbound is a customer message arriving on a channel.
type Inbound struct {
	WorkspaceID string
	ChannelID   string
	LineID      string
	Customer    Customer // ExternalID and Name
	ExternalID  string   // the message's id at the source: the idempotency key
	Text        string
	At          time.Time
	// File, when the message is a file (its Text is the file's name).
	File *Attachment
}

// InboundResult tells where an inbound message landed.
type InboundResult struct {
	DialogID   string `json:"dialog_id"`
	SessionID  string `json:"session_id"`
	MessageID  string `json:"message_id"`
	CustomerID string `json:"customer_id"`
	// Duplicate is true when the message had been received before; nothing
	// was written and the ids are those of the first delivery.
	Duplicate bool `json:"duplicate"`
}

// Validate checks an inbound message's outside input.
func (in *Inbound) Validate() error {
	if err := externalID("customer.external_id", in.Customer.ExternalID); err != nil {
		return err
	}
	if err := externalID("message.external_id", in.ExternalID); err != nil {
		return err
	}
	in.Customer.Name = strings.TrimSpace(in.Customer.Name)
	if utf8.RuneCountInString(in.Customer.Name) > MaxNameLen {
		return apperr.FieldError("customer.name", "is longer than %d characters", MaxNameLen)
	}
	if err := input.Text("customer.name", in.Customer.Name); err != nil {
		return err
	}
	return ValidateText("message.text", in.Text)
}

// ValidateText checks a message text: present, not too long, and text
// (input.Text: valid UTF-8, no control characters but tab, LF and CR).
func ValidateText(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return apperr.FieldError(field, "is required")
	}
	if len(s) > MaxTextLen {
		return apperr.FieldError(field, "is longer than %d bytes", MaxTextLen)
	}
	return input.Text(field, s)
}

func externalID(field, s string) error {
	if s == "" {
		return apperr.FieldError(field, "is required")
	}
	if len(s) > MaxExternalIDLen {
		return apperr.FieldError(field, "is longer than %d bytes", MaxExternalIDLen)
	}
	return input.Text(field, s)
}

// ListFilter selects dialogs for the dialog list, newest activity first.
type ListFilter struct {
	LineID     string
	ChannelID  string
	Status     string
	OperatorID string
	OfferedTo  string    // the open session is offered to this user
	From, To   time.Time // last activity within [From, To); zero means open-ended
	// Search is a term (ParseSearch) the customer's name or external id
	// contains, ignoring case (Fold).
	Search string
	// Rating is the latest session's rating (ParseRating): like, dislike,
	// 1..5, any or none; "" is no filter.
	Rating string
	// Text is a full-text term (ParseText) one of the dialog's customer or
	// operator messages must match.
	Text   string
	Limit  int
	Cursor string // opaque, from the previous page's NextCursor
	// Scope narrows the list to the caller's rights; nil lists everything
	// (the server's own callers).
	Scope *access.DialogScope
}

// Page is one page of the dialog list.
type Page struct {
	Dialogs    []Dialog `json:"dialogs"`
	NextCursor string   `json:"next_cursor,omitempty"`
}
