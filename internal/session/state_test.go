package session

import "testing"

// Which open sessions a line's limit counts (SPEC §5.4), per limit_excludes.
func TestLoadCounted(t *testing.T) {
	cases := []struct {
		r                                State
		answered, waitingClient, closing int
	}{
		{State{Status: "queued", OfferedAlone: "u"}, 1, 1, 1},
		{State{Status: "in_work", OperatorID: "u"}, 1, 1, 1},
		{State{Status: "in_work", OperatorID: "u", Answered: true}, 0, 1, 1},
		{State{Status: "waiting_client", OperatorID: "u", Answered: true}, 0, 0, 1},
		{State{Status: "closing", OperatorID: "u", Answered: true}, 0, 1, 0},
		{State{Status: "closing", OperatorID: "u"}, 1, 1, 0},
		{State{Status: "closed", OperatorID: "u", Answered: true}, 0, 0, 0},
		{State{Status: "spam", OperatorID: "u"}, 0, 0, 0},
		{State{Status: "queued"}, 0, 0, 0}, // offered to all or nobody: nobody's load
	}
	for _, c := range cases {
		l := c.r.Load()
		got := [3]int{l.Counted("answered"), l.Counted("waiting_client"), l.Counted("closing")}
		if got != [3]int{c.answered, c.waitingClient, c.closing} {
			t.Errorf("%+v: counted %v, want %v", c.r, got, [3]int{c.answered, c.waitingClient, c.closing})
		}
	}
}

// FuzzRatingReply: a customer's text is a rating only when it is exactly a
// value of the scale.
func FuzzRatingReply(f *testing.F) {
	for _, s := range []string{"1", " 5 ", "0", "6", "-1", "+3", "１", "3.0", "5 stars"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, scale := range []string{"like", "stars"} {
			if v, ok := RatingReply(scale, text); ok && (scale == "like" && v > 1 || scale == "stars" && (v < 1 || v > 5)) {
				t.Fatalf("%q read as %d on %s", text, v, scale)
			}
		}
	})
}
