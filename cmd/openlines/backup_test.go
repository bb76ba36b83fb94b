package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/store"
)

// startServer runs the real binary's serve in dir on a free port with a
// chosen administrator password and returns its URL.
func startServer(t *testing.T, dir, password string, extra ...string) string {
	t.Helper()
	srv := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)...)
	srv.Dir = dir
	srv.Env = append(os.Environ(), "OPENLINES_ADMIN_EMAIL=", "OPENLINES_ADMIN_PASSWORD="+password, "OPENLINES_LOG_FORMAT=text", "OPENLINES_LOG_LEVEL=warn")
	out, _ := srv.StdoutPipe()
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`running at (https?://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case url := <-urls:
		return url
	case <-time.After(30 * time.Second):
		t.Fatalf("the server printed no URL; stderr:\n%s", stderr.String())
	}
	return ""
}

// apiChannel signs in as the administrator and connects an API channel to
// a new line, returning the channel's id and key.
func apiChannel(t *testing.T, url, password string) (id, key string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	call := func(path, body string, into any) {
		res, err := hc.Post(url+"/api/v1"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 300 {
			t.Fatalf("POST %s: %d", path, res.StatusCode)
		}
		if into != nil {
			json.NewDecoder(res.Body).Decode(into)
		}
	}
	call("/auth/login", `{"email":"admin@localhost","password":"`+password+`"}`, nil)
	var ln struct{ ID string }
	call("/lines", `{"name":"Support"}`, &ln)
	var ch struct {
		ID  string
		Key struct{ Secret string }
	}
	call("/lines/"+ln.ID+"/channels", `{"type":"api"}`, &ch)
	if ch.ID == "" || ch.Key.Secret == "" {
		t.Fatalf("no channel or key: %+v", ch)
	}
	return ch.ID, ch.Key.Secret
}

// A backup taken with the real binary while customers' messages pour into
// the running server over HTTP is a sound database; restored into a new
// directory it holds every message the server acknowledged before the
// backup started.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	const password = "backup-test-password"
	dir := t.TempDir()
	url := startServer(t, dir, password)
	chID, key := apiChannel(t, url, password)

	type ack struct {
		ext string
		at  time.Time // when the 201 arrived
	}
	var (
		mu   sync.Mutex
		acks []ack
		seq  atomic.Int64
		errs atomic.Int64
	)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 30 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 20000; i++ {
				n := seq.Add(1)
				ext := fmt.Sprintf("m-%d", n)
				body := fmt.Sprintf(`{"customer":{"external_id":"c-%d-%d"},"message":{"external_id":%q,"text":"hello %d"}}`, w, n%50, ext, n)
				req, _ := http.NewRequest("POST", url+"/api/v1/channels/"+chID+"/messages", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				res, err := hc.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					errs.Add(1)
					continue
				}
				mu.Lock()
				acks = append(acks, ack{ext, time.Now()})
				mu.Unlock()
			}
		}()
	}
	// Let the load build up, then back up in the middle of it.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages acknowledged in 20 s (%d errors)", n, errs.Load())
		}
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	started := time.Now()
	stdout, stderr, code := runBinary(t, nil, "backup", "--db", filepath.Join(dir, "data", "openlines.db"), "--out", out)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	time.Sleep(200 * time.Millisecond) // the load goes on after the backup
	stop()
	wg.Wait()
	if errs.Load() > 0 {
		t.Errorf("%d inbound requests failed during the backup", errs.Load())
	}
	var before []string
	after := 0
	for _, a := range acks {
		if a.at.Before(started) {
			before = append(before, a.ext)
		} else {
			after++
		}
	}
	if after == 0 {
		t.Error("no message was acknowledged after the backup started: the load did not overlap it")
	}

	restored := filepath.Join(t.TempDir(), "new", "data", "openlines.db")
	if stdout, stderr, code := runBinary(t, nil, "restore", "--from", out, "--db", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, stderr, code := runBinary(t, nil, "restore", "--from", out, "--db", restored); code == 0 || !strings.Contains(stderr, "--force") {
		t.Errorf("restore over an existing database: exit %d %s", code, stderr)
	}
	st, err := store.Open(context.Background(), restored, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // it opens and migrates: the restored file is a working database
	db, err := sql.Open("sqlite", restored)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT external_id FROM messages WHERE channel_id = $1 AND direction = 'in'`, chID)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var ext string
		rows.Scan(&ext)
		have[ext] = true
	}
	rows.Close()
	missing := 0
	for _, ext := range before {
		if !have[ext] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of the %d messages acknowledged before the backup started are not in it", missing, len(before))
	}
	t.Logf("%d acknowledged before the backup, %d after; the backup holds %d", len(before), after, len(have))
}

// The binary refuses to serve or migrate a database a newer version
// migrated, naming both schema versions and its own version, and leaves
// the database as it was.
func TestRefusesNewerDatabase(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "o.db")
	if _, stderr, code := runBinary(t, nil, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	future := store.LatestSchemaVersion() + 3
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future.sql', 0)`, future); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"migrate", "--db", dsn}, {"serve", "--db", dsn, "--addr", "127.0.0.1:0"}} {
		_, stderr, code := runBinary(t, nil, args...)
		if code != 1 {
			t.Errorf("%s on a newer database: exit %d\n%s", args[0], code, stderr)
		}
		for _, want := range []string{fmt.Sprintf("schema version %d", future), fmt.Sprintf("this binary's %d", store.LatestSchemaVersion()), "[this binary: openlines "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: %q lacks %q", args[0], stderr, want)
			}
		}
	}
	db, _ = sql.Open("sqlite", dsn)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, future).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the newer schema's row: %d %v", n, err)
	}
}
