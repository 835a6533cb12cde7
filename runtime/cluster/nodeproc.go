package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/luabox"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// NodeOptions configures RunNode.
type NodeOptions struct {
	ID string
	// Scenario and ScriptDirs are used when the node is started by hand;
	// a launched node takes both from its environment.
	Scenario   *scenario.Scenario
	ScriptDirs []string
	// TracePath, by hand, writes this node's own trace there.
	TracePath string
	Stdout    io.Writer // the critical section's lines
	Stderr    io.Writer // errors; by hand also logs
	Version   string
}

// RuntimeError is a failure of the process rather than of a script: a port
// in use, a launcher that went away.
type RuntimeError struct{ Err error }

func (e *RuntimeError) Error() string { return e.Err.Error() }
func (e *RuntimeError) Unwrap() error { return e.Err }

// Launched reports whether this process was started by a launcher.
func Launched() bool { return os.Getenv(envControl) != "" }

// RunNode runs one node until ctx ends (Ctrl-C by hand), the launcher
// stops it or the launcher goes away. A script error is returned as a
// *node.ScriptError, a process failure as a *RuntimeError.
func RunNode(ctx context.Context, opts NodeOptions) error {
	// The process holds one node: the collector keeps its heap under the
	// Lua memory cap while it can, and the guard stops the script when it
	// cannot (luabox.Real).
	debug.SetMemoryLimit(luabox.DefaultMemory + 64<<20)
	nodeRuntime()
	if Launched() {
		return runLaunched(ctx, opts)
	}
	return runByHand(ctx, opts)
}

// nodeRuntime sizes the Go runtime of a node process; it is the one
// place a node's runtime is tuned, and $GOMAXPROCS or $GOGC still wins.
//
// One P: one goroutine drives the node, its reader and writer goroutines
// only hand it messages. With one P a hand-over runs on the same thread
// instead of waking a second one to spin (Lua round trip 77 -> 55 µs,
// README "Performance"); and a run of many node processes on few cores
// spends less CPU and memory on threads and GC workers (26 groups of 16
// on 2 cores: 9.1 s and 4.5 MB a node with a P per core, 3.1 s and 3.0
// MB with one).
//
// GOGC=50: a node's live heap is small (2 to 4 MB) and a run has many of
// them; collecting at 50% growth instead of 100% keeps a busy node's peak
// about 2 MB lower, for a few short collections more (26 groups of 32:
// the nodes' memory 7 to 13% less, as fast).
func nodeRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}

// screenSink prints the critical section's lines and, by hand, the logs.
type screenSink struct {
	mu     sync.Mutex
	out    io.Writer
	errw   io.Writer
	logs   bool
	next   trace.Sink
	prefix string
}

func (s *screenSink) Record(e trace.Event) {
	s.mu.Lock()
	switch e.Ev {
	case trace.Print:
		fmt.Fprintln(s.out, e.Text)
	case trace.Log:
		if s.logs {
			fmt.Fprintf(s.errw, "%s: %s\n", s.prefix, e.Text)
		}
	case trace.Finish:
		if s.logs {
			fmt.Fprintf(s.errw, "%s: finished its rounds; still answering its peers (Ctrl-C to stop)\n", s.prefix)
		}
	}
	s.mu.Unlock()
	if s.next != nil {
		s.next.Record(e)
	}
}

// EnvSecret names the environment variable that gives nodes started by
// hand their shared secret (README, "What mutexlab guarantees").
const EnvSecret = "MUTEXLAB_SECRET"

// handSecret returns the secret of a node started by hand: $MUTEXLAB_SECRET,
// else the scenario's session field. There is no default: a secret
// anyone can guess would admit anyone's CS_GRANT.
func handSecret(s *scenario.Scenario) (string, error) {
	secret := os.Getenv(EnvSecret)
	if secret == "" {
		secret = s.Session
	}
	if len(secret) < scenario.MinSecret || len(secret) > 128 {
		return "", &scenario.Error{Field: EnvSecret, Msg: fmt.Sprintf("nodes started by hand need the same secret of %d to 128 characters in every terminal, e.g. export %s=$(head -c 12 /dev/urandom | base64) (or the scenario's session field)", scenario.MinSecret, EnvSecret)}
	}
	return secret, nil
}

