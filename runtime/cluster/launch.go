package cluster

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
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

	// Trace receives the run's trace (docs/trace.md): the header, then
	// every event in an order consistent at every prefix (a receive after
	// its send), each line as its node encoded it. It is written through
	// a buffer, flushed at least every tenth of a second and at the end
	// (FlushTrace flushes now). A write error stops the run and is
	// reported in Outcome.TraceErr. Nil: no trace.
	Trace io.Writer
	// OnEvent receives every event written to the trace, in the trace's
	// order, one call at a time. The event's Payload is valid only during
	// the call. The meta header comes from Meta.
	OnEvent func(trace.Event)
	// OnScreen receives each line a critical section prints, in the
	// merged trace's order (what happened before comes first), and any
	// other line a node writes on its stdout.
	OnScreen func(node, line string)
	// OnStderr receives each line a node prints on its stderr.
	OnStderr func(node, line string)
	// StallAfter is how long the system must sit still (every node
	// blocked or finished, no message in flight) before the run is
	// declared stalled; default 1.5 s. Negative: never.
	StallAfter time.Duration
	// OnStall is told when the run has stalled, while every node is still
	// up (Cluster.State and Eval can look inside them): before the run
	// is stopped, or once it is frozen.
	OnStall func(c *Cluster, s *trace.Stall)
	// FreezeOnStall keeps a stalled run's processes, every node paused,
	// instead of stopping it: the REPL inspects it until Stop.
	FreezeOnStall bool
	// HoldLinks starts every node with all its incoming links held (the
	// REPL's `run --hold`): nothing is delivered until a deliver or a
	// release, not even the first message.
	HoldLinks bool
	// Hosts puts each group's nodes on a host of its own (run --netns,
	// runtime/netns); nil: every node on the scenario's host.
	Hosts Hosts
}

// Hosts places a run's groups on hosts of their own: each group's nodes
// listen on its host's address and run there.
type Hosts interface {
	// ListenNode opens a listener for a node of group g on its host.
	ListenNode(g string) (net.Listener, error)
	// ControlHost is the address, reachable from every host, the
	// launcher listens on for its nodes.
	ControlHost() string
	// NodeCommand returns the command that runs bin with args on group
	// g's host, in the same process (the launcher signals its pid).
	NodeCommand(g, bin string, args ...string) *exec.Cmd
	// Shaped says the hosts' links add the scenario's network delay and
	// jitter themselves, so the nodes must not.
	Shaped() bool
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

	wg    sync.WaitGroup // process watchers and pipes
	ctlWG sync.WaitGroup // the control accept loop and connections

	// The trace path (collect.go). mergeMu guards the merger, the trace
	// writer and the encoder; it is taken before mu, never after.
	mergeMu    sync.Mutex
	merger     *trace.Merger
	enc        trace.LineEncoder
	tw         *bufio.Writer
	traceBytes int64
	traceErr   error
	sent       map[string]streamSent // per node: what its stream has brought so far
	cut        map[string]int        // per node: events the merger left out
	watch      map[string]*connWatch // per node: how the reading of its connection goes

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
	waiting   map[int64]chan driver.Result
	refused   transport.Refusals // strangers on the control listener
	connected chan string
	ctlClosed map[string]chan struct{} // closed when a node's control connection ends

	// The fault plan (faults.go, plan.go).
	env         []string                 // the nodes' environment
	origin      int64                    // when the run began, on its clock: timed faults count from it
	horizon     int64                    // when the plan's last timed fault is over, after origin
	faults      faultState               // under mergeMu: follows the merged trace
	restartsDue map[string]int           // under mu: restarts of the plan still to come
	incarn      map[string]int           // under mu: restarts so far
	planCut     map[Link]bool            // under mu: links cut by the plan
	sigstopped  map[string]time.Time     // under mu: processes stopped by a pause of the plan, until when
	downTold    map[string]chan struct{} // under mu: closed once a crashed node's peers know
	// begun is closed once every node has been told to start: a node
	// takes no other command before (it would wait for its driver).
	begun chan struct{}
}

