package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"mutexlab/runtime/wire"
)

// TCPConfig configures a node's TCP transport.
type TCPConfig struct {
	ID      string
	Session string // the run's secret, sent and checked in HELLO
	// Listener accepts the peers' connections (the launcher hands one
	// over already bound, so ports never race).
	Listener net.Listener
	// Addresses maps every node of the run to the address it listens on.
	Addresses map[string]string
	// Logf reports closed connections and dial trouble; nil is silent.
	Logf func(format string, args ...any)
}

// TCP is the real transport: one connection per ordered pair, dialled by
// the sender, so every channel is FIFO. The first line on a connection is
// HELLO with the session secret; a connection without it, from a stranger,
// or that later claims another sender is closed.
//
// Strangers cannot exhaust a node: at most MaxStrangers connections (and
// one more per peer, so that a group of 64 all dialling at once under
// load crowd none of their own out) may wait for their HELLO at once (one more crowds out the oldest, so that
// a peer, which sends its HELLO at once, still gets in), each with a
// buffer of HelloMax bytes until it is authenticated and HelloTimeout to
// send it; refusals are counted and summed up in a few lines
// (Refusals). An accept that fails for want of file descriptors or
// memory (EMFILE, ENFILE, ECONNABORTED, ...) is retried after a back-off,
// so the listener serves again once the strangers leave.
type TCP struct {
	cfg     TCPConfig
	in      chan wire.Message
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	refused Refusals

	wmu     sync.Mutex
	waiting []stranger // not yet authenticated, oldest first

	mu    sync.Mutex
	out   map[string]*outLink // per peer
	conns map[net.Conn]struct{}
}

// NewTCP starts accepting on cfg.Listener.
func NewTCP(cfg TCPConfig) *TCP {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	t := &TCP{
		cfg: cfg, in: make(chan wire.Message, 1024), closed: make(chan struct{}),
		out: map[string]*outLink{}, conns: map[net.Conn]struct{}{},
	}
	t.refused.Logf = cfg.Logf
	t.wg.Add(1)
	go t.accept()
	return t
}

// Incoming returns the messages received from authenticated peers.
func (t *TCP) Incoming() <-chan wire.Message { return t.in }

// Send queues m for node to; a goroutine per peer dials (with back-off
// until the peer is up) and writes in order.
func (t *TCP) Send(to string, m wire.Message) error {
	addr, ok := t.cfg.Addresses[to]
	if !ok {
		return fmt.Errorf("send to %s: no such node", to)
	}
	frame, err := wire.Encode(m)
	if err != nil {
		return err
	}
	t.mu.Lock()
	q, ok := t.out[to]
	if !ok {
		select {
		case <-t.closed:
			t.mu.Unlock()
			return errors.New("transport closed")
		default:
		}
		q = newOutLink()
		t.out[to] = q
		t.wg.Add(1)
		go t.writer(to, addr, q, nil)
	}
	t.mu.Unlock()
	q.send(frame)
	return nil
}

// Connect dials the links to ids now, in parallel, and returns when each
// is connected and has sent its HELLO (or failed, to be dialled again on
// first use), so that no message waits for a dial. A launched node
// connects to every peer it may send to before the start barrier; the
// peers' listeners are bound before any process starts, so the kernel
// completes the connections even before the peers run.
func (t *TCP) Connect(ids []string) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, id := range ids {
		addr, ok := t.cfg.Addresses[id]
		if !ok || id == t.cfg.ID {
			continue
		}
		t.mu.Lock()
		_, dialled := t.out[id]
		t.mu.Unlock()
		if dialled {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return // dialled again on first use
			}
			if !t.track(c) {
				return
			}
			t.mu.Lock()
			if _, dup := t.out[id]; dup {
				t.mu.Unlock()
				t.untrack(c)
				return
			}
			q := newOutLink()
			t.out[id] = q
			t.wg.Add(1)
			t.mu.Unlock()
			go t.writer(id, addr, q, c)
		}()
	}
	wg.Wait()
}