func runByHand(ctx context.Context, opts NodeOptions) error {
	s := opts.Scenario
	secret, err := handSecret(s)
	if err != nil {
		return err
	}
	lib := node.NewLibrary(append(append([]string{}, opts.ScriptDirs...), s.Dir)...)
	cfg, err := node.ConfigFor(s, opts.ID, lib)
	if err != nil {
		return err
	}
	addrs := map[string]string{}
	for _, id := range s.NodeIDs() {
		if addrs[id], err = s.FixedAddress(id); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addrs[opts.ID])
	if err != nil {
		return &RuntimeError{fmt.Errorf("%s: listen on %s: %v", opts.ID, addrs[opts.ID], errors.Unwrap(err))}
	}
	var next trace.Sink
	if opts.TracePath != "" {
		f, err := os.Create(opts.TracePath)
		if err != nil {
			ln.Close()
			return err
		}
		defer f.Close()
		w := trace.NewWriter(f)
		w.WriteMeta(s.Meta(addrs, "tcp", opts.Version))
		next = w
	}
	cfg.PID = os.Getpid()
	tr := transport.NewTCP(transport.TCPConfig{ID: opts.ID, Session: secret, Listener: ln, Addresses: addrs,
		Logf: func(f string, a ...any) { fmt.Fprintf(opts.Stderr, opts.ID+": "+f+"\n", a...) }})
	defer tr.Close()
	fmt.Fprintf(opts.Stderr, "%s: listening on %s; peers are dialled until they are up\n", opts.ID, addrs[opts.ID])
	sink := &screenSink{out: opts.Stdout, errw: opts.Stderr, logs: true, next: next, prefix: opts.ID}
	// By hand every process reads its own wall clock: t is Unix time.
	d := &driver.Driver{Transport: tr, Sink: sink, Epoch: time.Unix(0, 0), Network: s.Network, Speed: s.Speed, Seed: scenario.NodeSeed(s.Seed, opts.ID)}
	// By hand there is no launcher to start, continue or restart anyone,
	// nor a start shared by all: only the links' loss and duplicate apply.
	d.Faults = planFor(s, opts.ID, restartInfo{})
	d.Faults.Own = nil
	if len(s.Faults) > 0 {
		fmt.Fprintf(opts.Stderr, "%s: the scenario's faults are carried out by mutexlab run, not by nodes started by hand; only the network's loss and duplicate apply\n", opts.ID)
	}
	n, err := node.New(cfg, d)
	if err != nil {
		return err
	}
	return d.Run(ctx, n)
}

