package httpapi_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// 256 concurrent customers write (new dialogs and follow-ups) while 16
// operators take, reply and finish: on PostgreSQL not one deadlock
// (pg_stat_database.deadlocks of the test's own database does not move)
// and, on both engines, not one 5xx.
func TestNoDeadlocksUnderConcurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		if engine == "postgres" {
			dsn = storetest.OwnDatabase(t)
		}
		h := newHarnessOn(t, dsn, nil)
		const operators, clients, perClient = 16, 256, 12
		var queue []string
		var opClients []*client
		for i := range operators {
			email := fmt.Sprintf("op%d@acme.test", i)
			queue = append(queue, h.user(h.ws.ID, email, user.Manager, false).ID)
			c := h.login(email, testPassword)
			c.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
			opClients = append(opClients, c)
		}
		lineID := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Support", "mode": "evenly", "queue": queue,
			"limit_enabled": true, "limit": 4}).want(http.StatusCreated).id()
		ch := h.c.createChannel(lineID)
		secret := str(h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "connector"}).want(http.StatusCreated).json, "secret")
		deadlocks := func() int64 {
			if engine != "postgres" {
				return 0
			}
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int64
			if err := db.QueryRow(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := deadlocks()

		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
		var status5xx, other, ok atomic.Int64
		var firstBad atomic.Value
		post := func(path, auth string, cookieClient *client, body any) int {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", h.srv.URL+path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			var res *http.Response
			var err error
			if cookieClient != nil {
				res, err = cookieClient.hc.Do(req)
			} else {
				req.Header.Set("Authorization", "Bearer "+auth)
				res, err = hc.Do(req)
			}
			if err != nil {
				status5xx.Add(1)
				firstBad.CompareAndSwap(nil, err.Error())
				return 0
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				status5xx.Add(1)
				firstBad.CompareAndSwap(nil, fmt.Sprintf("%s: %d %s", path, res.StatusCode, raw))
			}
			return res.StatusCode
		}
		stop := make(chan struct{})
		var opsWG sync.WaitGroup
		for i, c := range opClients {
			opsWG.Add(1)
			go func() {
				defer opsWG.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					for _, filter := range []string{"offered_to=" + queue[i], "operator_id=" + queue[i]} {
						r, err := c.hc.Get(h.srv.URL + "/api/v1/dialogs?limit=20&status=open&" + filter)
						if err != nil {
							continue
						}
						var page struct {
							Dialogs []struct {
								ID      string `json:"id"`
								Session *struct {
									ID         string  `json:"id"`
									OperatorID *string `json:"operator_id"`
								} `json:"session"`
							} `json:"dialogs"`
						}
						json.NewDecoder(r.Body).Decode(&page)
						r.Body.Close()
						for _, d := range page.Dialogs {
							if d.Session == nil {
								continue
							}
							if d.Session.OperatorID == nil {
								post("/api/v1/dialogs/"+d.ID+"/messages", "", c, map[string]any{"text": "hello, how can I help?"})
							} else {
								post("/api/v1/sessions/"+d.Session.ID+"/finish", "", c, nil)
							}
						}
					}
				}
			}()
		}
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perClient {
					code := post("/api/v1/channels/"+ch+"/messages", secret, nil, map[string]any{
						"customer": map[string]any{"external_id": fmt.Sprintf("c%d-%d", i, j%3), "name": "Customer"},
						"message":  map[string]any{"external_id": fmt.Sprintf("m%d-%d", i, j), "text": "question"}})
					if code >= 200 && code < 300 {
						ok.Add(1)
					} else if code < 500 && code != 0 {
						other.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		opsWG.Wait()
		if n := status5xx.Load(); n != 0 {
			t.Fatalf("%d 5xx or transport errors; first: %v", n, firstBad.Load())
		}
		if ok.Load() != clients*perClient {
			t.Fatalf("%d of %d customer messages accepted (%d refused)", ok.Load(), clients*perClient, other.Load())
		}
		if d := deadlocks() - before; d != 0 {
			t.Fatalf("%d deadlocks on PostgreSQL", d)
		}
	})
}
