// Package node runs one process of the system: a Lua VM owned by one
// goroutine, the role script as its main coroutine, and the `node` Lua
// module (docs/lua-api.md).
//
// A Node is a state machine driven from outside, so the very same code
// runs over TCP with real time (runtime/driver) and inside the
// deterministic simulator with virtual time: the driver calls Start once,
// then Deliver for each message that arrives and Fire for each timer that
// falls due, all from one goroutine. Everything the node needs from the
// outside world goes through Host. Each call runs Lua until the main
// coroutine blocks again (receive, wait_until, sleep, critical_section)
// or ends, and handlers run to completion inside the call.
package node

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"mutexlab/runtime/clock"
	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// Host is the node's outside world.
type Host interface {
	// Now is the run's shared clock in nanoseconds (virtual in the
	// simulator).
	Now() int64
	// Send hands a stamped message to the transport.
	Send(to string, m wire.Message) error
	// SetTimer asks the driver to call Fire(id) once Now() >= at.
	SetTimer(at int64, id uint64)
	// Record receives every trace event of the node, print events
	// (the critical section's screen lines) included.
	Record(e trace.Event)
}

// Config describes the node to run.
type Config struct {
	Spec    scenario.Node // id, role, parent, peers, children, next, algorithm
	Nodes   []string      // every node of the run
	Ring    []string      // the heavyweights in ring order
	Script  string        // role script module; default: the role's name
	CS      scenario.CS
	Rounds  int     // 0: forever
	Speed   float64 // divides every sleep and interval; > 0 (scenario.Nanos)
	Library *Library
	PID     int // recorded in the start event
	// Seed seeds the node's math.random, so a simulated run repeats
	// exactly; ConfigFor derives it from the scenario's seed and the
	// node's id (scenario.NodeSeed).
	Seed int64
	// Incarnation is 0, or k for the node restarted for the k-th time
	// (a fault plan's restart): its sends on each channel are numbered
	// from trace.SeqBase(k)+1, so they never take an earlier
	// incarnation's seq (docs/trace.md, Faults).
	Incarnation int
	// Budget bounds every call into the node's Lua: a handler, a
	// wait_until condition or reason function, a stretch of the main
	// script between two blocking calls, an inspect expression. Zero:
	// luabox.Real (instructions and one second of wall-clock time); the
	// simulator sets luabox.Counted (instructions only).
	Budget luabox.Budget
}

// hint follows what a stretch exceeded in its error (docs/lua-api.md,
// Errors).
const hint = " without blocking (an endless loop? wait with node.wait_until)"

// ErrStopped is returned for calls on a node that has ended.
var ErrStopped = errors.New("node stopped")

// ScriptError is a Lua error that stopped the node: "file:line: message".
type ScriptError struct {
	Node string
	Msg  string
}

func (e *ScriptError) Error() string { return e.Msg }

type waitKind int

const (
	notStarted waitKind = iota
	running
	waitRecv
	waitUntil
	waitSleep
	waitCS
	finished
	failed
)

// wait is what the main coroutine is blocked on.
type wait struct {
	kind    waitKind
	typ     string         // receive: the type, "" for any
	from    []string       // receive: the senders, nil for anyone
	cond    *lua.LFunction // wait_until
	reason  lua.LValue     // wait_until: nil, a string, a table or a function
	on      *trace.Wait    // what the last block event said
	timer   uint64         // sleep and critical_section
	printed int            // critical_section
}

// Node is one process's Lua runtime.
type Node struct {
	cfg   Config
	host  Host
	id    string
	known map[string]bool

	vm
	main *lua.LFunction

	clock    clock.LamportClock
	handlers map[string]*lua.LFunction
	mailbox  []wire.Message
	sendSeq  map[string]int64
	recvSeq  map[string]int64
	modules  map[string]lua.LValue
	algo     lua.LValue // the algorithm module, searched by Eval

	w         wait
	round     int
	csEntries int
	timerSeq  uint64
	err       error
	stopped   bool

	inHandler bool
	logs      logBudget
}