func runLaunched(ctx context.Context, opts NodeOptions) error {
	fail := func(err error) error { return &RuntimeError{fmt.Errorf("%s: %v", opts.ID, err)} }
	session := os.Getenv(envSession)
	s, err := decodeScenario(os.Getenv(envScenario))
	if err != nil {
		return fail(err)
	}
	addrs, err := decodeAddrs(os.Getenv(envAddrs))
	if err != nil {
		return fail(err)
	}
	epoch, err := parseEpoch(os.Getenv(envEpoch))
	if err != nil {
		return fail(err)
	}
	fd, err := strconv.Atoi(os.Getenv(envListenFD))
	if err != nil {
		return fail(fmt.Errorf("%s: %v", envListenFD, err))
	}
	lf := os.NewFile(uintptr(fd), "listener")
	ln, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return fail(fmt.Errorf("inherited listener: %v", err))
	}
	var dirs []string
	if v := os.Getenv(envScripts); v != "" {
		dirs = strings.Split(v, "\n")
	}
	lib := node.NewLibrary(dirs...)
	cfg, err := node.ConfigFor(s, opts.ID, lib)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	cfg.PID = os.Getpid()
	again, err := restartFromEnv()
	if err != nil {
		ln.Close()
		return fail(err)
	}
	cfg.Incarnation = again.Incarnation

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tr := transport.NewTCP(transport.TCPConfig{ID: opts.ID, Session: session, Listener: ln, Addresses: addrs,
		Logf: func(f string, a ...any) {
			// Once the run stops, peers exit at their own pace: a link
			// that breaks then is no news.
			if ctx.Err() == nil {
				fmt.Fprintf(opts.Stderr, opts.ID+": "+f+"\n", a...)
			}
		}})
	defer tr.Close()
	// Every link the node's role sends on is dialled before the node
	// reports to the launcher, so before the start barrier: the first
	// messages wait for no dial (the listeners are bound already).
	tr.Connect(linkPeers(cfg.Spec))

	conn, err := net.DialTimeout("tcp", os.Getenv(envControl), 5*time.Second)
	if err != nil {
		return fail(fmt.Errorf("dial launcher: %v", err))
	}
	ctl := newControlClient(conn)
	defer ctl.close()

	cmds := make(chan driver.Request)
	begin := make(chan struct{})
	// The launcher shows the critical section's lines from the trace, in
	// happened-before order; the node does not print them itself.
	sink := &screenSink{out: io.Discard, errw: opts.Stderr, next: ctl, prefix: opts.ID}
	var links transport.Transport = tr
	if os.Getenv(envHold) == "1" {
		links = holdAtStart(ctx, tr, cmds)
	}
	d := &driver.Driver{Transport: links, Sink: sink, Epoch: epoch, Network: s.Network, Speed: s.Speed,
		Seed: scenario.NodeSeed(s.Seed, opts.ID), Commands: cmds}
	d.Faults = planFor(s, opts.ID, again)
	d.Faults.Crash = func() {
		// What the node sent leaves, what it recorded reaches the
		// launcher; then it dies as a crash does, with no goodbye.
		tr.Flush(flushBeforeCrash)
		ctl.flush()
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	d.Faults.Pause = func(duration int64) {
		// The launcher continues the process (SIGCONT) after duration.
		ctl.send(encodeFault(opts.ID, faultFrame{Kind: trace.Pause, Duration: duration}))
		ctl.flush()
		stopSelf()
	}
	d.Faults.PeerRestarted = func(peer string, last int64) {
		ctl.send(encodeFault(opts.ID, faultFrame{Kind: trace.Restart, Peer: peer, Seq: last}))
	}
	// The VM is built and the role script and its algorithm compiled
	// before the node reports to the launcher: after the start barrier
	// only the script itself runs, not the start-up of eight processes
	// competing for the cores. (A failure here is the node's to report,
	// from node.New or the require.)
	lib.Compile(cfg.Spec.Role)
	if cfg.Spec.Algorithm != "" {
		lib.Compile(cfg.Spec.Algorithm)
	}
	n, err := node.New(cfg, d)
	ctl.send(wire.NewHello(opts.ID, session))
	if err != nil {
		sink.Record(trace.Event{Ev: trace.Error, Node: opts.ID, Text: err.Error(), T: time.Since(epoch).Nanoseconds()})
		return err
	}
	var origin int64 // set before begin is closed
	go ctl.readCommands(ctx, cancel, cmds, begin, &origin)
	// Wait until every node is up and connected to the launcher.
	select {
	case <-begin:
		d.Faults.Origin = origin
		err = d.Run(ctx, n)
	case <-ctx.Done():
		n.Stop("stopped")
	}
	if c := context.Cause(ctx); err == nil && errors.Is(c, errLauncherGone) {
		return fail(c)
	}
	return err
}

var errLauncherGone = errors.New("the launcher went away")

// linkPeers are the nodes a node's role sends to: its group's other
// members and its heavyweight, or the ring and its lightweights.
func linkPeers(n scenario.Node) []string {
	peers := append(append([]string{}, n.Peers...), n.Children...)
	for _, id := range []string{n.Parent, n.Next} {
		if id != "" {
			peers = append(peers, id)
		}
	}
	return peers
}

// controlClient is the node's end of the control connection. Recording
// an event encodes its trace line once, here, and appends it to a
// buffer; a writer goroutine sends the buffer flushDelay after the first
// line joined it (or at once past flushSize, and for a control frame), so
// the launcher gets events in batches and writes the lines unchanged
// (docs/trace.md). Recording costs no system call and wakes nobody: the
// trace stays off the path of the node's messages. When the launcher
// falls behind by more than maxQueued bytes, Record waits: the node slows
// down rather than the buffer growing without end.
type controlClient struct {
	conn net.Conn
	mu   sync.Mutex
	room *sync.Cond // signalled when the writer takes the buffer
	buf  []byte     // encoded lines and frames not yet written
	enc  trace.LineEncoder
	dead bool // the connection failed: nothing more can be sent
	// writing is true while the writer writes what it took from buf.
	writing bool
	wake    chan struct{} // the buffer has lines: send them within flushDelay
	now     chan struct{} // send the buffer at once
	quit    chan struct{}
	done    chan struct{}
	id      string
}

const (
	// maxQueued is how far a node may run ahead of the launcher.
	maxQueued = 1 << 20
	// writeTimeout ends the node's wait for a launcher that has stopped
	// reading altogether.
	writeTimeout = 10 * time.Second
	// flushDelay is how long a trace line may wait for others to join
	// it; the launcher is that much behind the node at most.
	flushDelay = 2 * time.Millisecond
	// flushSize sends a batch before its time.
	flushSize = 64 << 10
)

