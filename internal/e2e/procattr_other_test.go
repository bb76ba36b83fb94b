//go:build !linux

package e2e

import "syscall"

// childAttr: only Linux ties a child's life to the test process here, and
// only Linux runs the PostgreSQL cluster as another user.
func childAttr(as *ids) *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