// vm is what a Node keeps of its Lua VM from one run to the next
// (Renew): the state, set up once, and what restores it.
type vm struct {
	L        *lua.LState
	co       *lua.LState // the main coroutine, made anew for each run
	api      *lua.LTable
	guard    *luabox.Guard // every call into Lua goes through it
	proto    *lua.FunctionProto
	rng      *rand.PCG        // math.random's source
	pristine *luabox.Pristine // nil: the VM cannot be reused
	waits    waitCache
	csLine   string // the critical section's line
}

// New builds the node's VM; nothing runs until Start.
func New(cfg Config, host Host) (*Node, error) {
	if cfg.Library == nil {
		return nil, errors.New("node: no script library")
	}
	if !(cfg.Speed > 0) {
		return nil, fmt.Errorf("node: speed %v: expected a number > 0", cfg.Speed)
	}
	if cfg.Budget == (luabox.Budget{}) {
		cfg.Budget = luabox.Real
	}
	if cfg.Script == "" {
		cfg.Script = cfg.Spec.Role
	}
	n := &Node{}
	n.init(cfg, host)
	n.L = luabox.New()
	n.rng = n.seedRandom(cfg.Seed)
	// The coroutine and the state share one guard: the thread is made
	// before the guard is set, so that it gets no context of its own.
	n.co, _ = n.L.NewThread()
	n.guard = luabox.NewGuard(cfg.Budget, hint)
	n.guard.Watch(n.L)
	n.guard.Watch(n.co)
	n.guard.SetRoots(n.roots)
	n.api = n.module()
	n.L.SetGlobal("node", n.api)
	n.L.SetGlobal("require", n.L.NewFunction(n.luaRequire))
	n.L.SetGlobal("print", n.L.NewFunction(n.luaLog))
	proto, _, err := cfg.Library.Compile(cfg.Script)
	if err != nil {
		n.guard.Stop()
		n.L.Close()
		return nil, &ScriptError{Node: n.id, Msg: err.Error()}
	}
	n.proto = proto
	luabox.SortKeys(n.L)
	n.pristine = luabox.Snapshot(n.L)
	n.main = n.L.NewFunctionFromProto(proto)
	return n, nil
}

// init sets the node's state outside its VM as a new node has it, and
// keeps the VM.
func (n *Node) init(cfg Config, host Host) {
	known, handlers, sendSeq, recvSeq, modules := n.known, n.handlers, n.sendSeq, n.recvSeq, n.modules
	if known == nil || !slices.Equal(cfg.Nodes, n.cfg.Nodes) {
		known = map[string]bool{}
		for _, id := range cfg.Nodes {
			known[id] = true
		}
	}
	*n = Node{vm: n.vm, cfg: cfg, host: host, id: cfg.Spec.ID, known: known,
		handlers: cleared(handlers), sendSeq: cleared(sendSeq), recvSeq: cleared(recvSeq),
		modules: cleared(modules), logs: logBudget{last: -1}}
}

// cleared empties m, or makes it.
func cleared[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	clear(m)
	return m
}

// Renew readies a node that Park stopped to run its script again from
// the start, with seed for its math.random, as New would with Config.Seed
// = seed: the VM's tables are put back as they were when it was set up
// (luabox.Pristine), the main coroutine is made anew, the guard counts
// from zero and everything outside the VM is reset, so the script cannot
// tell it from a new node (docs/architecture.md, "Lua VMs reused"). It
// reports false when the VM cannot be reused: the node failed or was
// stopped by Stop, or this gopher-lua's tables cannot be restored; make
// a new node then.
func (n *Node) Renew(seed int64) bool {
	if !n.stopped || n.err != nil || n.pristine == nil || !luabox.Idle(n.L) {
		return false
	}
	cfg := n.cfg
	cfg.Seed = seed
	n.init(cfg, n.host)
	n.pristine.Restore()
	// The main coroutine of a script that ran to its end is rewound;
	// one stopped half way is replaced. A new thread of a state with a
	// context gets a context of its own, made from the guard's (which
	// counts a step when asked): the thread is made without it, and the
	// guard then watches both afresh.
	if !luabox.Rewind(n.co, n.L.Env) {
		ctx := n.L.RemoveContext()
		old := n.co
		n.co, _ = n.L.NewThread()
		n.L.SetContext(ctx)
		old.Close()
	}
	n.guard.Reset(n.L, n.co)
	n.rng.Seed(uint64(seed), randomStream)
	n.main = n.L.NewFunctionFromProto(n.proto)
	return true
}