// Flush waits until every frame handed to Send so far has been written
// to its connection, or until timeout; it reports whether everything
// was. A node about to crash by its scenario's plan flushes first: a
// message it recorded as sent left it, as in the simulator.
func (t *TCP) Flush(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		t.mu.Lock()
		idle := true
		for _, q := range t.out {
			idle = idle && q.idle()
		}
		t.mu.Unlock()
		if idle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// Reset forgets what is queued for peer to and its connection: nothing
// handed to Send before Reset reaches to, not even once it is up again
// (a restarted node, fresh on the same address); what is sent after goes
// over a new connection. When Reset returns, the old writer writes
// nothing more.
func (t *TCP) Reset(to string) {
	t.mu.Lock()
	q := t.out[to]
	delete(t.out, to)
	t.mu.Unlock()
	if q != nil {
		q.reset()
	}
}

// Close stops accepting, closes every connection and waits for the
// goroutines to end.
func (t *TCP) Close() error {
	t.once.Do(func() {
		close(t.closed)
		t.cfg.Listener.Close()
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		t.wg.Wait()
		t.refused.Flush()
	})
	return nil
}

// Refused returns how many connections the listener refused.
func (t *TCP) Refused() int { return t.refused.Total() }

// stranger is a connection waiting for its HELLO since a time.
type stranger struct {
	c     net.Conn
	since time.Time
}

// Limits on connections that have not sent their HELLO yet.
const (
	// crowdAfter is how long a connection may wait for its HELLO before
	// a newer one can crowd it out.
	crowdAfter   = 20 * time.Millisecond
	MaxStrangers = 64
	HelloMax     = 512
	HelloTimeout = 10 * time.Second
)

func (t *TCP) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.closed:
		c.Close()
		return false
	default:
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *TCP) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	c.Close()
}

