package transport

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/wire"
)

// pairTCP starts transports for A and B on loopback.
func pairTCP(t *testing.T, logf func(string, ...any)) (*TCP, *TCP, map[string]string) {
	t.Helper()
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{"A": la.Addr().String(), "B": lb.Addr().String()}
	a := NewTCP(TCPConfig{ID: "A", Session: "s", Listener: la, Addresses: addrs, Logf: logf})
	b := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: lb, Addresses: addrs, Logf: logf})
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, addrs
}

func recvOne(t *testing.T, tr Transport) wire.Message {
	t.Helper()
	select {
	case m := <-tr.Incoming():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10 s")
	}
	return wire.Message{}
}

func TestTCPFIFO(t *testing.T) {
	a, b, _ := pairTCP(t, nil)
	for i := 1; i <= 500; i++ {
		if err := a.Send("B", wire.Message{Type: "N", Sender: "A", TS: int64(i), Payload: wire.EmptyPayload}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 500; i++ {
		if m := recvOne(t, b); m.TS != int64(i) || m.Sender != "A" {
			t.Fatalf("message %d arrived as %+v", i, m)
		}
	}
	if err := a.Send("Z", wire.Message{Type: "N", Sender: "A"}); err == nil {
		t.Fatal("send to an unknown node accepted")
	}
}

// TestTCPDialsUntilPeerIsUp: messages to a peer that is not listening yet
// wait, in order, until it is.
func TestTCPDialsUntilPeerIsUp(t *testing.T) {
	lb, _ := net.Listen("tcp", "127.0.0.1:0")
	addrB := lb.Addr().String()
	lb.Close() // B is not up yet
	la, _ := net.Listen("tcp", "127.0.0.1:0")
	addrs := map[string]string{"A": la.Addr().String(), "B": addrB}
	a := NewTCP(TCPConfig{ID: "A", Session: "s", Listener: la, Addresses: addrs})
	defer a.Close()
	for i := 1; i <= 3; i++ {
		a.Send("B", wire.Message{Type: "N", Sender: "A", TS: int64(i), Payload: wire.EmptyPayload})
	}
	lb, err := net.Listen("tcp", addrB)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addrB, err)
	}
	b := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: lb, Addresses: addrs})
	defer b.Close()
	for i := 1; i <= 3; i++ {
		if m := recvOne(t, b); m.TS != int64(i) {
			t.Fatalf("got ts %d, want %d", m.TS, i)
		}
	}
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
	ch    chan string
}

func (l *logBuf) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
	l.ch <- fmt.Sprintf(f, a...)
}

func TestTCPRejectsBadPeers(t *testing.T) {
	logs := &logBuf{ch: make(chan string, 16)}
	a, b, addrs := pairTCP(t, logs.logf)
	good := func(typ, sender string) string {
		return fmt.Sprintf(`{"type":%q,"sender":%q,"ts":1,"payload":{}}`, typ, sender)
	}
	hello := func(sender, session string) string {
		return fmt.Sprintf(`{"type":"HELLO","sender":%q,"ts":0,"payload":{"session":%q}}`, sender, session)
	}
	// Strangers (no HELLO, a wrong secret, an unknown sender) are counted
	// and summed up (TestTCPStrangersSummarised); a peer that breaks the
	// protocol after its HELLO is logged each time.
	cases := []struct{ name, lines, want string }{
		{"spoofed sender", hello("A", "s") + "\n" + good("REQUEST", "C9"), "claims sender C9"},
		{"bad json", hello("A", "s") + "\n" + `{"type":`, "bad frame"},
		{"unknown field", hello("A", "s") + "\n" + `{"type":"X","sender":"A","ts":1,"payload":{},"extra":1}`, "unknown field"},
		{"oversized", hello("A", "s") + "\n" + strings.Repeat("x", wire.MaxLine+10), "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addrs["B"])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "%s\n", c.lines)
			select {
			case line := <-logs.ch:
				if !strings.Contains(line, c.want) {
					t.Fatalf("log %q, want it to mention %q", line, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("nothing logged")
			}
			// B closed the connection.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := bufio.NewReader(conn).ReadByte(); err == nil {
				t.Fatal("connection still open")
			}
		})
	}
	// B still works for honest peers.
	a.Send("B", wire.Message{Type: "OK", Sender: "A", TS: 7, Payload: wire.EmptyPayload})
	if m := recvOne(t, b); m.Type != "OK" {
		t.Fatalf("after bad peers: %+v", m)
	}
}

func TestMemNetworkFIFO(t *testing.T) {
	n := NewMemNetwork()
	a, b := n.Join("A"), n.Join("B")
	defer a.Close()
	defer b.Close()
	for i := 1; i <= 100; i++ {
		a.Send("B", wire.Message{Type: "N", Sender: "A", TS: int64(i)})
	}
	for i := 1; i <= 100; i++ {
		if m := recvOne(t, b); m.TS != int64(i) {
			t.Fatalf("got %d want %d", m.TS, i)
		}
	}
}

