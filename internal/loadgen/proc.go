package loadgen

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The server's memory is read from /proc when it runs on this machine:
// the process is named by --pid or found as the owner of the socket that
// listens on the URL's port. Anything missing (another machine, another
// user's process, no /proc) leaves the figure out.

// isLocalHost reports whether host names this machine.
func isLocalHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false // a name other than localhost: do not guess
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// listenerInodes returns the inodes of the sockets listening on port, read
// from /proc/net/tcp and tcp6 (under root, for tests).
func listenerInodes(root string, port int) map[string]bool {
	inodes := map[string]bool{}
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		f, err := os.Open(filepath.Join(root, name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			p, err := strconv.ParseUint(hexPort, 16, 16)
			if ok && err == nil && int(p) == port && fs[9] != "0" {
				inodes[fs[9]] = true
			}
		}
		f.Close()
	}
	return inodes
}

// findListener returns the process that owns a socket listening on port,
// or 0.
func findListener(root string, port int) int {
	inodes := listenerInodes(root, port)
	if len(inodes) == 0 {
		return 0
	}
	procs, err := os.ReadDir(root)
	if err != nil {
		return 0
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid <= 0 {
			continue
		}
		dir := filepath.Join(root, p.Name(), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // another user's process, or gone
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && strings.HasPrefix(link, "socket:[") && inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				return pid
			}
		}
	}
	return 0
}

// rss returns the resident set size of pid in bytes (VmRSS), or 0.
func rss(root string, pid int) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open(filepath.Join(root, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fs := strings.Fields(v)
			if len(fs) == 2 && fs[1] == "kB" {
				n, err := strconv.ParseInt(fs[0], 10, 64)
				if err == nil {
					return n * 1024
				}
			}
		}
	}
	return 0
}

// settledRSS waits, at most for limit, until the resident size of pid stops
// moving (two readings 250 ms apart within 1 %) and returns it. A Go server
// gives freed memory back to the system gradually, so a reading right after
// the setup (argon2 hashes of the operators' passwords take 19 MiB each)
// would count memory about to be returned.
func settledRSS(ctx context.Context, root string, pid int, limit time.Duration) int64 {
	prev := rss(root, pid)
	for end := time.Now().Add(limit); prev > 0 && time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return prev
		case <-time.After(250 * time.Millisecond):
		}
		cur := rss(root, pid)
		if d := cur - prev; d < prev/100 && -d < prev/100 {
			return cur
		}
		prev = cur
	}
	return prev
}
