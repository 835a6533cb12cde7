// The stepping API: a simulated run that can be stepped forward and back,
// one delivery or timer at a time, and branched (mutexlab debug,
// docs/repl.md).

package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Session is one simulated run held at a step: the nodes are alive, so
// their Lua state can be inspected as it was after that step. Going back
// runs the branch again from the start (the simulator is deterministic
// and a run of a thousand events takes milliseconds), so no state is
// copied and nothing can drift.
//
// The branch is the list of steps taken from the start; Pos of them are
// taken now. Stepping past the branch's end extends it with the seeded
// scheduler, exactly as explore runs the schedule of the seed; Choose
// replaces what follows the current step by a step of the user's, from
// which the scheduler goes on. A session opened on a recording follows
// the recording's deliveries (Replay) up to its end.
//
// A Session is not safe for concurrent use.
type Session struct {
	w    *world
	m    *machine
	opts Options
	rnd  *random
	path []taken
	pos  int
	// end is how the branch ends once its end is known: the scheduler
	// found no step, or the recording ended.
	end *Outcome
	// fromRecording: the branch starts as a recording's replay; recorded
	// is how many of its steps are the recording's.
	fromRecording bool
	recorded      int
	// dirty: an inspect expression may have changed a node's state;
	// the branch is run again before the machine is used.
	dirty bool
}

// taken is one step of the branch.
type taken struct {
	id   uint64
	drop string // the message was lost on its link, and why (a trace.Reason...); "" when delivered
	// pseudo is a replay's fault or duplicate (replayer.choose), which
	// no scheduler lists: the step itself is kept to take it again.
	pseudo *step
	now    int64  // the virtual time it was taken at
	chosen bool   // by Choose, not the scheduler or the recording
	c      Choice // what it was
	first  int    // the index of its first event
	// among is the number of enabled steps the scheduler picked it
	// from (0: it did not pick it); replaying its draws puts the
	// scheduler's source where the branch left it.
	among int
}

// SessionOptions open a Session on a scenario.
type SessionOptions struct {
	Scenario *scenario.Scenario
	Lib      *node.Library
	Version  string
	// Seed seeds the scheduler and the jitter, as in explore.
	Seed int64
	// MaxSteps bounds the run; 0: DefaultMaxSteps per round.
	MaxSteps int
	// State records each node's algorithm state on its events.
	State bool
}