// Start launches every node of the scenario. It returns once all are
// started and connected to the launcher, or an error after killing any
// it started.
func Start(opts Options) (*Cluster, error) {
	s := opts.Scenario
	// Every script compiles, every module is found, and the channels are
	// TCP's, before any process starts (docs/scenario.md).
	if s.Network.Reorder {
		return nil, ReorderError(s)
	}
	dirs := append(append([]string{}, opts.ScriptDirs...), s.Dir)
	scripts, err := node.NewLibrary(dirs...).Preflight(s)
	if err != nil {
		return nil, err
	}
	// Nor unless the machine can hold the run (the REPL's run too).
	if err := Fits(s); err != nil {
		return nil, err
	}
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
		opts: opts, ids: s.NodeIDs(), procs: map[string]*proc{}, watch: map[string]*connWatch{},
		conns: map[string]*ctlConn{}, done: make(chan struct{}),
		state: map[string]*nodeState{}, inflight: map[[2]string]int{}, waiting: map[int64]chan driver.Result{},
		connected: make(chan string, len(s.NodeIDs())),
	}
	c.steer = newSteering()
	c.refused.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "mutexlab: control listener: "+f+"\n", a...) }
	c.faults = newFaultState(s)
	c.horizon = planHorizon(s)
	c.restartsDue, c.incarn, c.planCut, c.sigstopped = map[string]int{}, map[string]int{}, map[Link]bool{}, map[string]time.Time{}
	c.downTold = map[string]chan struct{}{}
	c.begun = make(chan struct{})
	for _, ft := range s.Faults {
		if ft.Kind == scenario.Restart {
			c.restartsDue[ft.Node]++
		}
	}
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
		var ln net.Listener
		if opts.Hosts != nil {
			ln, err = opts.Hosts.ListenNode(groupOf(s, id))
		} else {
			ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		}
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
	ctlHost := "127.0.0.1"
	if opts.Hosts != nil {
		ctlHost = opts.Hosts.ControlHost()
	}
	ctl, err := net.Listen("tcp", net.JoinHostPort(ctlHost, "0"))
	if err != nil {
		return nil, fmt.Errorf("control listener: %w", err)
	}
	c.ctl = ctl
	c.meta = s.Meta(addrs, "tcp", opts.Version)
	c.meta.Scripts = scripts
	c.epoch = time.Now()
	c.lastEvent = c.epoch
	if err := c.startTrace(); err != nil {
		ctl.Close()
		return nil, err
	}

	ns := s
	if opts.Hosts != nil && opts.Hosts.Shaped() {
		// netem delays every packet: the nodes add no delay of their own.
		cp := *s
		cp.Network.Delay, cp.Network.Jitter = 0, 0
		ns = &cp
	}
	scen, err := encodeScenario(ns)
	if err != nil {
		ctl.Close()
		return nil, err
	}
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
	c.env = env
	c.ctlWG.Add(1)
	go c.acceptControl()
	go c.flushLoop()

	c.opts = opts
	for _, id := range c.ids {
		if err := c.spawn(id, env, files[id]); err != nil {
			c.killAll()
			ctl.Close()
			return nil, err
		}
	}
	closeFiles()
	files = nil
	// Wait until every node has dialled back (or died trying). A
	// thousand processes take longer than 15 s to start on two cores: the
	// launch fails only when 15 s pass with none connecting.
	quiet := time.NewTimer(connectQuiet)
	defer quiet.Stop()
	for n := 0; n < len(c.ids); {
		select {
		case <-c.connected:
			n++
			quiet.Reset(connectQuiet)
		case <-c.done:
			return c, nil // a node died at start; the outcome says which
		case <-quiet.C:
			c.Stop("error")
			return nil, fmt.Errorf("nodes did not connect to the launcher: %d of %d had after %s with none for %s", n, len(c.ids), time.Since(c.epoch).Round(time.Second), connectQuiet)
		}
	}
	// Everyone is listening and connected: let them all begin.
	c.mu.Lock()
	conns := make([]*ctlConn, 0, len(c.conns))
	for _, cc := range c.conns {
		conns = append(conns, cc)
	}
	c.mu.Unlock()
	c.origin = c.now()
	for _, cc := range conns {
		c.write(cc, 0, driver.Command{Op: driver.OpStart, Origin: c.origin})
	}
	close(c.begun)
	go c.watchStall()
	if steps := launcherSteps(s); len(steps) > 0 {
		go c.runPlan(steps)
	}
	return c, nil
}

// groupOf is the group of node id.
func groupOf(s *scenario.Scenario, id string) string {
	n, _ := s.Find(id)
	return n.Group
}

// connectQuiet is how long a launch waits for the next node to connect.
const connectQuiet = 15 * time.Second

// ReorderError is the one line for a scenario with network.reorder given
// to a real run: TCP channels are FIFO, reordering is the simulator's.
func ReorderError(s *scenario.Scenario) error {
	return &scenario.Error{File: s.File, Field: "network.reorder",
		Msg: "channels that reorder exist only in the simulator (mutexlab explore); a real run's TCP channels are FIFO"}
}

// Meta returns the trace header of this run.
func (c *Cluster) Meta() trace.Meta { return c.meta }

// Nodes returns the node ids in scenario order.
func (c *Cluster) Nodes() []string { return c.ids }

// PIDs returns each node's process id.
func (c *Cluster) PIDs() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for id, p := range c.procs {
		m[id] = p.cmd.Process.Pid
	}
	return m
}

// Done is closed when the run has ended and every process has exited.
func (c *Cluster) Done() <-chan struct{} { return c.done }

func (c *Cluster) now() int64 { return time.Since(c.epoch).Nanoseconds() }