func (t *TCP) accept() {
	defer t.wg.Done()
	backoff := 5 * time.Millisecond
	failing := false
	for {
		c, err := t.cfg.Listener.Accept()
		if err != nil {
			select {
			case <-t.closed:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				t.cfg.Logf("accept: %v", err)
				return
			}
			// Out of file descriptors or memory, an aborted handshake:
			// wait and try again; it passes when the strangers leave.
			if !failing {
				t.cfg.Logf("accept: %v; retrying with back-off", err)
				failing = true
			}
			select {
			case <-t.closed:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		if failing {
			t.cfg.Logf("accept: serving again")
			failing = false
		}
		backoff = 5 * time.Millisecond
		if !t.track(c) {
			return
		}
		t.wait(c)
		t.wg.Add(1)
		go t.read(c)
	}
}

// read serves one incoming connection.
func (t *TCP) read(c net.Conn) {
	defer t.wg.Done()
	defer t.untrack(c)
	// Until the HELLO is checked, the connection has a small buffer.
	small := bufio.NewReaderSize(c, HelloMax)
	c.SetReadDeadline(time.Now().Add(HelloTimeout))
	peer, err := t.hello(small)
	if !t.done(c) && err != nil {
		err = errCrowdedOut
	}
	if err != nil {
		t.stranger(c, err)
		return
	}
	c.SetReadDeadline(time.Time{})
	r := wire.NewReader(small)
	for {
		m, err := r.Read()
		if err != nil {
			t.reject(c, peer, err)
			return
		}
		if m.Sender != peer {
			t.reject(c, peer, fmt.Errorf("message claims sender %s on %s's connection", m.Sender, peer))
			return
		}
		select {
		case t.in <- m:
		case <-t.closed:
			return
		}
	}
}

// wait adds c to the connections waiting for their HELLO; past
// maxWaiting, the oldest is closed once it has had crowdAfter to speak.
// Until then the accept loop waits: a burst of peers that all dialled at
// once (Connect, at the start of a large run) is let in, each HELLO read,
// rather than crowded out by the peers behind it.
func (t *TCP) wait(c net.Conn) {
	limit := t.maxWaiting()
	for {
		t.wmu.Lock()
		if len(t.waiting) < limit || time.Since(t.waiting[0].since) >= crowdAfter {
			t.waiting = append(t.waiting, stranger{c, time.Now()})
			if len(t.waiting) > limit {
				old := t.waiting[0]
				t.waiting = t.waiting[1:]
				old.c.Close()
			}
			t.wmu.Unlock()
			return
		}
		t.wmu.Unlock()
		select {
		case <-t.closed:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// done takes c off the waiting list; false when it was crowded out.
func (t *TCP) done(c net.Conn) bool {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	for i, w := range t.waiting {
		if w.c == c {
			t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// maxWaiting is how many connections may wait for their HELLO:
// MaxStrangers, and one for each peer.
func (t *TCP) maxWaiting() int { return MaxStrangers + max(len(t.cfg.Addresses)-1, 0) }

var errCrowdedOut = errors.New("crowded out: too many other connections were waiting for their HELLO")

// hello reads and checks the first line of a connection.
func (t *TCP) hello(r *bufio.Reader) (string, error) {
	first, err := wire.ReadFirst(r)
	if err != nil {
		return "", err
	}
	return wire.CheckHello(first, t.cfg.Session, func(id string) bool {
		_, ok := t.cfg.Addresses[id]
		return ok && id != t.cfg.ID
	})
}

// stranger counts a connection refused before or at its HELLO.
func (t *TCP) stranger(c net.Conn, err error) {
	select {
	case <-t.closed:
		return // our own shutdown
	default:
	}
	if !errors.Is(err, errCrowdedOut) && (errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)) {
		return // it never spoke; nothing to refuse
	}
	var ne net.Error
	reason := "bad first line"
	switch {
	case errors.Is(err, errCrowdedOut):
		reason = "crowded out"
	case errors.As(err, &ne) && ne.Timeout():
		reason = "no HELLO in time"
	case errors.Is(err, wire.ErrFirstTooLong):
		reason = "first line too long"
	case strings.Contains(err.Error(), "wrong session secret"):
		reason = "wrong session secret"
	case strings.Contains(err.Error(), "not a node of this run"):
		reason = "not a node of this run"
	}
	t.refused.Note(c.RemoteAddr().String(), reason, err.Error())
}

// reject reports an authenticated peer's connection closed on an error.
func (t *TCP) reject(c net.Conn, peer string, err error) {
	select {
	case <-t.closed:
		return // our own shutdown
	default:
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return // the peer went away; its launcher reports why
	}
	t.cfg.Logf("closed connection from %s (%s): %v", peer, c.RemoteAddr(), err)
}

// writer owns the connection to one peer: c when Connect dialled it,
// else dialled when the first message comes.
func (t *TCP) writer(to, addr string, q *outLink, c net.Conn) {
	defer t.wg.Done()
	defer func() {
		if c != nil {
			t.untrack(c)
		}
	}()
	hello, _ := wire.Encode(wire.NewHello(t.cfg.ID, t.cfg.Session))
	if c != nil && !q.adopt(c) {
		return
	}
	if c != nil {
		if _, err := c.Write(hello); err != nil {
			t.untrack(c)
			c = nil
		} else {
			q.connected(c)
		}
	}
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-t.closed:
			return
		case <-q.ch:
		}
		items := q.take()
		for len(items) > 0 {
			if q.isGone() {
				return
			}
			if c == nil {
				conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					// The peer may not be up yet (nodes started by hand):
					// wait and try again, keeping the messages in order.
					select {
					case <-t.closed:
						return
					case <-time.After(backoff):
					}
					if backoff < time.Second {
						backoff *= 2
					}
					continue
				}
				if !t.track(conn) {
					return
				}
				if !q.adopt(conn) {
					t.untrack(conn)
					return
				}
				backoff = 10 * time.Millisecond
				c = conn
				if _, err := c.Write(hello); err != nil {
					t.untrack(c)
					c = nil
					continue
				}
				q.connected(c)
			}
			// A batch goes out in one writev, with no buffer of the
			// link's own: every link a node may send on is dialled from
			// the start (Connect), 64 of them in a large group.
			bufs := net.Buffers(items)
			if _, err := bufs.WriteTo(c); err != nil {
				select {
				case <-t.closed:
					return
				default:
				}
				// The connection broke: what was written may be lost;
				// the peer has most likely died and is reported by the
				// launcher. Start over on a fresh connection.
				t.cfg.Logf("write to %s: %v", to, err)
				q.connected(nil)
				t.untrack(c)
				c = nil
				items = nil
				break
			}
			items = q.take()
		}
	}
}