func newControlClient(conn net.Conn) *controlClient {
	c := &controlClient{conn: conn, wake: make(chan struct{}, 1), now: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	c.room = sync.NewCond(&c.mu)
	go c.writer()
	return c
}

func (c *controlClient) send(m wire.Message) {
	if m.Type == wire.Hello {
		c.id = m.Sender
	}
	b, err := wire.Encode(m)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.queue(b, true)
	c.mu.Unlock()
}

// queue appends one encoded line, to be sent within flushDelay or, when
// urgent, at once; the caller holds mu.
func (c *controlClient) queue(b []byte, urgent bool) {
	for len(c.buf) > maxQueued && !c.dead {
		c.room.Wait()
	}
	if c.dead {
		return
	}
	first := len(c.buf) == 0
	c.buf = append(c.buf, b...)
	switch {
	case urgent || len(c.buf) >= flushSize:
		signal(c.now)
	case first:
		signal(c.wake)
	}
}

// signal leaves a mark in a channel of one, without waiting.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Record sends a trace event to the launcher: its trace line, encoded
// once. A line too long for the control connection loses its payload and
// most of its text, and says so.
func (c *controlClient) Record(e trace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line, err := c.enc.EncodeEvent(&e)
	if err == nil && len(line) > wire.MaxLine {
		e.Payload = json.RawMessage(`{"truncated":true}`)
		if len(e.Text) > wire.MaxLine/4 {
			e.Text = e.Text[:wire.MaxLine/4] + " [truncated]"
		}
		line, err = c.enc.EncodeEvent(&e)
	}
	if err != nil || len(line) > wire.MaxLine {
		return
	}
	c.queue(line, false)
}

func (c *controlClient) writer() {
	defer close(c.done)
	var out []byte
	delay := time.NewTimer(time.Hour)
	delay.Stop()
	for {
		closing := false
		select {
		case <-c.wake:
			// Let the lines that follow join the batch.
			delay.Reset(flushDelay)
			select {
			case <-delay.C:
			case <-c.now:
				delay.Stop()
			case <-c.quit:
				delay.Stop()
				closing = true
			}
		case <-c.now:
		case <-c.quit:
			closing = true
		}
		for {
			c.mu.Lock()
			out, c.buf = c.buf, out[:0]
			c.writing = len(out) > 0
			c.room.Broadcast()
			c.mu.Unlock()
			if len(out) == 0 {
				break
			}
			c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			_, err := c.conn.Write(out)
			c.mu.Lock()
			c.writing = false
			c.dead = c.dead || err != nil
			c.room.Broadcast()
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
		if closing {
			return
		}
	}
}

// flush returns once everything queued so far is written to the
// connection (or the connection failed).
func (c *controlClient) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	signal(c.now)
	for (len(c.buf) > 0 || c.writing) && !c.dead {
		c.room.Wait()
	}
}

// close sends everything recorded, then closes the connection. It waits
// as long as the launcher keeps reading.
func (c *controlClient) close() {
	close(c.quit)
	<-c.done
	c.conn.Close()
}

// readCommands applies the launcher's commands; the connection closing
// means the launcher is gone, and the node stops.
func (c *controlClient) readCommands(ctx context.Context, stop context.CancelCauseFunc, cmds chan<- driver.Request, begin chan struct{}, origin *int64) {
	r := wire.NewReader(c.conn)
	for {
		m, err := r.Read()
		if err != nil {
			stop(errLauncherGone)
			return
		}
		if m.Type != typeCmd {
			continue
		}
		id, cmd, err := decodeCommand(m)
		if err != nil {
			continue
		}
		switch cmd.Op {
		case driver.OpStart:
			*origin = cmd.Origin
			close(begin)
			continue
		case driver.OpStop:
			reason := cmd.Reason
			if reason == "" {
				reason = "stopped"
			}
			stop(errors.New(reason)) // first: the reply may wait for room behind the events
			c.send(encodeResult(c.id, id, driver.Result{}))
			return
		}
		reply := make(chan driver.Result, 1)
		select {
		case cmds <- driver.Request{Command: cmd, Reply: reply}:
		case <-ctx.Done():
			return
		}
		select {
		case res := <-reply:
			c.send(encodeResult(c.id, id, res))
		case <-ctx.Done():
			return
		}
	}
}