// roots are the Lua values only Go holds, for the memory estimate.
func (n *Node) roots() []lua.LValue {
	var out []lua.LValue
	for _, v := range n.modules {
		out = append(out, v)
	}
	for _, fn := range n.handlers {
		out = append(out, fn)
	}
	if n.w.cond != nil {
		out = append(out, n.w.cond)
	}
	if n.w.reason != nil {
		out = append(out, n.w.reason)
	}
	return out
}

// ID returns the node's id.
func (n *Node) ID() string { return n.id }

// Nodes returns every node of the run.
func (n *Node) Nodes() []string { return n.cfg.Nodes }

// Knows reports whether id is another node of the run.
func (n *Node) Knows(id string) bool { return id != n.id && n.known[id] }

// Err returns the error that stopped the node, if any.
func (n *Node) Err() error { return n.err }

// Finished reports whether the main script has returned.
func (n *Node) Finished() bool { return n.w.kind == finished }

// Clock returns the node's current Lamport time.
func (n *Node) Clock() int64 { return n.clock.Now() }

func (n *Node) rec(e trace.Event) {
	e.T = n.host.Now()
	e.Node = n.id
	if e.LC == 0 {
		e.LC = n.clock.Now()
	}
	n.host.Record(e)
}

// Start records the start event and runs the role script until it first
// blocks.
func (n *Node) Start() error {
	if n.w.kind != notStarted {
		return errors.New("node already started")
	}
	n.rec(trace.Event{Ev: trace.Start, PID: n.cfg.PID})
	n.resume()
	return n.err
}

// Deliver hands the node a message that arrived: the clock passes
// Recv(ts), the receive is recorded, and the message goes to its handler
// or to the mailbox. Then the main script runs if it was waiting for it.
func (n *Node) Deliver(m wire.Message) error {
	if n.stopped {
		return ErrStopped
	}
	n.recvSeq[m.Sender]++
	lc := n.clock.Recv(m.TS)
	n.rec(trace.Event{Ev: trace.Recv, LC: lc, From: m.Sender, Type: m.Type, TS: m.TS, Seq: n.recvSeq[m.Sender]})
	return n.handle(m)
}

// handle runs m's handler or puts it in the mailbox, then the main script
// if it was waiting for it.
func (n *Node) handle(m wire.Message) error {
	if n.err != nil {
		return n.err
	}
	if h, ok := n.handlers[m.Type]; ok {
		if err := n.call(h, n.msgTable(m)); err != nil {
			return n.fail(err)
		}
	} else {
		n.mailbox = append(n.mailbox, m)
	}
	return n.pump()
}

// Drop records that a message to this node was lost on its link by the
// REPL's steering (reason "steered"), so the channel's numbering stays
// in step with the sender's.
func (n *Node) Drop(m wire.Message) { n.DropBecause(m, trace.ReasonSteered) }

// DropBecause records that a message to this node was lost on its link,
// and why (trace.ReasonLoss, ReasonCut, ...), so the channel's numbering
// stays in step with the sender's.
func (n *Node) DropBecause(m wire.Message, reason string) {
	if n.stopped {
		return
	}
	n.recvSeq[m.Sender]++
	n.rec(trace.Event{Ev: trace.Drop, From: m.Sender, Type: m.Type, TS: m.TS, Seq: n.recvSeq[m.Sender], Reason: reason})
}