// NewSession opens a run of opts.Scenario at step 0: every node started,
// nothing delivered yet. Its branch is the schedule explore runs for the
// seed until Choose changes it.
func NewSession(opts SessionOptions) (*Session, error) {
	w, err := newWorld(opts.Scenario, opts.Lib, opts.Version)
	if err != nil {
		return nil, err
	}
	o := Options{Seed: opts.Seed, MaxSteps: opts.MaxSteps, State: opts.State}
	s := &Session{w: w, m: newMachine(w, o), opts: o, rnd: newRandom(opts.Seed)}
	if err := s.restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// ReplaySession opens a recorded run (a real run over TCP, or a saved
// simulated one) at step 0: its branch is the replay of the recording
// (Replay), whose result is returned too (the divergence, if the scripts
// changed). Past the recording's end, or after Choose, the scheduler
// goes on with the recording's seed.
func ReplaySession(rec *trace.Trace, opts ReplayOptions) (*Session, *ReplayResult, error) {
	m, r, err := prepareReplay(rec, opts)
	if err != nil {
		return nil, nil, err
	}
	s := &Session{w: m.w, m: m, opts: Options{Seed: rec.Meta.Seed, MaxSteps: m.maxSteps, State: opts.State},
		rnd: newRandom(rec.Meta.Seed), fromRecording: true}
	m.taken = s.record
	out := r.run()
	m.taken, m.observe = nil, nil
	res := &ReplayResult{Outcome: out, Err: m.err, Steps: m.steps, Divergence: r.div}
	s.recorded = len(s.path)
	s.end = &out
	if err := s.restart(); err != nil {
		return nil, nil, err
	}
	return s, res, nil
}

// record appends the step the machine is about to take to the branch.
func (s *Session) record(st step, drop string) {
	t := taken{id: st.id, drop: drop, now: s.m.now, c: s.choiceOf(st), first: len(s.m.events)}
	if st.kind == faultStep || st.kind == redeliver {
		t.pseudo = &st
	}
	s.path = append(s.path, t)
}

// Close stops the nodes.
func (s *Session) Close() { s.stopNodes() }

func (s *Session) stopNodes() {
	m := s.m
	if len(m.nodes) > 0 && m.nodes[0] != nil {
		m.stop(func(int) string { return trace.ExitStopped })
	}
}

// restart runs the branch again from the start up to Pos.
func (s *Session) restart() error {
	s.stopNodes()
	m := s.m
	m.reset(s.opts.Seed)
	s.dirty = false
	if err := m.start(); err != nil {
		return err
	}
	pos := s.pos
	s.pos = 0
	return s.replayTo(pos)
}

// replayTo takes the branch's steps from Pos up to k (k <= len(path)).
func (s *Session) replayTo(k int) error {
	m := s.m
	for s.pos < k {
		t := s.path[s.pos]
		m.advanceTo(t.now)
		st, ok := s.find(t)
		if !ok {
			return fmt.Errorf("step %d of the branch is no longer enabled: the scripts are not deterministic (math.random?)", s.pos+1)
		}
		if t.drop != "" {
			m.drop(st, t.drop)
		} else if err := m.exec(st); err != nil {
			m.failed, m.err = st.node, err
		}
		s.pos++
	}
	return nil
}

// find returns the pending step t took.
func (s *Session) find(t taken) (step, bool) {
	if t.pseudo != nil {
		return *t.pseudo, true
	}
	id := t.id
	for _, st := range s.m.candidates() {
		if st.id == id {
			return st, true
		}
	}
	return step{}, false
}

// ensure runs the branch again if an inspect may have changed a node.
func (s *Session) ensure() error {
	if s.dirty {
		return s.restart()
	}
	return nil
}

// Pos is the number of steps taken: 0 is the start, every node started.
func (s *Session) Pos() int { return s.pos }

// Known is the number of steps of the branch known so far; the branch may
// go on past it.
func (s *Session) Known() int { return len(s.path) }

// AtEnd reports whether the run has ended at the current step, and how.
func (s *Session) AtEnd() (Outcome, bool) {
	if s.end == nil && s.pos == len(s.path) && !s.dirty {
		if out, ended := s.ended(); ended {
			s.end = &out
		}
	}
	if s.end != nil && s.pos == len(s.path) {
		return *s.end, true
	}
	return 0, false
}

// Err is the script error that ended the branch, once it ended so.
func (s *Session) Err() error { return s.m.err }

// Meta is the run's trace header.
func (s *Session) Meta() trace.Meta {
	meta := s.w.meta
	meta.Seed = s.opts.Seed
	return meta
}

// Now is the virtual time of the current step.
func (s *Session) Now() int64 { return s.m.now }

// Events are the events recorded up to the current step. They belong to
// the session and change with it.
func (s *Session) Events() []trace.Event { return s.m.events }

// Trace is the run up to the current step, events copied.
func (s *Session) Trace() *trace.Trace {
	return &trace.Trace{Meta: s.Meta(), Events: append([]trace.Event(nil), s.m.events...)}
}

// Nodes are the run's node ids, in scenario order.
func (s *Session) Nodes() []string { return s.w.ids }

// Scenario is the system the session runs.
func (s *Session) Scenario() *scenario.Scenario { return s.w.s }

// Seed is the scheduler's seed.
func (s *Session) Seed() int64 { return s.opts.Seed }

// FromRecording reports whether the branch starts as a recording's
// replay, and how many of its steps are the recording's.
func (s *Session) FromRecording() (bool, int) { return s.fromRecording, s.recorded }

// Choice is a step that can be taken next: a delivery or a timer.
type Choice struct {
	// Name is what Choose takes: "A2->A1" (the link's next message;
	// "A2->A1#3" where channels may reorder) or "timer A1".
	Name string
	Kind string // "deliver" or "timer"
	Node string // the node that takes it
	// A delivery's message.
	From string
	Type string
	TS   int64
	Seq  int64
	// At is when it is due, virtual ns; Due says it is due now (the
	// scheduler picks among those). Choosing one due later lets time
	// pass to it while the others wait, as if the network delayed them.
	At  int64
	Due bool
}

// Step is one step taken.
type Step struct {
	Index int // from 1
	Choice
	Drop   bool   // the message was lost on its link (Reason says why)
	Reason string // a drop's reason: "steered" (drop), "loss", ... (trace.Reason...)
	T      int64  // virtual ns
	Chosen bool   // taken by Choose
	// Events are the events the step recorded, in order.
	Events []trace.Event
}

func (s *Session) choiceOf(st step) Choice {
	m := s.m
	n := len(m.w.ids)
	switch st.kind {
	case deliver:
		p := m.chans[st.ch].q[st.pos]
		name := m.w.ids[st.ch/n] + "->" + m.w.ids[st.ch%n]
		if m.w.reorder {
			name += "#" + strconv.FormatInt(p.seq, 10)
		}
		return Choice{Name: name, Kind: "deliver", Node: m.w.ids[st.node], From: p.m.Sender, Type: p.m.Type,
			TS: p.m.TS, Seq: p.seq, At: st.at}
	case fire:
		id := m.w.ids[st.node]
		return Choice{Name: "timer " + id, Kind: "timer", Node: id, At: st.at}
	}
	return Choice{Name: "wait", Kind: "wait", At: st.at}
}

// Enabled lists the steps that can be taken next: first those due now,
// in the scheduler's order (Due set), then those due later, by due time.
// Nil when the run has ended.
func (s *Session) Enabled() ([]Choice, error) {
	if err := s.ensure(); err != nil {
		return nil, err
	}
	if _, ended := s.ended(); ended {
		return nil, nil
	}
	m := s.m
	now := m.now
	en := m.enabled()
	var out, later []Choice
	seen := map[uint64]bool{}
	for _, st := range en {
		c := s.choiceOf(st)
		c.Due = true
		out = append(out, c)
		seen[st.id] = true
	}
	due := m.now
	for _, st := range m.candidates() {
		if !seen[st.id] {
			later = append(later, s.choiceOf(st))
		}
	}
	m.now = max(now, m.f.appliedAt) // looking lets no time pass, but for the faults it carried out
	slices.SortStableFunc(later, func(a, b Choice) int { return cmp.Compare(a.At, b.At) })
	for i := range out {
		out[i].At = max(out[i].At, due)
	}
	return append(out, later...), nil
}

// Forward takes up to n steps: the branch's own, then the scheduler's. It
// stops early at the end of the run.
func (s *Session) Forward(n int) ([]Step, error) {
	if err := s.ensure(); err != nil {
		return nil, err
	}
	var out []Step
	for range n {
		st, ok, err := s.next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, st)
	}
	return out, nil
}

