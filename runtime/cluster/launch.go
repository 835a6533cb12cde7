package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// Options configures a launch.
type Options struct {
	Scenario *scenario.Scenario
	// ScenarioArg is what the user named the scenario by; it only makes
	// the children's command lines readable in ps.
	ScenarioArg string
	// ScriptDirs are searched for scripts before the scenario's folder.
	ScriptDirs []string
	// Binary is the mutexlab executable to start nodes with; default the
	// running one.
	Binary  string
	Version string

	// OnEvent receives every trace event, from one goroutine, in arrival
	// order; the meta header comes from Meta.
	OnEvent func(trace.Event)
	// OnScreen receives each line a node prints on its stdout.
	OnScreen func(node, line string)
	// OnStderr receives each line a node prints on its stderr.
	OnStderr func(node, line string)
	// StallAfter is how long the system must sit still (every node
	// blocked or finished, no message in flight) before the run is
	// declared stalled; default 1.5 s. Negative: never.
	StallAfter time.Duration
	// HoldLinks starts every node with all its incoming links held (the
	// REPL's `run --hold`): nothing is delivered until a deliver or a
	// release, not even the first message.
	HoldLinks bool
}

// Outcome says how a run ended.
type Outcome struct {
	Complete bool   // every node's script finished
	Stalled  bool   // nothing could move any more
	WaitFor  string // for a stall: who waits on what, in one line
	// Stall is the wait-for graph of a stall, its cycle first.
	Stall       *trace.Stall
	Interrupted bool // stopped by the user
	// Failed names the node whose script failed or whose process died.
	Failed string
	// Err is that node's error line ("A1: lamport.lua:12: ...").
	Err string
	// ScriptError is true when Err is a script error (exit status 2).
	ScriptError bool
}

// Cluster is a running system of node processes.
type Cluster struct {
	opts    Options
	meta    trace.Meta
	session string
	epoch   time.Time
	ids     []string
	procs   map[string]*proc
	ctl     net.Listener

	events chan trace.Event
	wg     sync.WaitGroup // process watchers and pipes
	ctlWG  sync.WaitGroup // the control accept loop and connections
	evDone chan struct{}

	mu        sync.Mutex
	conns     map[string]*ctlConn
	outcome   Outcome
	stopping  bool
	done      chan struct{}
	state     map[string]*nodeState
	inflight  map[[2]string]int
	finished  int
	lastEvent time.Time
	nevents   int64
	steer     steering   // what is held, cut, paused, killed (steer.go)
	steerMu   sync.Mutex // one steering command at a time, in the order recorded
	cmdSeq    int64
	waiting   map[int64]chan node.Result
	refused   transport.Refusals // strangers on the control listener
	connected chan string
	ctlClosed map[string]chan struct{} // closed when a node's control connection ends
}

// procExited is an internal marker passed through the event stream so
// that a process's end is handled after the events it sent.
const procExited = "process_exited"

type proc struct {
	id      string
	cmd     *exec.Cmd
	exited  chan struct{}
	status  error
	lastErr string
	killed  bool // by Kill: the run goes on without it
}

type nodeState struct {
	lc       int64
	blocked  *trace.Wait // what it waits for, nil when not blocked
	finished bool
	dead     bool
	exitSeen bool
}

type ctlConn struct {
	mu   sync.Mutex
	conn net.Conn
}