// DeliverDup hands the node the network's duplicate of the message from
// m.Sender it was last delivered (or dropped): the recv is recorded with
// Dup and that message's seq, and the message is handled again like any
// other. The channel's numbering does not move.
func (n *Node) DeliverDup(m wire.Message) error {
	if n.stopped {
		return ErrStopped
	}
	lc := n.clock.Recv(m.TS)
	n.rec(trace.Event{Ev: trace.Recv, LC: lc, From: m.Sender, Type: m.Type, TS: m.TS, Seq: n.recvSeq[m.Sender], Dup: true})
	return n.handle(m)
}

// Renumber says that the last message from `from` the channel numbered
// was seq last: the next delivered or dropped is last+1. Its driver calls
// it when a fault moves the numbering: a peer restarted (its sends start
// from trace.SeqBase(k)+1), or this node did (its peers' numbering went
// on without it).
func (n *Node) Renumber(from string, last int64) { n.recvSeq[from] = last }

// Received returns the seq of the last message from `from` delivered or
// dropped (0 for none).
func (n *Node) Received(from string) int64 { return n.recvSeq[from] }

// Fire is called by the driver when timer id falls due.
func (n *Node) Fire(id uint64) error {
	if n.stopped {
		return ErrStopped
	}
	if n.err != nil {
		return n.err
	}
	switch {
	case n.w.kind == waitSleep && n.w.timer == id:
		n.resume()
	case n.w.kind == waitUntil:
		// A timer is an event too: conditions may read node.clock or
		// state changed elsewhere.
		return n.pump()
	case n.w.kind == waitCS && n.w.timer == id:
		if n.w.printed < n.cfg.CS.Prints {
			n.csPrint()
		} else {
			n.rec(trace.Event{Ev: trace.CSExit, Round: n.round})
			n.resume()
		}
	default:
		return nil // a stale timer
	}
	return n.err
}

// Stop records the exit event with reason and releases the VM.
func (n *Node) Stop(reason string) {
	if n.stopped {
		return
	}
	n.Park(reason)
	n.pristine = nil
	n.L.Close()
}

// Park records the exit event with reason, as Stop does, and keeps the
// VM, so that Renew can run the node again (the simulator's next
// schedule).
func (n *Node) Park(reason string) {
	if n.stopped {
		return
	}
	n.rec(trace.Event{Ev: trace.Exit, Text: reason})
	n.stopped = true
	n.guard.Stop()
}

// Kill ends the node as a crash does: nothing is recorded, and its Lua
// state is closed (Renew refuses it). Call it between calls, never from
// inside one.
func (n *Node) Kill() {
	if n.stopped {
		return
	}
	n.stopped = true
	n.guard.Stop()
	n.pristine = nil
	n.L.Close()
}

// Killed reports whether the node has ended (Stop or Kill).
func (n *Node) Killed() bool { return n.stopped }

// pump re-tests what the main coroutine waits for after an event, and
// lets it go on when it is there. A blocking call tests its own condition
// before it yields, so one test per event is enough.
func (n *Node) pump() error {
	if n.err != nil {
		return n.err
	}
	switch n.w.kind {
	case waitRecv:
		i := n.match(n.w.typ, n.w.from)
		if i < 0 {
			return nil
		}
		m := n.take(i)
		n.rec(trace.Event{Ev: trace.Unblock})
		n.resume(n.msgTable(m))
	case waitUntil:
		ok, err := n.test(n.w.cond)
		if err != nil {
			return n.fail(err)
		}
		if !ok {
			if err := n.reblock(); err != nil {
				return n.fail(err)
			}
			return nil
		}
		n.rec(trace.Event{Ev: trace.Unblock})
		n.resume()
	}
	return n.err
}

