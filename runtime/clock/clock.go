// Package clock holds the Lamport logical clock every node carries.
//
// The runtime applies the clock itself: every outgoing message is stamped
// by Send (one Send for a broadcast), every delivered message passes
// Recv(ts) before any script sees it, and scripts may Tick for a local
// event. A LamportClock is safe for concurrent use, so a status query from
// another goroutine can read it while the node runs.
package clock

import "sync"

// LamportClock is a logical clock after Lamport (1978): a counter that
// increases on every event and jumps past the timestamp of every message
// received.
type LamportClock struct {
	mu sync.Mutex
	t  int64
}

// Now returns the current value without changing it.
func (c *LamportClock) Now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Tick records a local event and returns the new value.
func (c *LamportClock) Tick() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t++
	return c.t
}

// Send records a send event and returns the timestamp the message carries.
func (c *LamportClock) Send() int64 { return c.Tick() }

// Recv records the receipt of a message stamped ts: the clock moves to
// max(own, ts) + 1, so the receive is ordered after the send.
func (c *LamportClock) Recv(ts int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts > c.t {
		c.t = ts
	}
	c.t++
	return c.t
}
