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
	conn  net.Conn        // the writer's connection, nil while none
	gone  bool            // Reset: nothing more is written, the writer ends
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

// adopt records the writer's new connection c; false when the link was
// reset meanwhile (c is then the caller's to close).
func (l *outLink) adopt(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gone {
		return false
	}
	l.conn = c
	return true
}

// reset ends the link: what is queued is forgotten, its connection
// closed, and its writer writes nothing more.
func (l *outLink) reset() {
	l.mu.Lock()
	l.gone, l.items, l.raw = true, nil, nil
	c := l.conn
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
	select {
	case l.ch <- struct{}{}:
	default:
	}
}

// isGone reports whether the link was reset.
func (l *outLink) isGone() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gone
}

// idle reports whether nothing handed to send waits to be written.
func (l *outLink) idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gone || (len(l.items) == 0 && !l.busy)
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