// resume runs the main coroutine until it blocks or ends.
func (n *Node) resume(args ...lua.LValue) {
	n.w = wait{kind: running}
	st, err := n.guard.Resume(n.L, n.co, n.main, args...)
	switch {
	case err != nil:
		n.fail(err)
	case st == lua.ResumeOK:
		n.w = wait{kind: finished}
		n.rec(trace.Event{Ev: trace.Finish})
	}
}

// protect calls fn(args...) in L as a handler does: under the guard
// (within the running stretch, if any), where blocking is an error. Its
// nret results are left on L's stack.
func (n *Node) protect(L *lua.LState, fn *lua.LFunction, nret int, args ...lua.LValue) error {
	was := n.inHandler
	n.inHandler = true
	err := n.guard.Call(L, fn, nret, args...)
	n.inHandler = was
	return err
}

// call runs a handler to completion.
func (n *Node) call(fn *lua.LFunction, args ...lua.LValue) error {
	return n.protect(n.L, fn, 0, args...)
}

// test runs a wait_until condition.
func (n *Node) test(fn *lua.LFunction) (bool, error) {
	if err := n.protect(n.L, fn, 1); err != nil {
		return false, err
	}
	v := n.L.Get(-1)
	n.L.Pop(1)
	return lua.LVAsBool(v), nil
}

// fail stops the node on a script error.
func (n *Node) fail(err error) error {
	if n.err != nil {
		return n.err
	}
	msg := luabox.ErrorLine(err)
	n.err = &ScriptError{Node: n.id, Msg: msg}
	n.w = wait{kind: failed}
	n.rec(trace.Event{Ev: trace.Error, Text: msg})
	return n.err
}

func (n *Node) match(typ string, from []string) int {
	for i, m := range n.mailbox {
		if (typ == "" || m.Type == typ) && (from == nil || slices.Contains(from, m.Sender)) {
			return i
		}
	}
	return -1
}

func (n *Node) take(i int) wire.Message {
	m := n.mailbox[i]
	n.mailbox = append(n.mailbox[:i], n.mailbox[i+1:]...)
	return m
}

// msgFields are the fields of a message's table, in the order pairs
// walks them.
var msgFields = []lua.LValue{lua.LString("type"), lua.LString("sender"), lua.LString("ts"), lua.LString("payload")}

func (n *Node) msgTable(m wire.Message) *lua.LTable {
	return luabox.NewRecord(msgFields, []lua.LValue{lua.LString(m.Type), lua.LString(m.Sender),
		lua.LNumber(m.TS), jsonToLua(n.L, m.Payload)})
}

// block records what the main coroutine now waits for.
func (n *Node) block(w *trace.Wait) {
	w, on := n.waits.find(w)
	n.w.on = w
	n.rec(trace.Event{Ev: trace.Block, On: on, Wait: w})
}

// waitCache holds the last waits a node recorded with their words: a
// node waits for the same few things over and over, in every round and
// every simulated schedule, and the words are made once for each. The
// cached Wait is shared by the events that record it; nobody changes a
// recorded Wait.
type waitCache struct {
	w    [8]*trace.Wait
	on   [8]string
	next int
}

// find returns the cached wait equal to w and its words, caching w if
// there is none.
func (c *waitCache) find(w *trace.Wait) (*trace.Wait, string) {
	for i, x := range c.w {
		if x != nil && x.Equal(w) {
			return x, c.on[i]
		}
	}
	i := c.next
	c.w[i], c.on[i] = w, w.On()
	c.next = (i + 1) % len(c.w)
	return w, c.on[i]
}

// reblock re-records a wait_until block whose reason function now says
// something else.
func (n *Node) reblock() error {
	if _, ok := n.w.reason.(*lua.LFunction); !ok {
		return nil
	}
	w, err := n.untilWait(n.w.reason)
	if err != nil {
		return err
	}
	if !w.Equal(n.w.on) {
		n.block(w)
	}
	return nil
}