// Start launches every node of the scenario. It returns once all are
// started and connected to the launcher, or an error after killing any
// it started.
func Start(opts Options) (*Cluster, error) {
	s := opts.Scenario
	if opts.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.Binary = exe
	}
	if opts.StallAfter == 0 {
		opts.StallAfter = 1500 * time.Millisecond
	}
	c := &Cluster{
		opts: opts, ids: s.NodeIDs(), procs: map[string]*proc{}, events: make(chan trace.Event, 4096),
		evDone: make(chan struct{}), conns: map[string]*ctlConn{}, done: make(chan struct{}),
		state: map[string]*nodeState{}, inflight: map[[2]string]int{}, waiting: map[int64]chan node.Result{},
		connected: make(chan string, len(s.NodeIDs())),
	}
	c.steer = newSteering()
	c.refused.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "mutexlab: control listener: "+f+"\n", a...) }
	if opts.HoldLinks {
		for _, l := range c.Links() {
			c.steer.held[l] = true
		}
	}
	c.ctlClosed = map[string]chan struct{}{}
	for _, id := range c.ids {
		c.state[id] = &nodeState{}
		c.ctlClosed[id] = make(chan struct{})
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	c.session = hex.EncodeToString(secret)

	// Bind every node's port here and hand the sockets to the children:
	// the addresses are known before anyone starts, and no port can be
	// taken in between.
	host := s.ListenHost()
	addrs := map[string]string{}
	files := map[string]*os.File{}
	closeFiles := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, id := range c.ids {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			closeFiles()
			return nil, fmt.Errorf("listen for %s on %s: %w", id, host, err)
		}
		f, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			closeFiles()
			return nil, err
		}
		addrs[id] = ln.Addr().String()
		files[id] = f
	}
	defer closeFiles()
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control listener: %w", err)
	}
	c.ctl = ctl
	c.meta = s.Meta(addrs, "tcp", opts.Version)
	c.epoch = time.Now()
	c.lastEvent = c.epoch

	scen, err := encodeScenario(s)
	if err != nil {
		ctl.Close()
		return nil, err
	}
	dirs := append(append([]string{}, opts.ScriptDirs...), s.Dir)
	var keep []string
	for _, d := range dirs {
		if d != "" {
			// "embedded:exercises/X" is a folder of the embedded examples
			// (node.NewLibrary), not a path to make absolute.
			if !strings.HasPrefix(d, "embedded:") {
				if abs, err := filepath.Abs(d); err == nil {
					d = abs
				}
			}
			keep = append(keep, d)
		}
	}
	env := append(os.Environ(),
		envControl+"="+ctl.Addr().String(),
		envSession+"="+c.session,
		envEpoch+"="+strconv.FormatInt(c.epoch.UnixNano(), 10),
		envAddrs+"="+encodeAddrs(addrs, c.ids),
		envListenFD+"=3",
		envScenario+"="+scen,
		envScripts+"="+strings.Join(keep, "\n"),
	)
	if opts.HoldLinks {
		env = append(env, envHold+"=1")
	}
	c.ctlWG.Add(1)
	go c.acceptControl()
	go c.consume()

	arg := opts.ScenarioArg
	if arg == "" {
		arg = s.Name
	}
	for _, id := range c.ids {
		cmd := exec.Command(opts.Binary, "node", "--id", id, arg)
		cmd.Env = env
		cmd.ExtraFiles = []*os.File{files[id]}
		cmd.SysProcAttr = childAttr()
		stdout, _ := cmd.StdoutPipe()
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			c.killAll()
			ctl.Close()
			return nil, fmt.Errorf("start %s: %w", id, err)
		}
		p := &proc{id: id, cmd: cmd, exited: make(chan struct{})}
		c.procs[id] = p
		c.wg.Add(2)
		var pipes sync.WaitGroup
		pipes.Add(2)
		go func() { defer c.wg.Done(); defer pipes.Done(); c.relay(id, stdout, opts.OnScreen, nil) }()
		go func() { defer c.wg.Done(); defer pipes.Done(); c.relay(id, stderr, opts.OnStderr, p) }()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			pipes.Wait() // Wait closes the pipes: read them to the end first
			p.status = cmd.Wait()
			close(p.exited)
			c.exited(p)
		}()
	}
	closeFiles()
	files = nil
	// Wait until every node has dialled back (or died trying).
	timeout := time.After(15 * time.Second)
	for n := 0; n < len(c.ids); {
		select {
		case <-c.connected:
			n++
		case <-c.done:
			return c, nil // a node died at start; the outcome says which
		case <-timeout:
			c.Stop("error")
			return nil, errors.New("nodes did not connect to the launcher within 15 s")
		}
	}
	// Everyone is listening and connected: let them all begin.
	c.mu.Lock()
	conns := make([]*ctlConn, 0, len(c.conns))
	for _, cc := range c.conns {
		conns = append(conns, cc)
	}
	c.mu.Unlock()
	for _, cc := range conns {
		c.write(cc, 0, node.Command{Op: node.OpStart})
	}
	go c.watchStall()
	return c, nil
}

