package transport

import (
	"fmt"
	"sync"

	"mutexlab/runtime/wire"
)

// MemNetwork is an in-memory network for tests: every endpoint's Incoming
// receives from one goroutine per ordered pair, so channels stay FIFO
// while deliveries from different senders interleave freely, as on TCP.
type MemNetwork struct {
	mu    sync.Mutex
	nodes map[string]*memEnd
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork { return &MemNetwork{nodes: map[string]*memEnd{}} }

type memEnd struct {
	net    *MemNetwork
	id     string
	in     chan wire.Message
	mu     sync.Mutex
	out    map[string]*queue[wire.Message]
	closed chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// Join adds a node to the network and returns its transport.
func (n *MemNetwork) Join(id string) Transport {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := &memEnd{net: n, id: id, in: make(chan wire.Message, 1024), out: map[string]*queue[wire.Message]{}, closed: make(chan struct{})}
	n.nodes[id] = e
	return e
}

func (e *memEnd) Send(to string, m wire.Message) error {
	e.net.mu.Lock()
	dst, ok := e.net.nodes[to]
	e.net.mu.Unlock()
	if !ok {
		return fmt.Errorf("send to %s: no such node", to)
	}
	e.mu.Lock()
	q, ok := e.out[to]
	if !ok {
		q = newQueue[wire.Message]()
		e.out[to] = q
		e.wg.Add(1)
		go e.pump(q, dst)
	}
	e.mu.Unlock()
	q.push(m)
	return nil
}

// pump forwards one ordered pair's messages in order.
func (e *memEnd) pump(q *queue[wire.Message], dst *memEnd) {
	defer e.wg.Done()
	for {
		select {
		case <-e.closed:
			return
		case <-q.ch:
		}
		for _, m := range q.take() {
			select {
			case dst.in <- m:
			case <-dst.closed:
				return
			case <-e.closed:
				return
			}
		}
	}
}

func (e *memEnd) Incoming() <-chan wire.Message { return e.in }

func (e *memEnd) Close() error {
	e.once.Do(func() {
		close(e.closed)
		e.wg.Wait()
	})
	return nil
}