// next takes one step: the branch's next if it has one, else the
// scheduler's. ok is false at the end.
func (s *Session) next() (Step, bool, error) {
	m := s.m
	if s.pos < len(s.path) {
		first := len(m.events)
		t := s.path[s.pos]
		m.advanceTo(t.now)
		st, found := s.find(t)
		if !found {
			return Step{}, false, fmt.Errorf("step %d of the branch is no longer enabled: the scripts are not deterministic (math.random?)", s.pos+1)
		}
		c := s.choiceOf(st)
		if err := s.replayTo(s.pos + 1); err != nil {
			return Step{}, false, err
		}
		return s.stepInfo(c, t, first), true, nil
	}
	if s.pos == len(s.path) && s.end != nil {
		if m.f.on && !m.f.replay {
			s.ended() // carries out the faults due after the last step, as when the end was found
		}
		return Step{}, false, nil
	}
	// Past the branch: the scheduler picks, as machine.loop does.
	if out, ended := s.ended(); ended {
		s.end = &out
		return Step{}, false, nil
	}
	en := m.enabled()
	st := en[s.rnd.pick(m, en)]
	return s.take(st, taken{id: st.id, now: m.now, among: len(en)}), true, nil
}

// take takes step st, the branch's new last step t.
func (s *Session) take(st step, t taken) Step {
	m := s.m
	c := s.choiceOf(st)
	first := len(m.events)
	t.c, t.first = c, first
	s.path = append(s.path[:s.pos], t)
	s.end = nil
	s.pos++
	if err := m.exec(st); err != nil {
		m.failed, m.err = st.node, err
	}
	return s.stepInfo(c, t, first)
}

// ended reports whether the scheduler has nothing to take, as
// machine.loop decides it.
func (s *Session) ended() (Outcome, bool) {
	m := s.m
	switch {
	case m.failed >= 0:
		return Failed, true
	case m.allFinished():
		return Complete, true
	}
	now := m.now
	en := m.enabled()
	m.now = max(now, m.f.appliedAt)
	switch {
	case len(en) == 0:
		return Stalled, true
	case m.steps >= m.maxSteps:
		return TooLong, true
	}
	return 0, false
}

func (s *Session) stepInfo(c Choice, t taken, first int) Step {
	return Step{Index: s.pos, Choice: c, Drop: t.drop != "", Reason: t.drop, T: t.now, Chosen: t.chosen,
		Events: append([]trace.Event(nil), s.m.events[first:]...)}
}