// Meta returns the trace header of this run.
func (c *Cluster) Meta() trace.Meta { return c.meta }

// Nodes returns the node ids in scenario order.
func (c *Cluster) Nodes() []string { return c.ids }

// PIDs returns each node's process id.
func (c *Cluster) PIDs() map[string]int {
	m := map[string]int{}
	for id, p := range c.procs {
		m[id] = p.cmd.Process.Pid
	}
	return m
}

// Done is closed when the run has ended and every process has exited.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Outcome says how the run ended; valid once Done is closed.
func (c *Cluster) Outcome() Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcome
}

func (c *Cluster) now() int64 { return time.Since(c.epoch).Nanoseconds() }

func (c *Cluster) relay(id string, r io.Reader, fn func(string, string), p *proc) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if p != nil && strings.TrimSpace(line) != "" {
			c.mu.Lock()
			p.lastErr = line
			c.mu.Unlock()
		}
		if fn != nil {
			fn(id, line)
		}
	}
}

// acceptControl serves the nodes' control connections. Strangers are
// bounded as on a node's listener (transport.TCP): at most
// transport.MaxStrangers wait for their HELLO at once, refusals are
// summed up in a few lines, and a failed accept is retried.
func (c *Cluster) acceptControl() {
	defer c.ctlWG.Done()
	defer c.refused.Flush()
	sem := make(chan struct{}, transport.MaxStrangers)
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
	r := wire.NewReader(small)
	id, err := wire.CheckHello(first, c.session, func(id string) bool { _, ok := c.state[id]; return ok })
	if err != nil {
		c.refused.Note(conn.RemoteAddr().String(), "refused HELLO", err.Error())
		return
	}
	conn.SetReadDeadline(time.Time{})
	c.mu.Lock()
	if _, dup := c.conns[id]; dup {
		c.mu.Unlock()
		return
	}
	cc := &ctlConn{conn: conn}
	c.conns[id] = cc
	defer close(c.ctlClosed[id])
	late := c.stopping
	c.mu.Unlock()
	if late {
		c.write(cc, 0, node.Command{Op: node.OpStop, Reason: "stopped"})
	}
	c.connected <- id
	for {
		m, err := r.Read()
		if err != nil {
			return
		}
		if m.Sender != id {
			fmt.Fprintf(os.Stderr, "mutexlab: control connection of %s claims sender %s; closed\n", id, m.Sender)
			return
		}
		switch m.Type {
		case typeEvent:
			var e trace.Event
			if err := json.Unmarshal(m.Payload, &e); err != nil {
				continue
			}
			e.Node = id
			c.events <- e
		case typeResult:
			seq, res, err := decodeResult(m)
			if err != nil {
				continue
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
}

// consume hands events to OnEvent one at a time and tracks the run.
func (c *Cluster) consume() {
	defer close(c.evDone)
	for e := range c.events {
		if e.Ev == procExited {
			e = c.processExited(e)
			if e.Ev == "" {
				continue
			}
		}
		c.observe(e)
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(e)
		}
	}
}

// observe keeps what end-of-run and stall detection need.
func (c *Cluster) observe(e trace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nevents++
	c.lastEvent = time.Now()
	st := c.state[e.Node]
	if st == nil {
		return
	}
	switch e.Ev {
	case trace.Send:
		c.inflight[[2]string{e.Node, e.To}]++
	case trace.Recv, trace.Drop:
		c.inflight[[2]string{e.From, e.Node}]--
	case trace.Block:
		st.blocked = trace.WaitOf(&e)
	case trace.Unblock:
		st.blocked = nil
	case trace.Finish:
		st.finished = true
		c.finished++
	case trace.Error:
		if c.outcome.Failed == "" && !c.stopping {
			c.outcome.Failed = e.Node
			c.outcome.Err = e.Node + ": " + e.Text
			c.outcome.ScriptError = true
			go c.Stop("stopped")
		}
	case trace.Exit:
		st.exitSeen = true
		st.dead = true
	}
	if e.LC > st.lc {
		st.lc = e.LC
	}
	// The run is complete when every script has finished and the last
	// messages (a token passed back to a finished heavyweight) are in.
	if c.finished == len(c.ids) && !c.stopping && c.quiet() {
		c.outcome.Complete = true
		go c.Stop("stopped")
	}
}

// quiet reports whether no message is in flight.
func (c *Cluster) quiet() bool {
	for _, n := range c.inflight {
		if n > 0 {
			return false
		}
	}
	return true
}

// stalled returns the wait-for graph when no node can move, or nil.
func (c *Cluster) stalled() *trace.Stall {
	if c.steer.active() || c.stopping || c.finished == len(c.ids) || !c.quiet() {
		return nil
	}
	var blocked []trace.Blocked
	for _, id := range c.ids {
		st := c.state[id]
		switch {
		case st.dead, st.finished:
		case st.blocked != nil:
			blocked = append(blocked, trace.Blocked{Node: id, Wait: st.blocked})
		default:
			return nil // running, sleeping or in the critical section
		}
	}
	if len(blocked) == 0 {
		return nil
	}
	s := trace.Analyze(blocked, c.goneLocked())
	return &s
}

// goneLocked names the nodes that died (not those the run stopped).
func (c *Cluster) goneLocked() map[string]string {
	gone := map[string]string{}
	for id, st := range c.state {
		if st.dead {
			why := "exited"
			if p := c.procs[id]; p != nil && p.killed {
				why = "killed"
			}
			gone[id] = why
		}
	}
	return gone
}

// watchStall ends a run in which nothing can move any more.
func (c *Cluster) watchStall() {
	if c.opts.StallAfter < 0 {
		return
	}
	tick := time.NewTicker(c.opts.StallAfter / 5)
	defer tick.Stop()
	var since time.Time
	var seen int64
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		w := c.stalled()
		n := c.nevents
		c.mu.Unlock()
		switch {
		case w == nil || n != seen:
			since, seen = time.Time{}, n
			if w != nil {
				since = time.Now()
			}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= c.opts.StallAfter:
			c.mu.Lock()
			if !c.stopping {
				c.outcome.Stalled = true
				c.outcome.Stall = w
				c.outcome.WaitFor = w.String()
			}
			c.mu.Unlock()
			c.Stop("stalled")
			return
		}
	}
}

// exited is called when a node's process has ended. The node's own last
// events (its error, its exit) may still be on their way: wait for its
// control connection to close, then pass the news through the event
// stream behind them.
func (c *Cluster) exited(p *proc) {
	select {
	case <-c.ctlClosed[p.id]:
	case <-time.After(time.Second):
	}
	c.events <- trace.Event{Ev: procExited, Node: p.id, Text: describeExit(p.status)}
}

// processExited settles a process's end on the consumer goroutine. It
// returns the exit event to record on the node's behalf when the node
// could not record one itself, or an empty event.
func (c *Cluster) processExited(e trace.Event) trace.Event {
	c.mu.Lock()
	p := c.procs[e.Node]
	st := c.state[e.Node]
	stopping := c.stopping
	st.dead = true
	// A node killed on purpose (Kill) is not a failure: the others go on
	// without it until Stop, or until the last process is gone.
	endRun := !p.killed || c.allExited()
	if !stopping && !p.killed && c.outcome.Failed == "" {
		c.outcome.Failed = p.id
		// A process killed by a signal is reported as killed, whatever
		// it printed last (a stranger's refusal, say).
		msg := p.lastErr
		if msg == "" || signaled(p.status) {
			msg = e.Text
		}
		if !strings.HasPrefix(msg, p.id+":") {
			msg = p.id + ": " + msg
		}
		c.outcome.Err = msg
		if ee, ok := p.status.(*exec.ExitError); ok && ee.ExitCode() == 2 {
			c.outcome.ScriptError = true
		}
	}
	seen := st.exitSeen
	lc := st.lc
	c.mu.Unlock()
	if !stopping && endRun {
		go c.Stop("stopped")
	}
	if seen {
		return trace.Event{}
	}
	return trace.Event{Ev: trace.Exit, T: c.now(), Node: e.Node, LC: lc, Text: e.Text}
}

// allExited reports whether every process has exited.
func (c *Cluster) allExited() bool {
	for _, p := range c.procs {
		select {
		case <-p.exited:
		default:
			return false
		}
	}
	return true
}

// signaled reports whether a process ended by a signal.
func signaled(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled()
	}
	return false
}