// untilWait turns a wait_until reason into a Wait: nil (a condition), a
// string (a label), a table {type =, from =, label =} or a function
// returning either (docs/lua-api.md).
func (n *Node) untilWait(reason lua.LValue) (*trace.Wait, error) {
	if fn, ok := reason.(*lua.LFunction); ok {
		// Under the guard: a reason function that loops forever stops the
		// node like any other endless loop.
		if err := n.protect(n.L, fn, 1); err != nil {
			return nil, err
		}
		reason = n.L.Get(-1)
		n.L.Pop(1)
	}
	w := &trace.Wait{Kind: trace.WaitPredicate}
	switch r := reason.(type) {
	case *lua.LNilType:
	case lua.LString:
		w.Label = string(r)
	case *lua.LTable:
		typ, from, label, err := n.reasonTable(r)
		if err != nil {
			return nil, err
		}
		w.Type, w.From, w.Label = typ, from, label
		if len(from) > 0 {
			w.Kind = trace.WaitMessages
		}
	default:
		return nil, fmt.Errorf("wait_until: the reason must be a string or a table {type = ..., from = {...}}, got a %s", reason.Type())
	}
	return w, nil
}

// reasonTable reads {type = "REPLY", from = {"A2", "A3"} or "A2", label = "..."}.
func (n *Node) reasonTable(t *lua.LTable) (typ string, from []string, label string, err error) {
	if v := t.RawGetString("type"); v != lua.LNil {
		s, ok := v.(lua.LString)
		if !ok || !wire.ValidType(string(s)) {
			return "", nil, "", fmt.Errorf("wait_until: reason.type must be a message type like REPLY, got %s", luaString(v, 0))
		}
		typ = string(s)
	}
	from, err = n.peerList(t.RawGetString("from"), "wait_until: reason.from")
	if err != nil {
		return "", nil, "", err
	}
	if v := t.RawGetString("label"); v != lua.LNil {
		label = lua.LVAsString(v)
	}
	return typ, from, label, nil
}

// peerList reads a node id or a list of them; nil is nobody in particular.
func (n *Node) peerList(v lua.LValue, what string) ([]string, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LString:
		if !n.known[string(v)] {
			return nil, fmt.Errorf("%s: no node %q in this run", what, string(v))
		}
		return []string{string(v)}, nil
	case *lua.LTable:
		var out []string
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok || !n.known[string(s)] {
				return nil, fmt.Errorf("%s: expected a list of node ids, got %s at [%d]", what, luaString(v.RawGetInt(i), 0), i)
			}
			out = append(out, string(s))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: expected a node id or a list of them, got a %s", what, v.Type())
}

func (n *Node) newTimer(seconds float64) uint64 {
	n.timerSeq++
	n.host.SetTimer(n.host.Now()+scenario.Nanos(seconds, n.cfg.Speed), n.timerSeq)
	return n.timerSeq
}

// csPrint prints the next line of the critical section and sets the
// timer for the one after.
func (n *Node) csPrint() {
	n.w.printed++
	if n.csLine == "" {
		n.csLine = "I'm lightweight process " + n.id
	}
	n.rec(trace.Event{Ev: trace.Print, Text: n.csLine})
	n.w.timer = n.newTimer(n.cfg.CS.Interval)
}

// Status is a snapshot of the node for the REPL's status table.
type Status struct {
	ID    string `json:"id"`
	Role  string `json:"role"`
	State string `json:"state"`
	// Wait is what a blocked node waits for (State says it for people).
	Wait      *trace.Wait `json:"wait,omitempty"`
	LC        int64       `json:"lc"`
	Round     int         `json:"round"`
	CSEntries int         `json:"cs_entries"`
	Mailbox   int         `json:"mailbox"`
	Err       string      `json:"error,omitempty"`
}