// Last is the step that led to the current one; false at the start.
func (s *Session) Last() (Step, bool) {
	if s.pos == 0 {
		return Step{}, false
	}
	t := s.path[s.pos-1]
	return Step{Index: s.pos, Choice: t.c, Drop: t.drop != "", Reason: t.drop, T: t.now, Chosen: t.chosen,
		Events: append([]trace.Event(nil), s.m.events[t.first:]...)}, true
}

// Ahead is the branch's next step, when the branch goes on past the
// current one.
func (s *Session) Ahead() (Choice, bool) {
	if s.pos < len(s.path) {
		return s.path[s.pos].c, true
	}
	return Choice{}, false
}

// Goto moves to step k: back by running the branch again from the start,
// forward by stepping (past the known branch, with the scheduler). It
// stops at the end of the run if that comes first.
func (s *Session) Goto(k int) error {
	if k < 0 {
		k = 0
	}
	if k < s.pos || s.dirty {
		s.pos = min(k, s.pos)
		if err := s.restart(); err != nil {
			return err
		}
	}
	if k > s.pos {
		_, err := s.Forward(k - s.pos)
		return err
	}
	return nil
}

// Back goes back n steps.
func (s *Session) Back(n int) error { return s.Goto(s.pos - n) }

// Choose takes the enabled step named name instead of the branch's next
// one: the branch now ends here with that step, and the scheduler goes
// on from it. name is a Choice's Name, or a link "A2->A1" for its first
// enabled message.
func (s *Session) Choose(name string) (Step, error) {
	en, err := s.Enabled()
	if err != nil {
		return Step{}, err
	}
	if len(en) == 0 {
		out, _ := s.ended()
		return Step{}, fmt.Errorf("the run has ended (%s): nothing to choose", out)
	}
	var pick *Choice
	for i, c := range en {
		if c.Name == name || (c.Kind == "deliver" && strings.HasPrefix(c.Name, name+"#")) {
			pick = &en[i]
			break
		}
	}
	if pick == nil {
		var names []string
		for _, c := range en {
			names = append(names, c.Name)
		}
		return Step{}, fmt.Errorf("%s is not pending now; pending: %s", name, strings.Join(names, ", "))
	}
	// The scheduler's source is where the branch leaves it: drawn as
	// for each of its steps before this one.
	s.rnd.reseed(s.opts.Seed)
	for _, t := range s.path[:s.pos] {
		redraw(s.rnd, t)
	}
	s.path = s.path[:s.pos]
	s.end = nil
	s.recorded = min(s.recorded, s.pos)
	m := s.m
	var st step
	found := false
	for _, c := range m.candidates() {
		if s.choiceOf(c).Name == pick.Name {
			st, found = c, true
			break
		}
	}
	if !found {
		return Step{}, fmt.Errorf("%s is not pending now", name)
	}
	if !pick.Due {
		m.advanceTo(st.at)
		if m.held(st.node) {
			return Step{}, fmt.Errorf("%s is not pending now: %s is %s", name, m.w.ids[st.node], m.heldAs(st.node))
		}
	} else {
		m.enabled() // lets time pass to the due steps, as the scheduler does
	}
	return s.take(st, taken{id: st.id, now: m.now, chosen: true}), nil
}

// BranchPoint is a step taken by Choose.
type BranchPoint struct {
	Step int    // its index, from 1
	Name string // the Choice's name
}

// Branch lists the steps of the branch taken by Choose, up to the current
// step and past it.
func (s *Session) Branch() []BranchPoint {
	var out []BranchPoint
	for i, t := range s.path {
		if t.chosen {
			out = append(out, BranchPoint{Step: i + 1, Name: s.nameOf(t.id)})
		}
	}
	return out
}

// nameOf names a step id as Choice.Name does.
func (s *Session) nameOf(id uint64) string {
	n := uint64(len(s.w.ids))
	switch stepKind(id >> 56) {
	case deliver:
		ch := (id >> 32) & 0xffffff
		name := s.w.ids[ch/n] + "->" + s.w.ids[ch%n]
		if s.w.reorder {
			name += "#" + strconv.FormatUint(id&0x7fffffff, 10)
		}
		return name
	case fire:
		return "timer " + s.w.ids[(id>>40)&0xffff]
	}
	return "wait"
}

