// The step engine: a world (what the schedules of one scenario share) and
// a machine that runs one schedule at a time over it.

package sim

import (
	"errors"
	"fmt"
	"math/bits"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// luaBudget bounds every call into a node's Lua: instructions only, no
// wall clock, so that a verdict does not depend on the machine or on how
// many schedules run at once. Tests lower it.
var luaBudget = luabox.Counted

// world is what the schedules of one scenario share.
type world struct {
	s       *scenario.Scenario
	ids     []string
	index   map[string]int
	cfgs    []node.Config
	delay   []int64   // per channel from*n+to, virtual ns
	jitter  []int64   // per channel, the jitter's span in virtual ns
	loss    []float64 // per channel, the probability a message is lost
	dup     []float64 // per channel, the probability a message is duplicated
	lossy   bool      // some channel loses or duplicates
	reorder bool
	meta    trace.Meta
	steps   int // the default step bound
}

func newWorld(s *scenario.Scenario, lib *node.Library, version string) (*world, error) {
	if s == nil || lib == nil {
		return nil, errors.New("sim: a scenario and a script library are needed")
	}
	ids := s.NodeIDs()
	n := len(ids)
	w := &world{s: s, ids: ids, index: make(map[string]int, n), cfgs: make([]node.Config, n),
		delay: make([]int64, n*n), jitter: make([]int64, n*n), reorder: s.Network.Reorder,
		loss: make([]float64, n*n), dup: make([]float64, n*n),
		meta: s.Meta(nil, "sim", version)}
	if !(s.Speed > 0) {
		return nil, fmt.Errorf("sim: speed %v: expected a number > 0", s.Speed)
	}
	for i, id := range ids {
		w.index[id] = i
		cfg, err := node.ConfigFor(s, id, lib)
		if err != nil {
			return nil, err
		}
		cfg.Budget = luaBudget
		w.cfgs[i] = cfg
	}
	for i, from := range ids {
		for j, to := range ids {
			l := s.Network.LinkFor(from, to)
			w.delay[i*n+j] = scenario.Nanos(l.Delay, s.Speed)
			w.jitter[i*n+j] = scenario.Nanos(l.Jitter, s.Speed)
			w.loss[i*n+j], w.dup[i*n+j] = l.Loss, l.Duplicate
			w.lossy = w.lossy || l.Loss > 0 || l.Duplicate > 0
		}
	}
	rounds := max(s.Rounds, 1)
	w.steps = DefaultMaxSteps * rounds
	// Compile every script now, so that a syntax error or a missing module
	// is one clear error before any schedule runs rather than a failure in
	// each; the trace's header records them.
	scripts, err := lib.Preflight(s)
	if err != nil {
		return nil, err
	}
	w.meta.Scripts = scripts
	return w, nil
}

// machine runs schedules of one world, one at a time; its buffers are
// reused from one schedule to the next.
type machine struct {
	w        *world
	seed     int64
	maxSteps int
	lag      bool
	cut      int // stop after this many steps (Options.Cut); 0: never
	// picks records the step taken at each choice point (two or more
	// steps enabled), as an index among them: the schedule, for Shrink
	// to replay and simplify with a guided policy.
	picks []int32
	state bool // record each node's algorithm state on its events (Options.State)

	now   int64
	steps int
	nodes []*node.Node
	// parked holds, per node, the node of the last schedule, stopped with
	// its VM kept: the next schedule renews it rather than build a VM
	// again (node.Renew). fresh turns that off (tests).
	parked  []*node.Node
	fresh   bool
	renewed int // nodes renewed rather than built, for the tests
	hosts   []host
	chans   []channel
	// full has a bit set for each channel with a message in it: the
	// steps are looked for there only.
	full   []uint64
	timers []timer
	events []trace.Event
	counts []int    // events recorded per node
	hist   []uint64 // per node, a hash of the steps it took
	failed int      // the node whose script failed, or -1
	// inbound is the channel number of the message being delivered: the
	// node numbers what it receives by counting, which is right only
	// while channels are FIFO, so the recv event gets the true number.
	inbound int64
	err     error
	cands   []step // buffers for the candidate and enabled steps
	due     []step

	// observe, when set, sees every event as it is recorded (replay).
	observe func(node int, e *trace.Event)
	// taken, when set, sees every step just before it is taken (the
	// debug session's branch, step.go).
	taken func(s step, drop string)

	f faultState // faults.go
	// choose: up to this many faults chosen per schedule from its seed,
	// of kinds (Options.Faults); fixed: the faults of every schedule
	// (Options.Points).
	choose int
	kinds  []string
	only   []string
	fixed  []FaultPoint
}

type channel struct {
	q    []pending
	head int
	last int64 // the latest due time so far: FIFO under jitter
	sent int64
}

type pending struct {
	m    wire.Message
	at   int64 // due
	seq  int64 // the channel's numbering, from 1 (the send event's seq)
	lost bool  // the link loses it: delivered as a drop
	dup  bool  // the network's second copy of the message before it
}

type timer struct {
	at   int64
	node int
	id   uint64
}

type stepKind uint8

const (
	deliver stepKind = iota + 1
	fire
	advance
	// Replay only (replayer.choose): a recorded fault, and a recorded
	// duplicate's delivery.
	faultStep
	redeliver
)

// step is one thing that may happen next.
type step struct {
	kind  stepKind
	node  int    // the node that takes the step
	ch    int    // deliver: the channel
	pos   int    // deliver: the message's index in the channel's queue
	seq   int64  // deliver: the message's number on its channel
	timer int    // fire: the index in timers
	at    int64  // when it is due
	op    string // faultStep: the recorded event's kind
	dup   bool   // deliver: the message is a duplicate's copy
	// id names the step the same way in every run of a schedule tree.
	id uint64
}

func newMachine(w *world, opts Options) *machine {
	n := len(w.ids)
	m := &machine{w: w, seed: opts.Seed, maxSteps: opts.MaxSteps, lag: opts.Lag, cut: opts.Cut, state: opts.State,
		nodes: make([]*node.Node, n), parked: make([]*node.Node, n), hosts: make([]host, n), chans: make([]channel, n*n),
		full: make([]uint64, (n*n+63)/64), counts: make([]int, n), hist: make([]uint64, n)}
	if m.maxSteps <= 0 {
		m.maxSteps = w.steps
	}
	for i := range m.hosts {
		m.hosts[i] = host{m: m, i: i}
	}
	m.choose, m.kinds, m.only, m.fixed = opts.Faults, opts.FaultKinds, opts.FaultNodes, opts.Points
	m.reset(opts.Seed)
	return m
}

// reset prepares the machine for the schedule of seed.
func (m *machine) reset(seed int64) {
	m.seed = seed
	m.now, m.steps, m.failed, m.err, m.inbound = 0, 0, -1, nil, 0
	for i := range m.chans {
		c := &m.chans[i]
		clear(c.q)
		c.q, c.head, c.last, c.sent = c.q[:0], 0, 0, 0
	}
	clear(m.full)
	m.timers = m.timers[:0]
	m.events = m.events[:0]
	m.picks = m.picks[:0]
	clear(m.counts)
	clear(m.hist)
	pts := m.fixed
	if m.choose > 0 {
		pts = ChooseFaults(m.w.s, seed, m.choose, m.kinds, m.only)
	}
	m.usePoints(pts)
	m.resetFaults()
}

// host is one node's view of the machine.
type host struct {
	m *machine
	i int
}

func (h host) Now() int64 { return h.m.now }

func (h host) Send(to string, msg wire.Message) error {
	m := h.m
	j, ok := m.w.index[to]
	if !ok {
		return fmt.Errorf("no node %q", to)
	}
	ci := h.i*len(m.w.ids) + j
	c := &m.chans[ci]
	c.sent++
	p := pending{m: msg, seq: c.sent}
	dup := false
	if m.f.on {
		var ok bool
		if p, dup, ok = m.sendFault(h.i, ci, msg, c); !ok {
			return nil
		}
	}
	at := m.now + m.w.delay[ci]
	if span := m.w.jitter[ci]; span > 0 {
		at += int64(mix(uint64(m.seed), uint64(ci), uint64(c.sent)) % uint64(span+1))
	}
	if !m.w.reorder {
		at = max(at, c.last)
	}
	c.last = max(c.last, at)
	p.at = at
	c.q = append(c.q, p)
	m.fill(ci)
	if dup {
		p.dup = true
		c.q = append(c.q, p)
	}
	return nil
}

func (h host) SetTimer(at int64, id uint64) {
	if h.m.f.on && h.m.f.crashing[h.i] != 0 {
		return // set after its crash point: dies with the node
	}
	h.m.timers = append(h.m.timers, timer{at: at, node: h.i, id: id})
}

func (h host) Record(e trace.Event) {
	m := h.m
	if m.f.on && m.f.crashing[h.i] != 0 {
		return // after its crash point: lost with the node
	}
	if m.inbound != 0 && (e.Ev == trace.Recv || e.Ev == trace.Drop) {
		e.Seq, m.inbound = m.inbound, 0
	}
	m.append(h.i, &e)
	if m.f.on {
		if e.Ev == trace.Send {
			m.f.sendSeq = e.Seq
		}
		m.triggered(h.i, &e)
	}
}

// append records node i's event e (a copy: e is left as it is).
func (m *machine) append(i int, e *trace.Event) {
	m.events = append(m.events, *e)
	p := &m.events[len(m.events)-1]
	p.Line = len(m.events) + 1 // the meta header is line 1
	if m.state && m.nodes[i] != nil && !m.nodes[i].Killed() {
		p.State = m.nodes[i].StateFields()
	}
	if m.observe != nil {
		m.observe(i, p)
	}
	m.counts[i]++
}

// start builds and starts every node, in scenario order.
func (m *machine) start() error {
	for i := range m.nodes {
		// The schedule's seed is the run's: each node draws its own
		// stream, as in a real run with that seed.
		seed := scenario.NodeSeed(m.seed, m.w.ids[i])
		if p := m.parked[i]; p != nil {
			m.parked[i] = nil
			if !m.fresh && p.Renew(seed) {
				m.nodes[i] = p
				m.renewed++
				continue
			}
		}
		cfg := m.w.cfgs[i]
		cfg.Seed = seed
		n, err := node.New(cfg, m.hosts[i])
		if err != nil {
			for _, o := range m.nodes[:i] {
				o.Stop("error")
			}
			return err
		}
		m.nodes[i] = n
	}
	for i, n := range m.nodes {
		err := n.Start()
		if m.f.on && m.f.crashing[i] != 0 {
			err = nil // crashed as it started: what followed is lost with it
		}
		m.settle(i)
		if err != nil {
			m.failed, m.err = i, err
			return nil
		}
	}
	return nil
}

// stop records every node's exit, in scenario order, and keeps the
// nodes for the next schedule.
func (m *machine) stop(reason func(i int) string) {
	for i, n := range m.nodes {
		if m.f.on && m.f.incarn[i] > 0 {
			// A restarted node: its VM numbers sends for its
			// incarnation, not for the next schedule's first.
			n.Stop(reason(i))
			m.nodes[i] = nil
			continue
		}
		n.Park(reason(i))
		m.parked[i] = n
		m.nodes[i] = nil
	}
}

func (m *machine) allFinished() bool {
	for i, n := range m.nodes {
		if !n.Finished() && !(m.f.on && m.f.down[i] && !m.restartDue(i)) {
			return false
		}
	}
	return true
}

// candidates lists every pending step, due or not, in a fixed order:
// channels by (from, to) in scenario order, then timers as they were set.
func (m *machine) candidates() []step {
	n := len(m.w.ids)
	out := m.cands[:0]
	for w, word := range m.full {
		for ; word != 0; word &= word - 1 {
			ci := w<<6 | bits.TrailingZeros64(word)
			out = m.deliveries(out, ci, n)
		}
	}
	for k, t := range m.timers {
		if m.held(t.node) {
			continue
		}
		out = append(out, step{kind: fire, node: t.node, timer: k, at: t.at,
			id: uint64(fire)<<56 | uint64(t.node)<<40 | t.id})
	}
	m.cands = out
	return out
}

// deliveries appends the deliver steps of channel ci, which has a
// message, to out.
func (m *machine) deliveries(out []step, ci, n int) []step {
	c := &m.chans[ci]
	if m.held(ci % n) {
		return out
	}
	last := c.head
	if m.w.reorder {
		last = len(c.q) - 1
	}
	for k := c.head; k <= last; k++ {
		p := &c.q[k]
		id := uint64(deliver)<<56 | uint64(ci)<<32
		if m.w.reorder {
			id |= uint64(p.seq) & 0x7fffffff
			if inc := trace.Incarnation(p.seq); inc > 0 {
				id ^= uint64(inc) << 24 // a restarted sender's message: another name
			}
		}
		if p.dup {
			id |= 1 << 31 // the copy of a message, beside the message
		}
		out = append(out, step{kind: deliver, node: ci % n, ch: ci, pos: k, seq: p.seq, at: p.at, dup: p.dup, id: id})
	}
	return out
}

// enabled returns the due steps, advancing virtual time to the next due
// step when none is due now; nil when nothing is pending at all. With
// lag, "advance" is appended when something is pending later.
func (m *machine) enabled() []step {
	if m.f.on {
		m.advanceTo(m.now)
	}
	cands := m.candidates()
	// A fault due before anything else happens first: it may hold a
	// node, free one, or bring a restarted node's first steps.
	for m.f.on {
		at, ok := m.nextFault()
		if !ok {
			break
		}
		first := true
		for _, s := range cands {
			if s.at < at {
				first = false
				break
			}
		}
		if !first {
			break
		}
		m.advanceTo(at)
		cands = m.candidates()
	}
	if len(cands) == 0 {
		return nil
	}
	next := int64(-1)
	due := m.due[:0]
	for _, s := range cands {
		if s.at <= m.now {
			due = append(due, s)
		} else if next < 0 || s.at < next {
			next = s.at
		}
	}
	if len(due) == 0 {
		m.now = next
		for _, s := range cands {
			if s.at <= m.now {
				due = append(due, s)
			}
		}
		next = -1
		for _, s := range cands {
			if s.at > m.now && (next < 0 || s.at < next) {
				next = s.at
			}
		}
	}
	if at, ok := m.nextFault(); ok && (next < 0 || at < next) {
		next = at
	}
	if m.lag && next >= 0 {
		due = append(due, step{kind: advance, node: -1, at: next, id: uint64(advance) << 56})
	}
	m.due = due
	return due
}

// exec takes one step; an error is the script error of the node that
// took it.
func (m *machine) exec(s step) error {
	if m.taken != nil {
		m.taken(s, "")
	}
	err := m.execStep(s)
	if m.f.on && s.node >= 0 {
		if m.f.crashing[s.node] != 0 || m.f.down[s.node] {
			err = nil // crashed in the step: what followed is lost with it
		}
		m.settle(s.node)
	}
	return err
}

func (m *machine) execStep(s step) error {
	if m.state && s.node >= 0 {
		defer m.settleState(s.node, len(m.events))
	}
	m.steps++
	switch s.kind {
	case advance:
		m.advanceTo(s.at)
		return nil
	case deliver:
		p := m.take(s)
		m.hist[s.node] = mix(m.hist[s.node], s.id, uint64(m.now))
		m.inbound = p.seq
		var err error
		switch {
		case p.lost:
			m.nodes[s.node].DropBecause(p.m, trace.ReasonLoss)
		case p.dup:
			err = m.nodes[s.node].DeliverDup(p.m)
		default:
			if m.f.on {
				m.f.lastMsg[s.ch] = p.m
			}
			err = m.nodes[s.node].Deliver(p.m)
		}
		m.inbound = 0
		return err
	case faultStep, redeliver:
		m.hist[s.node] = mix(m.hist[s.node], s.id, uint64(m.now))
		return m.recorded(s)
	case fire:
		t := m.timers[s.timer]
		m.timers = append(m.timers[:s.timer], m.timers[s.timer+1:]...)
		m.hist[s.node] = mix(m.hist[s.node], s.id, uint64(m.now))
		return m.nodes[s.node].Fire(t.id)
	}
	return nil
}

// settleState gives the last event a step recorded the node's state at
// the end of the step: a handler's changes after its recv event show on
// the recv when the handler records nothing else.
func (m *machine) settleState(node, first int) {
	if k := len(m.events) - 1; k >= first && m.nodes[node] != nil && m.events[k].Node == m.w.ids[node] {
		m.events[k].State = m.nodes[node].StateFields()
	}
}

// drop loses the message of deliver step s for reason (a
// trace.Reason...): the node records it as dropped, so that its
// channel's numbering goes on (the REPL's drop; the replay of a run
// where a link lost messages).
func (m *machine) drop(s step, reason string) {
	if m.taken != nil {
		m.taken(s, reason)
	}
	m.steps++
	p := m.take(s)
	m.inbound = p.seq
	if !p.dup {
		m.nodes[s.node].DropBecause(p.m, reason)
	}
	m.inbound = 0
	m.settle(s.node)
}

// take removes the message of deliver step s from its channel.
func (m *machine) take(s step) pending {
	c := &m.chans[s.ch]
	p := c.q[s.pos]
	if s.pos == c.head {
		c.q[c.head] = pending{}
		c.head++
	} else {
		copy(c.q[s.pos:], c.q[s.pos+1:])
		c.q[len(c.q)-1] = pending{}
		c.q = c.q[:len(c.q)-1]
	}
	if c.head == len(c.q) {
		c.q, c.head = c.q[:0], 0
		m.empty(s.ch)
	}
	return p
}

// fill notes that channel ci has a message; empty that it has none.
func (m *machine) fill(ci int)  { m.full[ci>>6] |= 1 << (ci & 63) }
func (m *machine) empty(ci int) { m.full[ci>>6] &^= 1 << (ci & 63) }

// policy picks the next step among the enabled ones.
type policy interface {
	// pick returns the index in en of the step to take, or -1 to end the
	// schedule as Pruned.
	pick(m *machine, en []step) int
}

// run runs one schedule to its end under p and stops the nodes.
func (m *machine) run(p policy) Outcome {
	out := m.loop(p)
	m.stopAfter(out)
	return out
}

// stopAfter stops the nodes, each exit saying why the schedule ended.
func (m *machine) stopAfter(out Outcome) {
	m.stop(func(i int) string {
		switch {
		case i == m.failed:
			return "error"
		case out == Stalled:
			return "stalled"
		case out == Cut:
			return "interrupted"
		}
		return "stopped"
	})
}

func (m *machine) loop(p policy) Outcome {
	if err := m.start(); err != nil {
		m.err = err
		return Failed
	}
	if m.failed >= 0 {
		return Failed
	}
	for {
		if m.failed >= 0 {
			return Failed // a restarted node's script
		}
		if m.allFinished() {
			return Complete
		}
		en := m.enabled()
		if m.failed >= 0 {
			return Failed
		}
		if len(en) == 0 {
			return Stalled
		}
		if m.steps >= m.maxSteps {
			return TooLong
		}
		if m.cut > 0 && m.steps >= m.cut {
			return Cut
		}
		i := p.pick(m, en)
		if i < 0 {
			return Pruned
		}
		if len(en) > 1 {
			m.picks = append(m.picks, int32(i))
		}
		if err := m.exec(en[i]); err != nil {
			m.failed, m.err = en[i].node, err
			return Failed
		}
	}
}

// schedule combines the nodes' step histories into one value.
func (m *machine) schedule() uint64 {
	h := uint64(len(m.hist))
	for _, x := range m.hist {
		h = mixStep(h, x)
	}
	return h
}

// result packages the schedule just run. With keep, the events are
// copied out of the machine's buffer.
func (m *machine) result(out Outcome, keep bool) *Result {
	meta := m.w.meta
	meta.Seed = m.seed
	ev := m.events
	if keep {
		ev = append([]trace.Event(nil), ev...)
	}
	return &Result{Outcome: out, Err: m.err, Steps: m.steps, Schedule: m.schedule(),
		Trace: &trace.Trace{Meta: meta, Events: ev}}
}