func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ws.Signal() == syscall.SIGKILL {
				return "killed"
			}
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exited"
}

// Stop asks every node to stop (recording reason in its exit event),
// waits for the processes, kills any that do not exit within three
// seconds, and returns when the run is over. Safe to call more than once.
func (c *Cluster) Stop(reason string) {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.stopping = true
	if reason == "interrupted" {
		c.outcome.Interrupted = true
	}
	conns := map[string]*ctlConn{}
	for id, cc := range c.conns {
		conns[id] = cc
	}
	c.mu.Unlock()
	for _, cc := range conns {
		c.write(cc, 0, node.Command{Op: node.OpStop, Reason: reason})
	}
	deadline := time.After(3 * time.Second)
	for _, p := range c.procs {
		select {
		case <-p.exited:
		case <-deadline:
			c.killAll()
		}
	}
	for _, p := range c.procs {
		<-p.exited
	}
	c.ctl.Close()
	c.mu.Lock()
	for _, cc := range c.conns {
		// The processes are gone; what they sent has been read or is
		// buffered. A deadline ends readers that wait for more.
		cc.conn.SetReadDeadline(time.Now().Add(time.Second))
	}
	c.mu.Unlock()
	c.ctlWG.Wait()
	c.wg.Wait()
	close(c.events)
	<-c.evDone
	c.mu.Lock()
	for _, ch := range c.waiting {
		close(ch)
	}
	c.waiting = map[int64]chan node.Result{}
	c.mu.Unlock()
	close(c.done)
}

