package cluster

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// The trace path (docs/trace.md). Each node encodes its events' trace
// lines once and sends them in batches on its control connection.
// readStream reads a connection a chunk at a time, decodes each line once
// (without reflection, on trace.Decoder's fast path) and hands the chunk's
// events to the merger under one lock. The merger (trace.Merger) lets an
// event through once the trace stays consistent with it (a receive after
// its send); every event let through is written to the trace, unchanged
// and buffered, then observed for the run's state and passed to OnEvent.
// Nothing keeps the events: memory is bounded by what is in flight.

const (
	// chunkSize is the most of a control connection read at once; a
	// line is at most wire.MaxLine. A connection's buffer begins at
	// firstChunk and doubles while reads fill it: a launcher of 1,690
	// nodes, most of them quiet most of the time, held 0.8 GB when each
	// began at chunkSize.
	chunkSize  = 256 << 10
	firstChunk = 16 << 10
	// flushEvery is how stale the trace file may be while the run goes.
	flushEvery = 100 * time.Millisecond
	// drainTimeout ends the reading of a control connection that sends
	// nothing more although its process has exited (its socket held open
	// by something else): a safety net, not a deadline for data.
	drainTimeout = 5 * time.Second
	// hungAfter is how long a stopped node may go without exiting and
	// without sending anything before it is killed.
	hungAfter = 3 * time.Second
)

// chunkReader reads a stream of lines a chunk at a time.
type chunkReader struct {
	r          io.Reader
	buf        []byte
	start, end int
}

func newChunkReader(r io.Reader) *chunkReader {
	return &chunkReader{r: r, buf: make([]byte, firstChunk)}
}

// grow doubles the buffer, up to chunkSize; false when it is that large.
func (cr *chunkReader) grow() bool {
	if len(cr.buf) >= chunkSize {
		return false
	}
	b := make([]byte, min(2*len(cr.buf), chunkSize))
	cr.end = copy(b, cr.buf[cr.start:cr.end])
	cr.start, cr.buf = 0, b
	return true
}

// read reads once and appends to dst every complete line now buffered,
// newline included. The lines are valid until the next call. A stream
// that ends in the middle of a line gives io.ErrUnexpectedEOF.
func (cr *chunkReader) read(dst [][]byte) ([][]byte, int, error) {
	if cr.start == cr.end {
		cr.start, cr.end = 0, 0
	} else if cr.start > 0 {
		cr.end = copy(cr.buf, cr.buf[cr.start:cr.end])
		cr.start = 0
	}
	if cr.end == len(cr.buf) && !cr.grow() {
		return dst, 0, wire.ErrTooLong
	}
	free := len(cr.buf) - cr.end
	n, err := cr.r.Read(cr.buf[cr.end:])
	cr.end += n
	for {
		i := bytes.IndexByte(cr.buf[cr.start:cr.end], '\n')
		if i < 0 {
			break
		}
		dst = append(dst, cr.buf[cr.start:cr.start+i+1])
		cr.start += i + 1
	}
	if err == io.EOF && cr.start < cr.end {
		err = io.ErrUnexpectedEOF
	}
	if n == free && err == nil {
		// The read filled the buffer: more is coming than it holds.
		// The lines handed out keep the old one.
		cr.grow()
	}
	return dst, n, err
}

// connWatch is what Stop and exited know of a control connection's
// reading, without a lock.
type connWatch struct {
	last atomic.Int64 // when it last brought anything, Unix ns
	gone atomic.Bool  // its process has exited: only what is buffered is left
}

// streamSent is what a node has sent of its trace so far, whether let
// through the merger yet or not.
type streamSent struct {
	lc    int64 // its latest Lamport clock
	exit  bool  // it recorded its own exit
	crash bool  // its last incarnation crashed by the plan
}

// received is one event line of a chunk, decoded.
type received struct {
	ev   trace.Event
	line []byte
}

// readStream reads node id's control connection to its end: trace lines
// go to the merger, RESULT frames to whoever waits for them. first holds
// the lines read with the HELLO.
func (c *Cluster) readStream(id string, conn net.Conn, cr *chunkReader, first [][]byte) {
	dec := trace.NewDecoder()
	w := c.watch[id]
	var (
		lines  = first
		evs    []received
		frames []wire.Message
		badEv  bool
	)
	for {
		evs, frames = evs[:0], frames[:0]
		for _, line := range lines {
			if !trace.IsEventLine(line) {
				m, err := wire.Decode(line)
				if err != nil {
					fmt.Fprintf(os.Stderr, "mutexlab: control connection of %s: %v\n", id, err)
					continue
				}
				if m.Sender != id {
					fmt.Fprintf(os.Stderr, "mutexlab: control connection of %s claims sender %s; closed\n", id, m.Sender)
					return
				}
				if m.Type == typeFault {
					// A fault frame counts where it stands among the
					// node's events: what came before is merged first.
					evs = c.addEvents(id, evs)
					c.mergeMu.Lock()
					c.takeFault(id, m)
					c.mergeMu.Unlock()
					continue
				}
				frames = append(frames, m)
				continue
			}
			evs = append(evs, received{line: line})
			r := &evs[len(evs)-1]
			if err := dec.Decode(line, &r.ev); err != nil || r.ev.Node != id {
				if !badEv {
					badEv = true
					fmt.Fprintf(os.Stderr, "mutexlab: control connection of %s: a bad trace line left out: %.80s\n", id, line)
				}
				evs = evs[:len(evs)-1]
			}
		}
		evs = c.addEvents(id, evs)
		for _, m := range frames {
			c.handleFrame(id, m)
		}
		var n int
		var err error
		lines, n, err = cr.read(lines[:0])
		if n > 0 {
			w.last.Store(time.Now().UnixNano())
			if w.gone.Load() {
				conn.SetReadDeadline(time.Now().Add(drainTimeout))
			}
		}
		if err != nil && len(lines) == 0 {
			// The end of the stream, or a node killed in the middle of a
			// line; only a line too long is news.
			if err == wire.ErrTooLong {
				fmt.Fprintf(os.Stderr, "mutexlab: control connection of %s: %v\n", id, err)
			}
			return
		}
	}
}

