package e2e

import "syscall"

// childAttr makes a child process die with the test process, even when the
// test binary itself is killed (go test -timeout) and no cleanup runs. (The
// signal follows the forking OS thread; the Go runtime does not end its
// threads while tests run.) With as set, the child runs as that user.
func childAttr(as *ids) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if as != nil {
		a.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid, NoSetGroups: true}
	}
	return a
}
