package dialog

import (
	"sort"
	"strings"
)

// Event is the machine-readable form of a timeline event: a code and its
// parameters, so that screens can show it in the user's language. Its
// English rendering is the message's text.
type Event struct {
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// Event codes and their English text; {name} stands for Params["name"].
var eventText = map[string]string{
	"offered":          "Offered to {name} ({reason})",
	"offered_all":      "Offered to {names} (all mode)",
	"taken":            "Taken",
	"taken_by_reply":   "Taken by replying",
	"skipped":          "Skipped",
	"requeued":         "Back in the queue: {reason}",
	"reopened":         "Reopened: the customer wrote again",
	"rated":            "Rated by the customer: {rating}",
	"auto_closed":      "Closed automatically: the customer did not answer",
	"closed":           "Closed",
	"finished":         "Finished",
	"spam":             "Marked as spam",
	"pinned":           "Pinned",
	"unpinned":         "Unpinned",
	"intercepted":      "Intercepted by {name}",
	"joined":           "{name} joined",
	"transferred_user": "Transferred to {name}",
	"transferred_line": "Transferred to the line {name}",
	"vote":             "Supervisor vote: {score} of 5",
}

// Reasons (Params["reason"]) and their English text.
var reasonText = map[string]string{
	"queued":               "queued",
	"skipped":              "skipped",
	"queue_time":           "queue time passed",
	"queue_time_again":     "queue time passed, nobody else",
	"nobody_available":     "queue time passed and nobody is available",
	"operator_deactivated": "the operator was deactivated",
	"operator_left_queue":  "the operator left the line's queue",
	"operator_absent":      "the operator is absent",
	"operator_unavailable": "the operator is not available",
}

// EventCodes lists every event code, for screens that translate them.
func EventCodes() []string {
	var out []string
	for c := range eventText {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// ReasonCodes lists every reason code.
func ReasonCodes() []string {
	var out []string
	for c := range reasonText {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Ev makes an event from a code and name/value pairs.
func Ev(code string, kv ...string) Event {
	e := Event{Code: code}
	if len(kv) > 0 {
		e.Params = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Params[kv[i]] = kv[i+1]
		}
	}
	return e
}

// Text renders the event in English.
func (e Event) Text() string {
	t, ok := eventText[e.Code]
	if !ok {
		return e.Code
	}
	for k, v := range e.Params {
		if k == "reason" {
			if r, ok := reasonText[v]; ok {
				v = r
			}
		}
		t = strings.ReplaceAll(t, "{"+k+"}", v)
	}
	return t
}

// ReasonText renders a reason code in English.
func ReasonText(code string) string {
	if r, ok := reasonText[code]; ok {
		return r
	}
	return code
}
