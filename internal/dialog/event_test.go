package dialog

import (
	"strings"
	"testing"
)

func TestEventText(t *testing.T) {
	if got := Ev("offered", "name", "Ann", "reason", "queue_time").Text(); got != "Offered to Ann (queue time passed)" {
		t.Fatalf("offered: %q", got)
	}
	if got := Ev("requeued", "reason", "operator_left_queue").Text(); got != "Back in the queue: the operator left the line's queue" {
		t.Fatalf("requeued: %q", got)
	}
	for _, c := range EventCodes() {
		e := Event{Code: c, Params: map[string]string{"name": "x", "names": "x", "reason": "queued", "rating": "x", "score": "1"}}
		if strings.ContainsAny(e.Text(), "{}") {
			t.Errorf("%s renders with a placeholder left: %q", c, e.Text())
		}
	}
}
