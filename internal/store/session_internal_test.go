package store

import "testing"

// Which open sessions a line's limit counts (SPEC §5.4), per limit_excludes.
func TestLoadCounted(t *testing.T) {
	cases := []struct {
		r                                sessionRow
		answered, waitingClient, closing int
	}{
		{sessionRow{Status: "queued", OfferedAlone: "u"}, 1, 1, 1},
		{sessionRow{Status: "in_work", OperatorID: "u"}, 1, 1, 1},
		{sessionRow{Status: "in_work", OperatorID: "u", Answered: true}, 0, 1, 1},
		{sessionRow{Status: "waiting_client", OperatorID: "u", Answered: true}, 0, 0, 1},
		{sessionRow{Status: "closing", OperatorID: "u", Answered: true}, 0, 1, 0},
		{sessionRow{Status: "closing", OperatorID: "u"}, 1, 1, 0},
		{sessionRow{Status: "closed", OperatorID: "u", Answered: true}, 0, 0, 0},
		{sessionRow{Status: "spam", OperatorID: "u"}, 0, 0, 0},
		{sessionRow{Status: "queued"}, 0, 0, 0}, // offered to all or nobody: nobody's load
	}
	for _, c := range cases {
		l := c.r.load()
		got := [3]int{l.counted("answered"), l.counted("waiting_client"), l.counted("closing")}
		if got != [3]int{c.answered, c.waitingClient, c.closing} {
			t.Errorf("%+v: counted %v, want %v", c.r, got, [3]int{c.answered, c.waitingClient, c.closing})
		}
	}
}
