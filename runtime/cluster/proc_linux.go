package cluster

import "syscall"

// childAttr puts each node in its own process group (a Ctrl-C at the
// terminal reaches only the launcher, which stops the nodes in order) and
// has the kernel kill it if the launcher dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