// BenchmarkTCPThroughput sends b.N messages A -> B and waits for the last.
func BenchmarkTCPThroughput(b *testing.B) {
	la, _ := net.Listen("tcp", "127.0.0.1:0")
	lb, _ := net.Listen("tcp", "127.0.0.1:0")
	addrs := map[string]string{"A": la.Addr().String(), "B": lb.Addr().String()}
	a := NewTCP(TCPConfig{ID: "A", Session: "s", Listener: la, Addresses: addrs})
	c := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: lb, Addresses: addrs})
	defer a.Close()
	defer c.Close()
	m := wire.Message{Type: "REQUEST", Sender: "A", TS: 12, Payload: wire.EmptyPayload}
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			a.Send("B", m)
		}
	}()
	for i := 0; i < b.N; i++ {
		<-c.Incoming()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// Flush returns once everything sent has been written; Reset forgets what
// waits for a peer that is down, so a fresh peer on the same address gets
// only what was sent after.
func TestTCPFlushAndReset(t *testing.T) {
	a, b, addrs := pairTCP(t, nil)
	for i := 1; i <= 200; i++ {
		a.Send("B", wire.Message{Type: "N", Sender: "A", TS: int64(i), Payload: wire.EmptyPayload})
	}
	if !a.Flush(10 * time.Second) {
		t.Fatal("Flush: 200 frames to a live peer not written within 10 s")
	}
	for i := 1; i <= 200; i++ {
		recvOne(t, b)
	}
	// B dies: what A sends now is lost on the dead connection or waits,
	// redialled in vain.
	b.Close()
	for i := 1; i <= 3; i++ {
		a.Send("B", wire.Message{Type: "OLD", Sender: "A", TS: int64(i), Payload: wire.EmptyPayload})
	}
	a.Reset("B")
	if !a.Flush(10 * time.Second) {
		t.Fatal("Flush after Reset: the forgotten frames still count")
	}
	lb, err := net.Listen("tcp", addrs["B"])
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addrs["B"], err)
	}
	b2 := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: lb, Addresses: addrs})
	defer b2.Close()
	a.Send("B", wire.Message{Type: "NEW", Sender: "A", TS: 9, Payload: wire.EmptyPayload})
	if m := recvOne(t, b2); m.Type != "NEW" {
		t.Fatalf("the fresh B got %s first", m.Type)
	}
}

// Connect dials before any message, even to a peer whose process has not
// started (its listener bound, nobody accepting): the kernel completes
// the connection, and the first message waits for no dial.
func TestTCPConnectBeforeThePeerRuns(t *testing.T) {
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{"A": la.Addr().String(), "B": lb.Addr().String(), "C": "127.0.0.1:1"}
	a := NewTCP(TCPConfig{ID: "A", Session: "s", Listener: la, Addresses: addrs})
	defer a.Close()
	a.Connect([]string{"B", "C", "A", "nobody"}) // C refuses: dialled again on first use
	a.mu.Lock()
	links, conns := len(a.out), len(a.conns)
	a.mu.Unlock()
	if links != 1 || conns != 1 {
		t.Fatalf("after Connect: %d links, %d connections; want the one to B", links, conns)
	}
	// B starts only now; A's HELLO and message are waiting for it.
	b := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: lb, Addresses: addrs})
	defer b.Close()
	if err := a.Send("B", wire.Message{Type: "PING", Sender: "A", TS: 1, Payload: wire.EmptyPayload}); err != nil {
		t.Fatal(err)
	}
	if m := recvOne(t, b); m.Type != "PING" || m.Sender != "A" {
		t.Fatalf("got %+v", m)
	}
	a.mu.Lock()
	conns = len(a.conns)
	a.mu.Unlock()
	if conns != 1 {
		t.Fatalf("%d connections after the first message, want the one Connect made", conns)
	}
}

// Frames larger than the socket takes at once, sent faster than they are
// read: Send writes part of one itself and queues the rest, and the
// stream still carries every frame whole and in order.
func TestTCPPartialWritesKeepFrames(t *testing.T) {
	a, b, _ := pairTCP(t, nil)
	big := `{"pad":"` + strings.Repeat("x", 50_000) + `"}`
	const n = 300
	for i := 1; i <= n; i++ {
		if err := a.Send("B", wire.Message{Type: "BIG", Sender: "A", TS: int64(i), Payload: []byte(big)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		m := recvOne(t, b)
		if m.TS != int64(i) || string(m.Payload) != big {
			t.Fatalf("frame %d: ts %d, payload of %d bytes", i, m.TS, len(m.Payload))
		}
	}
}
