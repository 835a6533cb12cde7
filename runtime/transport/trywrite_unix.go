//go:build unix

package transport

import "syscall"

// tryWrite writes as much of b as the socket takes without waiting and
// returns how much that was.
func tryWrite(raw syscall.RawConn, b []byte) int {
	n := 0
	raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if err == syscall.EINTR {
				continue
			}
			if err != nil || m <= 0 {
				break
			}
		}
		return true // never wait: the writer goroutine does
	})
	return n
}