// Eval evaluates a Lua expression in a node at the current step, as the
// REPL's inspect does in a live node. The expression may change the
// node's state; the branch is run again before it goes on, so that it
// does not.
func (s *Session) Eval(id, expr string) (string, error) {
	n, err := s.node(id)
	if err != nil {
		return "", err
	}
	if n.Killed() {
		return "", fmt.Errorf("%s %s: it has no Lua state to inspect", id, s.m.heldAs(s.w.index[id]))
	}
	v, err := n.Eval(expr)
	s.dirty = true
	return v, err
}

// State is a node's algorithm state at the current step (node.State).
func (s *Session) State(id string) (string, error) {
	n, err := s.node(id)
	if err != nil {
		return "", err
	}
	if n.Killed() {
		return "", fmt.Errorf("%s %s: it has no Lua state to inspect", id, s.m.heldAs(s.w.index[id]))
	}
	return n.State()
}

// Status is what a node is doing at the current step.
func (s *Session) Status(id string) (node.Status, error) {
	n, err := s.node(id)
	if err != nil {
		return node.Status{}, err
	}
	st := n.Status()
	if i := s.w.index[id]; s.m.held(i) {
		st.State = s.m.heldAs(i)
	}
	return st, nil
}

func (s *Session) node(id string) (*node.Node, error) {
	if err := s.ensure(); err != nil {
		return nil, err
	}
	i, ok := s.w.index[id]
	if !ok {
		return nil, fmt.Errorf("no node %q (nodes: %s)", id, strings.Join(s.w.ids, " "))
	}
	return s.m.nodes[i], nil
}

// BranchRun is a whole branch, run to its end.
type BranchRun struct {
	Outcome Outcome
	Err     error
	// Trace is the run with every node's exit, as explore writes it.
	Trace *trace.Trace
	// Steps is the number of steps; First[k] is the index in
	// Trace.Events of the first event of step k+1 (events before
	// First[0] were recorded as the nodes started).
	Steps int
	First []int
}

// StepOf is the step that recorded event i (an index in Trace.Events):
// 0 for the nodes' start.
func (r *BranchRun) StepOf(i int) int {
	k := 0
	for k < len(r.First) && r.First[k] <= i {
		k++
	}
	return k
}

// Finish runs the branch to its end on a machine of its own, continuing
// with the scheduler from where the branch stops, and stops the nodes as
// explore does; the session stays where it is.
func (s *Session) Finish() (*BranchRun, error) {
	m := newMachine(s.w, s.opts)
	m.reset(s.opts.Seed)
	rnd := newRandom(s.opts.Seed)
	run := &BranchRun{}
	if err := m.start(); err != nil {
		return nil, err
	}
	take := func(st step, drop string) error {
		run.First = append(run.First, len(m.events))
		if drop != "" {
			m.drop(st, drop)
			return nil
		}
		return m.exec(st)
	}
	out := Outcome(-1)
	for i, t := range s.path {
		if m.failed >= 0 {
			out = Failed
			break
		}
		m.advanceTo(t.now)
		st, ok := findIn(m, t)
		if !ok {
			return nil, fmt.Errorf("step %d of the branch is no longer enabled: the scripts are not deterministic (math.random?)", i+1)
		}
		redraw(rnd, t)
		if err := take(st, t.drop); err != nil {
			m.failed, m.err = st.node, err
		}
	}
	// The end the session found; with faults, the loop finds it again,
	// carrying out those due after the last step as the scheduler did.
	if out < 0 && s.end != nil && !(m.f.on && !m.f.replay) {
		out = *s.end
	}
	for out < 0 {
		switch {
		case m.failed >= 0:
			out = Failed
		case m.allFinished():
			out = Complete
		}
		if out >= 0 {
			break
		}
		en := m.enabled()
		switch {
		case len(en) == 0:
			out = Stalled
		case m.steps >= m.maxSteps:
			out = TooLong
		}
		if out >= 0 {
			break
		}
		st := en[rnd.pick(m, en)]
		if err := take(st, ""); err != nil {
			m.failed, m.err = st.node, err
		}
	}
	m.stopAfter(out)
	res := m.result(out, true)
	run.Outcome, run.Err, run.Trace, run.Steps = out, m.err, res.Trace, len(run.First)
	return run, nil
}

func findIn(m *machine, t taken) (step, bool) {
	if t.pseudo != nil {
		return *t.pseudo, true
	}
	for _, st := range m.candidates() {
		if st.id == t.id {
			return st, true
		}
	}
	return step{}, false
}

// redraw draws from r as the scheduler did when it picked t.
func redraw(r *random, t taken) {
	if t.among > 1 {
		r.below(uint64(t.among))
	}
}
