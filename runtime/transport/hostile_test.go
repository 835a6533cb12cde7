package transport

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/wire"
)

// Strangers are refused and counted: the first in a line of its own, the
// rest summed up, never a line each.
func TestTCPStrangersSummarised(t *testing.T) {
	logs := &logBuf{ch: make(chan string, 64)}
	a, b, addrs := pairTCP(t, logs.logf)
	hello := func(sender, session string) string {
		return fmt.Sprintf(`{"type":"HELLO","sender":%q,"ts":0,"payload":{"session":%q}}`, sender, session)
	}
	lines := []string{
		`{"type":"REQUEST","sender":"A","ts":1,"payload":{}}`, // no HELLO
		hello("A", "nope"),              // wrong secret
		hello("Q", "s"),                 // not a node of the run
		strings.Repeat("x", 4*HelloMax), // a first line too long
	}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addrs["B"])
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "%s\n", lines[i%len(lines)])
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := bufio.NewReader(c).ReadByte(); err == nil {
				t.Error("a stranger's connection left open")
			}
		}()
	}
	wg.Wait()
	for b.Refused() < n {
		time.Sleep(time.Millisecond) // the last refusals are being counted
	}
	// An honest peer still gets through.
	a.Send("B", wire.Message{Type: "OK", Sender: "A", TS: 7, Payload: wire.EmptyPayload})
	if m := recvOne(t, b); m.Type != "OK" {
		t.Fatalf("after strangers: %+v", m)
	}
	b.Close()
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.lines) > 3 || len(logs.lines) < 2 {
		t.Fatalf("%d refusals logged in %d lines, want 2 or 3:\n%s", n, len(logs.lines), strings.Join(logs.lines, "\n"))
	}
	if !strings.HasPrefix(logs.lines[0], "refused a connection from 127.0.0.1:") {
		t.Errorf("first line: %s", logs.lines[0])
	}
	last := logs.lines[len(logs.lines)-1]
	if !strings.Contains(last, fmt.Sprintf("; %d in all", n)) {
		t.Errorf("last line: %s", last)
	}
	t.Logf("%s\n%s", logs.lines[0], last)
}

// Silent strangers hold no more than MaxStrangers places (and one per
// peer): a peer that comes after a hundred of them is served at once.
func TestTCPSilentStrangersCrowdedOut(t *testing.T) {
	a, b, addrs := pairTCP(t, nil)
	var conns []net.Conn
	for range 3 * MaxStrangers {
		c, err := net.Dial("tcp", addrs["B"])
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	a.Send("B", wire.Message{Type: "OK", Sender: "A", TS: 7, Payload: wire.EmptyPayload})
	select {
	case m := <-b.Incoming():
		if m.Type != "OK" {
			t.Fatalf("%+v", m)
		}
	case <-time.After(HelloTimeout / 2):
		t.Fatal("a peer behind silent strangers waited for them to time out")
	}
	b.wmu.Lock()
	waiting := len(b.waiting)
	b.wmu.Unlock()
	if most := MaxStrangers + len(addrs) - 1; waiting > most {
		t.Fatalf("%d connections wait for their HELLO, at most %d may", waiting, most)
	}
}

// A listener whose accept fails for want of file descriptors serves again
// once they are back.
func TestTCPAcceptSurvivesEMFILE(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: inner, fails: 8}
	la, _ := net.Listen("tcp", "127.0.0.1:0")
	addrs := map[string]string{"A": la.Addr().String(), "B": inner.Addr().String()}
	logs := &logBuf{ch: make(chan string, 64)}
	a := NewTCP(TCPConfig{ID: "A", Session: "s", Listener: la, Addresses: addrs})
	b := NewTCP(TCPConfig{ID: "B", Session: "s", Listener: fl, Addresses: addrs, Logf: logs.logf})
	defer a.Close()
	defer b.Close()
	a.Send("B", wire.Message{Type: "OK", Sender: "A", TS: 7, Payload: wire.EmptyPayload})
	if m := recvOne(t, b); m.Type != "OK" {
		t.Fatalf("%+v", m)
	}
	if first := <-logs.ch; !strings.Contains(first, "too many open files; retrying with back-off") {
		t.Fatalf("logged %q", first)
	}
}

type failingListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}
