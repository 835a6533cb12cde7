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
	waiting []net.Conn // not yet authenticated, oldest first

	mu    sync.Mutex
	out   map[string]*queue[[]byte] // encoded frames per peer
	conns map[net.Conn]struct{}
}

// NewTCP starts accepting on cfg.Listener.
func NewTCP(cfg TCPConfig) *TCP {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	t := &TCP{
		cfg: cfg, in: make(chan wire.Message, 1024), closed: make(chan struct{}),
		out: map[string]*queue[[]byte]{}, conns: map[net.Conn]struct{}{},
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
		q = newQueue[[]byte]()
		t.out[to] = q
		t.wg.Add(1)
		go t.writer(to, addr, q)
	}
	t.mu.Unlock()
	q.push(frame)
	return nil
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

// Limits on connections that have not sent their HELLO yet.
const (
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
// MaxStrangers, the oldest is closed.
func (t *TCP) wait(c net.Conn) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	t.waiting = append(t.waiting, c)
	if len(t.waiting) > t.maxWaiting() {
		old := t.waiting[0]
		t.waiting = t.waiting[1:]
		old.Close()
	}
}

// done takes c off the waiting list; false when it was crowded out.
func (t *TCP) done(c net.Conn) bool {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	for i, w := range t.waiting {
		if w == c {
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

// writer owns the connection to one peer.
func (t *TCP) writer(to, addr string, q *queue[[]byte]) {
	defer t.wg.Done()
	var (
		c  net.Conn
		bw *bufio.Writer
	)
	defer func() {
		if c != nil {
			t.untrack(c)
		}
	}()
	hello, _ := wire.Encode(wire.NewHello(t.cfg.ID, t.cfg.Session))
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-t.closed:
			return
		case <-q.ch:
		}
		items := q.take()
		for len(items) > 0 {
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
				backoff = 10 * time.Millisecond
				c, bw = conn, bufio.NewWriter(conn)
				if _, err := bw.Write(hello); err != nil {
					t.untrack(c)
					c = nil
					continue
				}
			}
			var err error
			for _, frame := range items {
				if _, err = bw.Write(frame); err != nil {
					break
				}
			}
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				select {
				case <-t.closed:
					return
				default:
				}
				// The connection broke: what was written may be lost;
				// the peer has most likely died and is reported by the
				// launcher. Start over on a fresh connection.
				t.cfg.Logf("write to %s: %v", to, err)
				t.untrack(c)
				c = nil
				items = nil
				break
			}
			items = q.take()
		}
	}
}
