package transport

import (
	"net"
	"sync"
	"syscall"
)

// outLink is the sending end of one link. A frame is written by Send
// itself when the link is connected and idle and the socket takes the
// frame whole at once: a message then leaves without waking another
// goroutine. Otherwise (not connected yet, the writer busy, frames
// queued, the socket full) it is queued for the link's writer goroutine,
// which keeps the order.
type outLink struct {
	mu    sync.Mutex
	items [][]byte
	busy  bool            // the writer goroutine is writing: Send queues
	raw   syscall.RawConn // the connection, once its HELLO is out; nil while none
	ch    chan struct{}   // signalled when items were queued
}

func newOutLink() *outLink { return &outLink{ch: make(chan struct{}, 1)} }

// send writes frame now if it can, and queues what it could not write.
func (l *outLink) send(frame []byte) {
	l.mu.Lock()
	if l.raw != nil && !l.busy && len(l.items) == 0 {
		n := tryWrite(l.raw, frame)
		if n == len(frame) {
			l.mu.Unlock()
			return
		}
		frame = frame[n:] // the rest of the frame follows on the stream
	}
	l.items = append(l.items, frame)
	l.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
	default:
	}
}

// take hands the writer everything queued and marks the link busy, or
// idle when nothing is.
func (l *outLink) take() [][]byte {
	l.mu.Lock()
	items := l.items
	l.items = nil
	l.busy = len(items) > 0
	l.mu.Unlock()
	return items
}

// connected lets Send write on c directly (nil: on nothing).
func (l *outLink) connected(c net.Conn) {
	var raw syscall.RawConn
	if sc, ok := c.(syscall.Conn); ok && c != nil {
		raw, _ = sc.SyscallConn()
	}
	l.mu.Lock()
	l.raw = raw
	l.mu.Unlock()
}