// addEvents hands a node's events to the merger and returns evs emptied.
func (c *Cluster) addEvents(id string, evs []received) []received {
	if len(evs) == 0 {
		return evs
	}
	c.mergeMu.Lock()
	sent := c.sent[id]
	for i := range evs {
		e := &evs[i].ev
		sent.lc = max(sent.lc, e.LC)
		sent.exit = sent.exit || e.Ev == trace.Exit
		switch e.Ev {
		case trace.Crash:
			sent.crash = true
		case trace.Restart:
			sent.crash, sent.exit = false, false
		}
		c.mergeAdd(e, evs[i].line)
	}
	c.sent[id] = sent
	c.mergeMu.Unlock()
	return evs[:0]
}

// emit is the merger's output: the trace, the run's state, OnEvent. It
// runs under mergeMu.
func (c *Cluster) emit(e *trace.Event, line []byte) {
	if e.Ev == procExited {
		c.settleExit(e.Node, true)
		return
	}
	c.writeTrace(line)
	c.observe(*e)
	c.followFaults(e)
	if e.Ev == trace.Print && c.opts.OnScreen != nil {
		// The screen follows the merged trace, so it shows what happened
		// before first: one node's lines never run into the next one's,
		// however late a pipe is read.
		c.opts.OnScreen(e.Node, e.Text)
	}
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(*e)
	}
}

// leave takes what the merger leaves out to keep the trace consistent.
// It runs under mergeMu.
func (c *Cluster) leave(e *trace.Event) {
	if e.Ev == procExited {
		c.settleExit(e.Node, false)
		return
	}
	if c.cut == nil {
		c.cut = map[string]int{}
	}
	c.cut[e.Node]++
}

// writeTrace appends one line to the trace; the caller holds mergeMu.
func (c *Cluster) writeTrace(line []byte) {
	if c.tw == nil || c.traceErr != nil {
		return
	}
	n, err := c.tw.Write(line)
	c.traceBytes += int64(n)
	if err != nil {
		c.traceFailed(err)
	}
}

// flushTrace writes out what is buffered; the caller holds mergeMu.
func (c *Cluster) flushTrace() {
	if c.tw == nil || c.traceErr != nil || c.tw.Buffered() == 0 {
		return
	}
	if err := c.tw.Flush(); err != nil {
		c.traceFailed(err)
	}
}

// traceFailed ends a run whose trace cannot be written: its verdict
// could not be trusted. The caller holds mergeMu.
func (c *Cluster) traceFailed(err error) {
	c.traceErr = err
	c.mu.Lock()
	c.outcome.TraceErr = err.Error()
	stopping := c.stopping
	c.mu.Unlock()
	if !stopping {
		go c.Stop("stopped")
	}
}

// flushLoop keeps the trace file at most flushEvery behind the run.
func (c *Cluster) flushLoop() {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		c.mergeMu.Lock()
		c.flushTrace()
		c.mergeMu.Unlock()
	}
}

// FlushTrace writes out the trace so far and returns its length in bytes:
// the trace file holds that many bytes of whole lines, header included
// (the REPL reads a live run's trace up to there). The error is the
// trace's write error, if any.
func (c *Cluster) FlushTrace() (int64, error) {
	c.mergeMu.Lock()
	defer c.mergeMu.Unlock()
	c.flushTrace()
	return c.traceBytes, c.traceErr
}

// startTrace sets up the merger and writes the trace's header at once, so
// that a trace that cannot be written stops the launch before any
// process starts.
func (c *Cluster) startTrace() error {
	c.merger = trace.NewMerger(c.emit, c.leave)
	c.sent = map[string]streamSent{}
	for _, id := range c.ids {
		c.watch[id] = &connWatch{}
	}
	if c.opts.Trace == nil {
		return nil
	}
	c.tw = bufio.NewWriterSize(c.opts.Trace, 1<<16)
	meta := c.meta
	meta.Ev = "meta"
	line, err := c.enc.Encode(meta)
	if err == nil {
		c.traceBytes = int64(len(line))
		if _, err = c.tw.Write(line); err == nil {
			err = c.tw.Flush()
		}
	}
	if err != nil {
		return fmt.Errorf("writing the trace: %w", err)
	}
	return nil
}
