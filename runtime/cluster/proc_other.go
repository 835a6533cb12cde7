//go:build !linux

package cluster

import (
	"os"
	"syscall"
)

// childAttr puts each node in its own process group; elsewhere than Linux
// a node notices a dead launcher by its control connection closing.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// stopSelf stops the process (SIGSTOP) until it is continued (SIGCONT).
func stopSelf() { syscall.Kill(os.Getpid(), syscall.SIGSTOP) }

// openFiles: unknown here.
func openFiles() (uint64, bool) { return 0, false }
