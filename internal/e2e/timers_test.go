package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// Timers are data (SPEC §5, §4; STYLE "Timers are data"): an offer's
// queue_time and a finished session's full_close_delay that expire while
// the server is down fire once, and only once, after it starts again.
func TestTimersExpiringWhileDown(t *testing.T) {
	// The smallest settings that still leave room for the steps between
	// them; every wait below is derived from them.
	const (
		queueTime      = 4 // seconds an offered operator has
		fullCloseDelay = 3 // seconds a finished session stays closing
		slack          = 300 * time.Millisecond
	)
	forEachEngine(t, true, func(t *testing.T, db string) {
		srv := startServer(t, "openlines", db)
		c := admin(t, srv, 4)
		annID, ann := c.createOperator(t, "ann@e2e.test", "Ann")
		bobID, bob := c.createOperator(t, "bob@e2e.test", "Bob")
		names := map[string]string{annID: "Ann", bobID: "Bob"}
		for _, op := range []*client{ann, bob} {
			op.must(t, "PUT", "/api/v1/me/status", map[string]string{"status": "online"}, http.StatusOK, nil)
			op.must(t, "POST", "/api/v1/me/heartbeat", nil, http.StatusOK, nil)
		}
		closing := c.createLine(t, map[string]any{"name": "Closing", "mode": "strictly", "queue": []string{annID},
			"queue_time": 600, "check_available": true, "close_rule": "text", "rating_enabled": true, "full_close_delay": fullCloseDelay})
		offers := c.createLine(t, map[string]any{"name": "Offers", "mode": "evenly", "queue": []string{annID, bobID},
			"queue_time": queueTime, "check_available": true})
		closingCh, offersCh := c.createAPIChannel(t, closing), c.createAPIChannel(t, offers)

		// A session taken and answered on Closing, and a session offered
		// on Offers; then Closing's is finished. The two timers start as
		// late as possible, so that the kill comes long before either.
		r, in := c.inbound(closingCh, "cust-closing", "closing-1", "Hello, I need help", 10*time.Second)
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("inbound on Closing: %v", r)
		}
		closingDialog, closingSession := in.DialogID, in.SessionID
		waitOffered(t, c, closingDialog, func(to []string) bool { return slices.Equal(to, []string{annID}) })
		ann.must(t, "POST", "/api/v1/sessions/"+closingSession+"/take", nil, http.StatusOK, nil)
		ann.must(t, "POST", "/api/v1/dialogs/"+closingDialog+"/messages", map[string]string{"text": "Done, anything else?"}, http.StatusCreated, nil)

		r, in = c.inbound(offersCh, "cust-offers", "offers-1", "Is anybody there?", 10*time.Second)
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("inbound on Offers: %v", r)
		}
		offersDialog := in.DialogID
		first := waitOffered(t, c, offersDialog, func(to []string) bool { return len(to) == 1 })[0]

		var fin dialogView
		ann.must(t, "POST", "/api/v1/sessions/"+closingSession+"/finish", nil, http.StatusOK, &fin)
		if fin.Session == nil || fin.Session.Status != "closing" {
			t.Fatalf("after finish with a rating request and full_close_delay: %+v", fin.Session)
		}
		finished := events(c.messages(t, closingDialog), "finished")
		offered := events(c.messages(t, offersDialog), "offered")
		srv.kill()
		killedAt := time.Now()
		if len(finished) != 1 {
			t.Fatalf("finished events: %d", len(finished))
		}
		if len(offered) != 1 || offered[0].Event.Params["name"] != names[first] {
			t.Fatalf("before the kill: offered events %v, offered to %s", describe(offered), names[first])
		}
		fullCloseDue := finished[0].CreatedAt.Add(fullCloseDelay * time.Second)
		offerDue := offered[0].CreatedAt.Add(queueTime * time.Second)
		if killedAt.Add(slack).After(offerDue) || killedAt.Add(slack).After(fullCloseDue) {
			t.Fatalf("setup too slow: killed at %s, but the offer expires at %s and the full close at %s; nothing would expire while down",
				killedAt.Format("15:04:05.000"), offerDue.Format("15:04:05.000"), fullCloseDue.Format("15:04:05.000"))
		}
		// Down until both are overdue by more than a queue_time, so that
		// the next offer gets a whole queue_time from the restart.
		sleepUntil(t.Context(), later(offerDue, fullCloseDue).Add(queueTime*time.Second+slack))
		srv.start()
		restartedAt := time.Now()

		// The offer moved on, once, to the other operator.
		second := waitOffered(t, c, offersDialog, func(to []string) bool { return len(to) == 1 && to[0] != first })[0]
		tl := c.messages(t, offersDialog)
		offered = events(tl, "offered")
		if len(offered) != 2 || offered[1].Event.Params["name"] != names[second] || offered[1].Event.Params["reason"] != "queue_time" ||
			offered[1].CreatedAt.Before(offerDue) {
			t.Fatalf("after restart (%v ago): want one more offer (to %s, queue_time, not before %s); timeline:%s",
				time.Since(restartedAt).Round(time.Millisecond), names[second], offerDue.Format("15:04:05.000"), describe(tl))
		}
		if d := c.dialog(t, offersDialog); d.Session == nil || d.Session.Status != "queued" || d.Session.OperatorID != nil {
			t.Fatalf("offered session after restart: %+v", d.Session)
		}

		// The finished session closed, once.
		eventually(t, 10*time.Second, 50*time.Millisecond, "the closing session closes after restart", func() (bool, string) {
			d := c.dialog(t, closingDialog)
			return d.Session != nil && d.Session.Status == "closed", d.Status
		})
		tl = c.messages(t, closingDialog)
		closed := events(tl, "closed")
		if len(closed) != 1 || closed[0].CreatedAt.Before(fullCloseDue) || len(events(tl, "finished")) != 1 {
			t.Fatalf("after restart: want one closed event, not before %s; timeline:%s", fullCloseDue.Format("15:04:05.000"), describe(tl))
		}
		if d := c.dialog(t, closingDialog); d.Status != "closed" || d.Session.ClosedAt == nil || d.Session.ClosedAt.Before(fullCloseDue) {
			t.Fatalf("closed dialog: %s, session %+v", d.Status, d.Session)
		}

		// The scheduler goes on from the restart: the new offer expires
		// after its own queue_time and moves back, once.
		back := waitOffered(t, c, offersDialog, func(to []string) bool { return len(to) == 1 && to[0] == first })
		tl = c.messages(t, offersDialog)
		offered = events(tl, "offered")
		if len(offered) != 3 || offered[2].Event.Params["name"] != names[back[0]] || offered[2].Event.Params["reason"] != "queue_time" {
			t.Fatalf("after the second queue_time: want exactly three offers; timeline:%s", describe(tl))
		}
		if n := len(events(c.messages(t, closingDialog), "closed")); n != 1 {
			t.Fatalf("the closed session has %d closed events", n)
		}
	})
}

// waitOffered polls a dialog until its open session's offer satisfies ok.
func waitOffered(t *testing.T, c *client, dialogID string, ok func(offeredTo []string) bool) []string {
	t.Helper()
	var to []string
	eventually(t, 10*time.Second, 25*time.Millisecond, "offer of dialog "+dialogID, func() (bool, string) {
		d := c.dialog(t, dialogID)
		if d.Session == nil {
			return false, "no session"
		}
		to = d.Session.OfferedTo
		return ok(to), d.Session.Status + " offered to " + fmt.Sprint(to)
	})
	return to
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
