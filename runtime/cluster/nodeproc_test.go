package cluster

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// controlPair is a node's control client and the launcher's end of its
// connection.
func controlPair(t *testing.T) (*controlClient, *bufio.Reader, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	node, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	launcher, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { launcher.Close() })
	launcher.SetReadDeadline(time.Now().Add(10 * time.Second)) // a failure guard, not a wait
	return newControlClient(node), bufio.NewReader(launcher), launcher
}

// Recorded events reach the launcher by themselves, in order, without
// the node closing or sending anything else: the batch is flushed on its
// timer.
func TestControlClientFlushesBatches(t *testing.T) {
	c, r, _ := controlPair(t)
	defer c.close()
	d := trace.NewDecoder()
	for i := 1; i <= 100; i++ {
		c.Record(trace.Event{Ev: trace.Tick, T: int64(i), Node: "A1", LC: int64(i)})
	}
	for i := 1; i <= 100; i++ {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		var e trace.Event
		if err := d.Decode(line, &e); err != nil || e.LC != int64(i) {
			t.Fatalf("event %d: %q (%v)", i, line, err)
		}
	}
}

// A control frame goes out after the events recorded before it, and
// close sends everything recorded, then ends the stream.
func TestControlClientFramesAndClose(t *testing.T) {
	c, r, _ := controlPair(t)
	c.Record(trace.Event{Ev: trace.Start, Node: "A1"})
	c.send(wire.NewHello("A1", "secret"))
	for range 3 {
		c.Record(trace.Event{Ev: trace.Tick, Node: "A1"})
	}
	c.close()
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if len(lines) != 5 || !trace.IsEventLine([]byte(lines[0])) || trace.IsEventLine([]byte(lines[1])) {
		t.Fatalf("got %q; want the start, the HELLO, three ticks", lines)
	}
}