func (c *Cluster) killAll() {
	for _, p := range c.procs {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
		}
	}
}

// Kill sends SIGKILL to one node, as a crash would. The run goes on
// without it (the others wait on it; the stall detector stays off) until
// Stop, or until every process is gone.
func (c *Cluster) Kill(id string) error {
	p, ok := c.procs[id]
	if !ok {
		return fmt.Errorf("no node %q", id)
	}
	select {
	case <-p.exited:
		return fmt.Errorf("%s has already exited", id)
	default:
	}
	c.mu.Lock()
	c.steer.killed[id] = true // the others will wait on it: no stall verdict
	p.killed = true
	c.mu.Unlock()
	return p.cmd.Process.Kill()
}

// Waits returns who waits on what now (for the REPL): the wait-for graph
// of the blocked nodes, its cycle first.
func (c *Cluster) Waits() trace.Stall {
	c.mu.Lock()
	defer c.mu.Unlock()
	var blocked []trace.Blocked
	for _, id := range c.ids {
		st := c.state[id]
		if !st.dead && !st.finished && st.blocked != nil {
			blocked = append(blocked, trace.Blocked{Node: id, Wait: st.blocked})
		}
	}
	return trace.Analyze(blocked, c.goneLocked())
}

// write sends command seq to a node.
func (c *Cluster) write(cc *ctlConn, seq int64, cmd node.Command) error {
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
func (c *Cluster) command(ctx context.Context, id string, cmd node.Command) (node.Result, error) {
	c.mu.Lock()
	cc := c.conns[id]
	st := c.state[id]
	if cc == nil || st == nil {
		c.mu.Unlock()
		return node.Result{}, fmt.Errorf("no node %q", id)
	}
	if st.dead {
		c.mu.Unlock()
		return node.Result{}, fmt.Errorf("%s is not running", id)
	}
	c.cmdSeq++
	seq := c.cmdSeq
	ch := make(chan node.Result, 1)
	c.waiting[seq] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.waiting, seq)
		c.mu.Unlock()
	}
	if err := c.write(cc, seq, cmd); err != nil {
		forget()
		return node.Result{}, fmt.Errorf("%s: %v", id, err)
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	select {
	case res, ok := <-ch:
		if !ok {
			return node.Result{}, fmt.Errorf("%s stopped", id)
		}
		if res.Err != "" {
			return res, fmt.Errorf("%s: %s", id, res.Err)
		}
		return res, nil
	case <-ctx.Done():
		forget()
		return node.Result{}, ctx.Err()
	case <-timeout.C:
		forget()
		return node.Result{}, fmt.Errorf("%s did not answer within 5 s (is it paused in a long handler?)", id)
	}
}