// Status describes what the node is doing now.
func (n *Node) Status() Status {
	s := Status{ID: n.id, Role: n.cfg.Spec.Role, LC: n.clock.Now(), Round: n.round,
		CSEntries: n.csEntries, Mailbox: len(n.mailbox)}
	switch n.w.kind {
	case notStarted:
		s.State = "starting"
	case running:
		s.State = "running"
	case waitRecv, waitUntil:
		s.Wait = n.w.on
		s.State = StateText(n.w.on)
	case waitSleep:
		s.State = "sleeping"
	case waitCS:
		s.State = fmt.Sprintf("in CS (print %d/%d)", n.w.printed, n.cfg.CS.Prints)
	case finished:
		s.State = "done"
	case failed:
		s.State = "failed"
	}
	if n.stopped {
		s.State = "stopped"
	}
	if n.err != nil {
		s.Err = n.err.Error()
	}
	return s
}

// StateText is the status table's words for a blocked node: "waiting for
// grant", "requesting: REPLY from A3", "blocked on receive DONE".
func StateText(w *trace.Wait) string {
	switch {
	case w == nil:
		return "blocked"
	case w.Kind == trace.WaitReceive && w.Type == wire.CSGrant:
		return "waiting for grant"
	case w.Kind == trace.WaitReceive:
		return "blocked on " + w.On()
	}
	return "requesting: " + w.What()
}

// State renders the algorithm module's table as inspect shows values,
// without its functions: what a student looks at when the run stops.
func (n *Node) State() (string, error) {
	if n.stopped {
		return "", ErrStopped
	}
	t, ok := n.algo.(*lua.LTable)
	if !ok {
		return "(no algorithm state)", nil
	}
	data := n.L.NewTable()
	t.ForEach(func(k, v lua.LValue) {
		if _, fn := v.(*lua.LFunction); !fn {
			data.RawSet(k, v)
		}
	})
	return luaString(data, 1), nil
}

// Eval evaluates a Lua expression between events, for the REPL's inspect.
// Names are looked up in the algorithm module's table first (so
// `inspect A1 queue` shows lamport's queue), then in node, then in the
// globals.
func (n *Node) Eval(expr string) (string, error) {
	if n.stopped {
		return "", ErrStopped
	}
	fn, err := n.L.Load(strings.NewReader("return "+expr), "inspect")
	if err != nil {
		if fn, err = n.L.Load(strings.NewReader(expr), "inspect"); err != nil {
			return "", errors.New(luabox.FirstLine(err.Error()))
		}
	}
	env := n.L.NewTable()
	mt := n.L.NewTable()
	mt.RawSetString("__index", n.L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if t, ok := n.algo.(*lua.LTable); ok {
			if v := t.RawGet(k); v != lua.LNil {
				L.Push(v)
				return 1
			}
		}
		if v := n.api.RawGet(k); v != lua.LNil {
			L.Push(v)
			return 1
		}
		L.Push(n.L.GetGlobal(lua.LVAsString(k)))
		return 1
	}))
	n.L.SetMetatable(env, mt)
	n.L.SetFEnv(fn, env)
	top := n.L.GetTop()
	if err := n.protect(n.L, fn, lua.MultRet); err != nil {
		n.L.SetTop(top)
		return "", errors.New(luabox.ErrorLine(err))
	}
	var parts []string
	for i := top + 1; i <= n.L.GetTop(); i++ {
		parts = append(parts, luaString(n.L.Get(i), 1))
	}
	n.L.SetTop(top)
	if len(parts) == 0 {
		return "nil", nil
	}
	return strings.Join(parts, ", "), nil
}

// ConfigFor returns the configuration of node id of scenario s.
func ConfigFor(s *scenario.Scenario, id string, lib *Library) (Config, error) {
	spec, ok := s.Find(id)
	if !ok {
		return Config{}, fmt.Errorf("no node %q in scenario %s (nodes: %s)", id, s.Name, strings.Join(s.NodeIDs(), " "))
	}
	var ring []string
	for _, g := range s.Groups {
		ring = append(ring, g.ID)
	}
	return Config{Spec: spec, Nodes: s.NodeIDs(), Ring: ring, CS: s.CS, Rounds: s.Rounds,
		Speed: s.Speed, Library: lib, Seed: scenario.NodeSeed(s.Seed, id)}, nil
}
