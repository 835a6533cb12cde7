package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// Control multiplexing: one authenticated control connection per node,
// commands out and results back, matched by sequence number.

type ctlConn struct {
	mu   sync.Mutex
	conn net.Conn
}

// acceptControl serves the nodes' control connections. Strangers are
// bounded as on a node's listener (transport.TCP): at most
// transport.MaxStrangers wait for their HELLO at once besides one per
// node (1,690 nodes starting together must not crowd each other out),
// refusals are
// summed up in a few lines, and a failed accept is retried.
func (c *Cluster) acceptControl() {
	defer c.ctlWG.Done()
	defer c.refused.Flush()
	sem := make(chan struct{}, transport.MaxStrangers+len(c.ids))
	backoff := 5 * time.Millisecond
	for {
		conn, err := c.ctl.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		select {
		case sem <- struct{}{}:
		default:
			c.refused.Note(conn.RemoteAddr().String(), "too many waiting for their HELLO", "too many connections wait for their HELLO")
			conn.Close()
			continue
		}
		c.ctlWG.Add(1)
		go c.serveControl(conn, func() { <-sem })
	}
}

func (c *Cluster) serveControl(conn net.Conn, authenticated func()) {
	defer c.ctlWG.Done()
	defer conn.Close()
	// A small buffer until the HELLO: a stranger costs little (README,
	// "What mutexlab guarantees"); the node's stream then reads in chunks
	// through it.
	small := bufio.NewReaderSize(conn, transport.HelloMax)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := wire.ReadFirst(small)
	authenticated()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.refused.Note(conn.RemoteAddr().String(), "bad first line", err.Error())
		}
		return
	}
	id, err := wire.CheckHello(first, c.session, func(id string) bool { _, ok := c.state[id]; return ok })
	if err != nil {
		c.refused.Note(conn.RemoteAddr().String(), "refused HELLO", err.Error())
		return
	}
	cr := newChunkReader(small)
	var rest [][]byte
	conn.SetReadDeadline(time.Time{})
	c.mu.Lock()
	if _, dup := c.conns[id]; dup {
		c.mu.Unlock()
		return
	}
	cc := &ctlConn{conn: conn}
	c.conns[id] = cc
	closed := c.ctlClosed[id]
	defer func() {
		// The connection has ended: a restarted node's process dials anew.
		c.mu.Lock()
		if c.conns[id] == cc {
			delete(c.conns, id)
		}
		c.mu.Unlock()
		close(closed)
	}()
	late := c.stopping
	c.mu.Unlock()
	if late {
		c.write(cc, 0, driver.Command{Op: driver.OpStop, Reason: "stopped"})
	}
	c.connected <- id
	c.readStream(id, conn, cr, rest)
}

// handleFrame takes a control frame other than a trace line.
func (c *Cluster) handleFrame(id string, m wire.Message) {
	switch m.Type {
	case typeResult:
		seq, res, err := decodeResult(m)
		if err != nil {
			return
		}
		c.mu.Lock()
		ch := c.waiting[seq]
		delete(c.waiting, seq)
		c.mu.Unlock()
		if ch != nil {
			ch <- res
		}
	}
}

// write sends command seq to a node.
func (c *Cluster) write(cc *ctlConn, seq int64, cmd driver.Command) error {
	m, err := encodeCommand(seq, cmd)
	if err != nil {
		return err
	}
	frame, err := wire.Encode(m)
	if err != nil {
		return err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err = cc.conn.Write(frame)
	return err
}

// command sends a control command to one node and waits for its answer;
// a refusal is an error named after the node. Commands that steer go
// through steer.go, which records them.
func (c *Cluster) command(ctx context.Context, id string, cmd driver.Command) (driver.Result, error) {
	c.mu.Lock()
	cc := c.conns[id]
	st := c.state[id]
	if st == nil {
		c.mu.Unlock()
		return driver.Result{}, fmt.Errorf("no node %q", id)
	}
	if st.dead || cc == nil {
		c.mu.Unlock()
		return driver.Result{}, fmt.Errorf("%s is not running", id)
	}
	if until, ok := c.sigstopped[id]; ok {
		// A stopped process answers nothing: say why at once rather
		// than after the timeout.
		c.mu.Unlock()
		return driver.Result{}, fmt.Errorf("%s is paused by the scenario's fault plan for %.2f s more (its process is stopped); ask again then", id, max(time.Until(until).Seconds(), 0))
	}
	c.cmdSeq++
	seq := c.cmdSeq
	ch := make(chan driver.Result, 1)
	c.waiting[seq] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.waiting, seq)
		c.mu.Unlock()
	}
	if err := c.write(cc, seq, cmd); err != nil {
		forget()
		return driver.Result{}, fmt.Errorf("%s: %v", id, err)
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	select {
	case res, ok := <-ch:
		if !ok {
			return driver.Result{}, fmt.Errorf("%s stopped", id)
		}
		if res.Err != "" {
			return res, fmt.Errorf("%s: %s", id, res.Err)
		}
		return res, nil
	case <-ctx.Done():
		forget()
		return driver.Result{}, ctx.Err()
	case <-timeout.C:
		forget()
		return driver.Result{}, fmt.Errorf("%s did not answer within 5 s (is it paused in a long handler?)", id)
	}
}
