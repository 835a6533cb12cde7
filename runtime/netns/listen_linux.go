package netns

import (
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Listen opens a TCP listener on addr inside namespace ns: the socket
// belongs to the namespace it is made in, so this OS thread enters ns for
// the call and comes back.
func Listen(ns, addr string) (net.Listener, error) {
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter %s: %w", ns, err)
	}
	ln, lerr := net.Listen("tcp", addr)
	if err := setns(self); err != nil {
		// The thread is stuck in ns: keep it locked, and it ends with
		// this goroutine instead of serving others.
		if ln != nil {
			ln.Close()
		}
		return nil, fmt.Errorf("leave %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return ln, lerr
}

func setns(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }

// lockSubnets holds a lock, across processes, while a launcher picks its
// addresses and takes them.
func lockSubnets() (func(), error) {
	f, err := os.OpenFile("/run/mutexlab-netns.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
