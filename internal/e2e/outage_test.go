package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// A lost database is 503 with Retry-After, never 500 and never a hang
// (SPEC §12): PostgreSQL stops in the middle of inbound load and starts
// again; while it is down every request is refused at once, and when it is
// back the same process serves again by itself, having lost nothing it
// acknowledged.
func TestPostgresOutage(t *testing.T) {
	// immediate is a crash (backends killed, recovery at start); fast
	// disconnects every session with an administrator-shutdown error.
	for _, mode := range []string{"immediate", "fast"} {
		t.Run(mode, func(t *testing.T) { postgresOutage(t, mode) })
	}
}

func postgresOutage(t *testing.T, mode string) {
	const (
		workers  = 8
		downFor  = 3 * time.Second
		fast     = 2 * time.Second // a refusal while down must come within this
		noHang   = 5 * time.Second // any answer at all
		minProbe = 10              // requests that must have met the database down
	)
	pg := newPGCluster(t)
	pg.start()
	srv := startServer(t, "openlines", pg.DSN())
	pid := srv.pid()
	c := admin(t, srv, workers+4)
	lineID := c.createLine(t, map[string]any{"name": "Outage"})
	channel := c.createAPIChannel(t, lineID)
	ops := &client{srv: srv, hc: newHTTPClient(2)} // /readyz and /healthz need no token

	ld := startLoad(c, channel, loadConfig{prefix: "outage", workers: workers, customers: 24, perWorker: 20000,
		timeout: 2 * noHang, pause: 100 * time.Millisecond})
	ld.waitAcked(t, 0, 200, 30*time.Second)

	pg.stop(mode)
	down := time.Now()
	var readyz, healthz, reads []reply
	for time.Since(down) < downFor {
		readyz = append(readyz, ops.call("GET", "/readyz", nil, noHang))
		healthz = append(healthz, ops.call("GET", "/healthz", nil, noHang))
		reads = append(reads, c.call("GET", "/api/v1/dialogs?line_id="+lineID, nil, noHang))
		time.Sleep(200 * time.Millisecond)
	}
	upBegan := time.Now()
	pg.start()
	eventually(t, 20*time.Second, 100*time.Millisecond, "/readyz answers 200 once PostgreSQL is back", func() (bool, string) {
		r := ops.call("GET", "/readyz", nil, noHang)
		return r.err == nil && r.status == http.StatusOK, r.String()
	})
	ld.waitAcked(t, ld.ackedCount(), 100, 20*time.Second)
	ld.halt()
	srv.wantAlive(t)
	if srv.pid() != pid {
		t.Fatalf("the server was restarted (pid %d, now %d); it must recover by itself", pid, srv.pid())
	}

	attempts, acked, sent := ld.snapshot()
	t.Logf("PostgreSQL stopped (-m %s) for %v under load: %s", mode, upBegan.Sub(down).Round(time.Millisecond), summary(attempts))
	errs := &errorList{t: t, what: "inbound around the outage", limit: 10}
	whileDown, afterUp := 0, 0
	for _, a := range attempts {
		end := a.start.Add(a.dur)
		switch {
		case a.err != nil:
			errs.add("%s got no answer (the server must answer without its database): %v", a.ext, a.reply)
			continue
		case a.status/100 == 2:
		case a.status == http.StatusServiceUnavailable:
			if msg := unavailableAnswer(a.reply); msg != "" {
				errs.add("%s: %s", a.ext, msg)
			}
		default:
			errs.add("%s at %s: want 2xx, or 503 while the database is down; got %v", a.ext, a.start.Format("15:04:05.000"), a.reply)
		}
		if a.dur > noHang {
			errs.add("%s took %v", a.ext, a.dur)
		}
		if a.start.After(down) && end.Before(upBegan) {
			whileDown++
			if a.status != http.StatusServiceUnavailable {
				errs.add("%s while the database was down: want 503, got %v", a.ext, a.reply)
			} else if a.dur > fast {
				errs.add("%s while the database was down: 503 after %v, want within %v", a.ext, a.dur, fast)
			}
		}
		if a.start.After(upBegan) && a.status/100 == 2 {
			afterUp++
		}
	}
	errs.done()
	if whileDown < minProbe {
		t.Errorf("only %d requests were sent and answered while the database was down; want at least %d", whileDown, minProbe)
	}
	for _, r := range readyz {
		if r.err != nil || r.status != http.StatusServiceUnavailable || r.dur > fast {
			t.Errorf("/readyz while the database was down: want 503 within %v, got %v", fast, r)
			break
		}
	}
	for _, r := range reads {
		if r.err != nil || r.status != http.StatusServiceUnavailable || r.dur > fast {
			t.Errorf("GET /api/v1/dialogs while the database was down: want 503 within %v, got %v", fast, r)
			break
		}
		if msg := unavailableAnswer(r); msg != "" {
			t.Errorf("GET /api/v1/dialogs while the database was down: %s", msg)
			break
		}
	}
	for _, r := range healthz {
		if r.err != nil || r.status != http.StatusOK || r.dur > fast {
			t.Errorf("/healthz while the database was down: want 200 within %v (the process is up), got %v", fast, r)
			break
		}
	}
	t.Logf("%d requests met the database down, %d acknowledged after it came back", whileDown, afterUp)

	verifyStored(t, c, lineID, "after the outage", acked, sent)
	all := resendAll(t, c, channel, "resend after the outage", acked, sent, workers)
	if t.Failed() {
		return
	}
	if stored := verifyStored(t, c, lineID, "after resending", all, sent); len(stored) != len(sent) {
		t.Errorf("after resending every message, %d are stored; %d were sent", len(stored), len(sent))
	}
}

// unavailableAnswer checks a 503: a JSON error "unavailable" and a
// Retry-After of seconds or an HTTP date. It returns what is wrong, or "".
func unavailableAnswer(r reply) string {
	if code := r.errCode(); code != "unavailable" {
		return "503 with error code " + strconv.Quote(code) + ", want \"unavailable\": " + r.String()
	}
	ra := r.header.Get("Retry-After")
	if ra == "" {
		return "503 without a Retry-After header: " + r.String()
	}
	if n, err := strconv.Atoi(ra); err == nil && n >= 0 && n <= 3600 {
		return ""
	}
	if _, err := http.ParseTime(ra); err == nil {
		return ""
	}
	return "503 with a malformed Retry-After " + strconv.Quote(ra)
}
