package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ids is a user to run a child process as.
type ids struct{ uid, gid uint32 }

// pgCluster is a PostgreSQL cluster of the test's own, in a temporary
// directory on a free loopback port, that the test may stop and start. The
// machine's shared server is never touched. The postmaster runs in the
// foreground as a child of the test (so it dies with it); it is stopped with
// pg_ctl like any cluster.
type pgCluster struct {
	t      *testing.T
	bin    string // the directory of initdb, postgres, pg_ctl
	data   string
	socket string
	port   int
	as     *ids // the postgres user when the test runs as root
	log    *logBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	runs   int
}

// pgBinDir finds the newest PostgreSQL server binaries: Debian's layout,
// else the directory pg_config names.
func pgBinDir() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		found = append(found, filepath.Join(strings.TrimSpace(string(out)), "initdb")) // tried last
	}
	sort.SliceStable(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	for _, f := range found {
		dir := filepath.Dir(f)
		if fileExists(filepath.Join(dir, "postgres")) && fileExists(filepath.Join(dir, "pg_ctl")) {
			return dir
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// newPGCluster creates (initdb) a cluster; start runs it.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		missing(t, "no PostgreSQL server binaries (initdb, postgres, pg_ctl) in /usr/lib/postgresql/<version>/bin or pg_config --bindir (apt-get install postgresql)")
	}
	c := &pgCluster{t: t, bin: bin, log: &logBuffer{}}
	base := t.TempDir()
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			missing(t, "running as root and there is no postgres user to run the cluster as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.as = &ids{uint32(uid), uint32(gid)}
		// The postgres user must reach the directory t.TempDir made.
		for _, d := range []string{filepath.Dir(base), base} {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
	pg := filepath.Join(base, "pg")
	if err := os.Mkdir(pg, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.as != nil {
		if err := os.Chown(pg, int(c.as.uid), int(c.as.gid)); err != nil {
			t.Fatal(err)
		}
	}
	c.data, c.socket = filepath.Join(pg, "data"), pg
	c.port = freePort(t)
	t.Cleanup(func() {
		c.stop("immediate")
		if t.Failed() {
			t.Logf("output of the test's PostgreSQL (last 16 KiB):\n%s", c.log.tail(16<<10))
		}
	})
	out, err := c.command("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	return c
}

// command prepares one of the cluster's programs, run as the cluster's user.
func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "PGTZ=UTC"}
	cmd.Dir = c.socket
	cmd.SysProcAttr = childAttr(c.as)
	return cmd
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DSN is the URL openlines is given.
func (c *pgCluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start runs the postmaster and waits until it accepts connections.
func (c *pgCluster) start() {
	c.t.Helper()
	c.mu.Lock()
	c.runs++
	run := c.runs
	w := &lineWriter{f: func(line string) { c.log.printf("[postgres run %d] %s\n", run, line) }}
	cmd := c.command("postgres", "-D", c.data, "-p", strconv.Itoa(c.port), "-k", c.socket,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60", "-c", "shared_buffers=16MB")
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		c.mu.Unlock()
		c.t.Fatalf("start postgres: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		w.flush()
		c.log.printf("[postgres run %d] exited: %v\n", run, err)
		close(exited)
	}()
	c.cmd, c.exited = cmd, exited
	c.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := c.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-t", "1")
		if ready.Run() == nil {
			return
		}
		select {
		case <-exited:
			c.t.Fatalf("postgres exited at start:\n%s", c.log.tail(4<<10))
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("postgres not ready within 30 s:\n%s", c.log.tail(4<<10))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops the cluster with pg_ctl in mode (immediate: like a crash, with
// recovery at the next start; fast: disconnects everyone cleanly), then
// makes sure the postmaster is gone.
func (c *pgCluster) stop(mode string) {
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.cmd, c.exited = nil, nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	out, err := c.command("pg_ctl", "stop", "-D", c.data, "-m", mode, "-w", "-t", "20").CombinedOutput()
	if err != nil {
		c.t.Errorf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
		cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}
