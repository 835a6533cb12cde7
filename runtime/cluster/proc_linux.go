package cluster

import (
	"os"
	"syscall"
)

// childAttr puts each node in its own process group (a Ctrl-C at the
// terminal reaches only the launcher, which stops the nodes in order) and
// has the kernel kill it if the launcher dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// peakRSS is an exited process's peak resident set size in bytes (Linux
// gives ru_maxrss in KiB); 0 when unknown.
func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
