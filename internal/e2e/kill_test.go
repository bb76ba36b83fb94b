package e2e

import (
	"testing"
	"time"
)

// Nothing acknowledged is ever lost (SPEC §12) and inbound is idempotent by
// external id (SPEC §11), across a kill -9 in the middle of inbound load: the
// process gets no chance to finish its batches, checkpoint the WAL or close
// connections.
func TestKillDuringInboundLoad(t *testing.T) {
	forEachEngine(t, false, func(t *testing.T, db string) {
		srv := startServer(t, "openlines", db)
		const workers = 16
		c := admin(t, srv, workers+4)
		lineID := c.createLine(t, map[string]any{"name": "Inbound"})
		channel := c.createAPIChannel(t, lineID)

		ld := startLoad(c, channel, loadConfig{prefix: "kill", workers: workers, customers: 48, perWorker: 5000,
			timeout: 10 * time.Second, pause: 20 * time.Millisecond})
		ld.waitAcked(t, 0, 1000, 30*time.Second)
		killedAt := time.Now()
		srv.kill()
		ld.halt()
		attempts, acked, sent := ld.snapshot()
		inFlight := 0
		for _, a := range attempts {
			if a.err != nil && a.start.Before(killedAt) {
				inFlight++
			}
		}
		t.Logf("killed with SIGKILL under load: %s; %d acknowledged, %d without an answer that were sent before the kill",
			summary(attempts), len(acked), inFlight)
		for _, a := range attempts {
			if a.err == nil && a.status/100 != 2 {
				t.Errorf("before the kill, %s was refused: %v", a.ext, a.reply)
				break
			}
		}

		srv.start() // the same database, as an operator's supervisor would
		verifyStored(t, c, lineID, "after restart", acked, sent)
		all := resendAll(t, c, channel, "resend after restart", acked, sent, workers)
		if t.Failed() {
			return
		}
		stored := verifyStored(t, c, lineID, "after resending", all, sent)
		if len(stored) != len(sent) {
			t.Errorf("after resending every message, %d are stored; %d were sent", len(stored), len(sent))
		}
	})
}
