package cluster

import (
	"os"
	"runtime"
	"syscall"
)

// childAttr puts each node in its own process group (a Ctrl-C at the
// terminal reaches only the launcher, which stops the nodes in order) and
// has the kernel kill it if the launcher dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// stopSelf stops the process (SIGSTOP) and returns once it is continued
// (SIGCONT). The signal goes to the calling thread, so that the process
// is stopped before the call returns: sent to the process, another thread
// may take it a moment later, after the caller has gone on.
func stopSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGSTOP)
}

// openFiles returns how many files this process may open (RLIMIT_NOFILE;
// Go raises the soft limit to the hard one at start).
func openFiles() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return r.Cur, true
}
