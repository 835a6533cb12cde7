//go:build !unix

package transport

import "syscall"

// tryWrite leaves every frame to the link's writer goroutine.
func tryWrite(syscall.RawConn, []byte) int { return 0 }
