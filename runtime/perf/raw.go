package perf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"time"
)

// The raw ping-pong is the limit the runtime is measured against: two OS
// processes over loopback TCP, one JSON object per line, each side
// decoding what it reads and encoding what it writes with encoding/json
// through buffered I/O, and nothing else.

// rawMsg is the frame of the raw ping-pong: the shape of a node message.
type rawMsg struct {
	Type    string          `json:"type"`
	Sender  string          `json:"sender"`
	TS      int64           `json:"ts"`
	Payload json.RawMessage `json:"payload"`
}

// EchoArg is the hidden subcommand of mutexlab that runs Echo.
const EchoArg = "bench-echo"

// Echo is the far side of the raw ping-pong: it dials addr and answers
// every line with a line of its own until the connection closes.
func Echo(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)
	enc := json.NewEncoder(bw)
	for {
		line, err := br.ReadSlice('\n')
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var m rawMsg
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		m.Type, m.Sender = "PONG", "B"
		if err := enc.Encode(&m); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}

// RawPingPong starts `binary bench-echo ADDR` and measures n round trips
// with it, after a few to warm up. It gives up after limit.
func RawPingPong(binary string, n int, limit time.Duration) ([]time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	cmd := exec.Command(binary, EchoArg, ln.Addr().String())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		acc <- accepted{c, err}
	}()
	var c net.Conn
	select {
	case a := <-acc:
		if a.err != nil {
			cmd.Process.Kill()
			<-exited
			return nil, a.err
		}
		c = a.c
	case err := <-exited:
		return nil, fmt.Errorf("echo peer exited before it connected: %v", err)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		return nil, errors.New("echo peer did not connect within 10 s")
	}
	defer func() {
		c.Close() // the peer reads EOF and exits
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	deadline := time.Now().Add(limit)
	c.SetDeadline(deadline.Add(5 * time.Second))
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)
	enc := json.NewEncoder(bw)
	ping := func(ts int64) (time.Duration, error) {
		t0 := time.Now()
		if err := enc.Encode(&rawMsg{Type: "PING", Sender: "A", TS: ts, Payload: json.RawMessage(`{}`)}); err != nil {
			return 0, err
		}
		if err := bw.Flush(); err != nil {
			return 0, err
		}
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		var m rawMsg
		if err := json.Unmarshal(line, &m); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	for i := range 20 {
		if _, err := ping(int64(i)); err != nil {
			return nil, err
		}
	}
	rtts := make([]time.Duration, 0, n)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		d, err := ping(int64(i))
		if err != nil {
			return nil, err
		}
		rtts = append(rtts, d)
	}
	return rtts, nil
}
