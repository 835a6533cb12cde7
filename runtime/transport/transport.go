// Package transport carries messages between nodes. A node's driver sends
// through a Transport and reads what arrives from Incoming; it does not
// know whether the bytes travel over TCP (NewTCP) or stay in memory
// (Mem, for tests). Every implementation keeps each ordered pair's
// channel FIFO, which Lamport's algorithm depends on.
package transport

import (
	"sync"

	"mutexlab/runtime/wire"
)

// Transport is one node's end of the network.
type Transport interface {
	// Send queues m for node to and returns at once. Messages to the
	// same node arrive in the order they were sent.
	Send(to string, m wire.Message) error
	// Incoming delivers messages from authenticated peers, each already
	// checked against the wire schema. It is never closed: stop reading
	// once Close has been called.
	Incoming() <-chan wire.Message
	// Close stops the transport, dropping what is still queued.
	Close() error
}

// queue is an unbounded FIFO feeding one consumer goroutine, so that Send
// never blocks the node's loop.
type queue[T any] struct {
	ch    chan struct{} // signalled when items were added
	mu    sync.Mutex
	items []T
}

func newQueue[T any]() *queue[T] { return &queue[T]{ch: make(chan struct{}, 1)} }

func (q *queue[T]) push(m T) {
	q.mu.Lock()
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.ch <- struct{}{}:
	default:
	}
}

// take returns everything queued so far, or nil.
func (q *queue[T]) take() []T {
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	return items
}
