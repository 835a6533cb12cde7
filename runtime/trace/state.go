package trace

import (
	"fmt"
	"maps"
	"slices"
)

// Phases of a node, as the trace tells them.
const (
	PhaseAbsent   = "absent"   // no event yet
	PhaseRunning  = "running"  // its main script runs, sleeps, or is in the critical section
	PhaseBlocked  = "blocked"  // its main script waits for a message or a condition
	PhaseFinished = "finished" // its main script returned; it still answers its peers
	PhaseDead     = "dead"     // it will never answer again: a script error, killed, crashed
	PhaseEnded    = "ended"    // it exited because the run ended (stopped, interrupted, stalled)
)

// Exit texts that end a node because the run ended, not because the node
// failed (docs/trace.md).
const (
	ExitStopped     = "stopped"
	ExitInterrupted = "interrupted"
	ExitStalled     = "stalled"
	ExitError       = "error"
	ExitKilled      = "killed"
)

// EndsRun reports whether an exit text means the run ended around the
// node (stopped, interrupted, stalled) rather than that the node died.
func EndsRun(text string) bool {
	switch text {
	case ExitStopped, ExitInterrupted, ExitStalled:
		return true
	}
	return false
}

// NodeState is what one node was doing after a prefix of its events: the
// one fold of "the state of a node after event k" that the checks, the
// timeline, the REPL's status and the launcher share.
type NodeState struct {
	Phase string
	// Wait is what a blocked node waits for; Block is the index (in the
	// caller's numbering) of the block event that said so, -1 if none.
	Wait  *Wait
	Block int
	// Before is the phase the node was in when the run ended around it
	// (PhaseEnded): blocked, running or finished.
	Before   string
	InCS     bool
	Round    int // the round of the last cs_enter
	Entries  int // cs_enter events
	LC       int64
	PID      int
	Finished bool   // the main script returned
	Exit     string // the exit event's text, once exited
	Why      string // for a dead node: the error or how it died
	// Crashed is set from a crash of the fault plan (CrashT its t) until
	// a restart; Paused between a pause and its resume; Restarts counts
	// the restarts.
	Crashed  bool
	CrashT   int64
	Paused   bool
	Restarts int
}

// NewNodeState is a node before its first event.
func NewNodeState() NodeState { return NodeState{Phase: PhaseAbsent, Block: -1} }

// Apply moves the state past event e, the i-th in the caller's numbering.
func (s *NodeState) Apply(i int, e *Event) {
	if e.Ev == Restart {
		// A new incarnation: fresh, its clock from 0, as if it had just
		// started.
		*s = NodeState{Phase: PhaseRunning, Block: -1, PID: s.PID, Restarts: s.Restarts + 1}
		return
	}
	if e.LC > s.LC {
		s.LC = e.LC
	}
	if s.Phase == PhaseAbsent {
		s.Phase = PhaseRunning
	}
	if s.Phase == PhaseDead || s.Phase == PhaseEnded {
		if e.Ev == Exit && s.Exit == "" {
			s.Exit = e.Text
		}
		return
	}
	switch e.Ev {
	case Start:
		s.PID = e.PID
	case Block:
		s.Phase, s.Wait, s.Block = PhaseBlocked, WaitOf(e), i
	case Unblock:
		s.Phase, s.Wait, s.Block = PhaseRunning, nil, -1
	case CSEnter:
		s.InCS, s.Round = true, e.Round
		s.Entries++
	case CSExit:
		s.InCS = false
	case Finish:
		s.Phase, s.Finished = PhaseFinished, true
	case Crash:
		s.Phase, s.Crashed, s.CrashT, s.InCS, s.Paused = PhaseDead, true, e.T, false, false
		s.Why = "crashed"
	case Pause:
		s.Paused = true
	case Resume:
		s.Paused = false
	case Error:
		s.Phase, s.Why = PhaseDead, e.Text
	case Exit:
		s.Exit = e.Text
		if EndsRun(e.Text) {
			s.Before, s.Phase = s.Phase, PhaseEnded
			return
		}
		s.Phase = PhaseDead
		if s.Why == "" {
			s.Why = e.Text
		}
	}
}

// Live is the phase that counts for a stall: a node the run ended around
// counts as what it was doing then.
// A node blocked inside its critical section is not waiting on anyone
// for the CS: it counts as running.
func (s *NodeState) Live() string {
	p := s.Phase
	if p == PhaseEnded {
		p = s.Before
	}
	if p == PhaseBlocked && s.InCS {
		return PhaseRunning
	}
	return p
}

// Gone says briefly why a dead node is gone: "killed", "script error",
// "crashed at 2.100s" (a crash of the fault plan, at the run's time).
func (s *NodeState) Gone() string {
	if s.Crashed {
		return fmt.Sprintf("crashed at %.3fs", float64(s.CrashT)/1e9)
	}
	if s.Exit != "" && s.Exit != ExitError {
		return s.Exit
	}
	return "script error"
}

// Ending is how a trace ends: each node's state, the messages still in
// flight to each node, and the stall if no node could move.
type Ending struct {
	States   map[string]*NodeState
	InFlight map[string]int // receiver -> messages sent to it, neither received nor dropped
	// Stall is set when the trace ends with at least one node blocked,
	// none running and no message in flight to a live node.
	Stall *Stall
}

// End folds events into how the trace ends. order lists the indices of
// events in an order that keeps each node's events in the node's own
// order (nil: as they are); a state's Block indexes events. nodes gives
// the order in which stalled nodes are listed.
func End(nodes []string, events []Event, order []int) Ending {
	x := NewEnder(nodes)
	if order == nil {
		for i := range events {
			x.Apply(i, &events[i])
		}
	} else {
		for _, i := range order {
			x.Apply(i, &events[i])
		}
	}
	return x.Ending(nodes)
}

// Ender is End one event at a time, for a reader that walks a trace
// rather than holding it (Index.Walk): what it keeps is each node's state
// and the messages in flight.
type Ender struct {
	end  Ending
	open map[msgKey]bool // sent and not received or dropped, or the other way round
	lost Lost
}

// Lost is, per link (from, to), the messages dropped on it by type and
// why, until one of that type arrives: a stall names them.
type Lost map[[2]string]map[string]string

// Apply takes the next event of a node, in the node's own order.
func (l Lost) Apply(e *Event) {
	switch e.Ev {
	case Recv:
		if m := l[[2]string{e.From, e.Node}]; m != nil {
			delete(m, e.Type)
		}
	case Drop:
		link := [2]string{e.From, e.Node}
		if l[link] == nil {
			l[link] = map[string]string{}
		}
		reason := e.Reason
		if reason == "" {
			reason = ReasonSteered
		}
		l[link][e.Type] = reason
	}
}

// NewEnder starts the fold with nodes in their first state.
func NewEnder(nodes []string) *Ender {
	x := &Ender{end: Ending{States: map[string]*NodeState{}, InFlight: map[string]int{}}, open: map[msgKey]bool{},
		lost: Lost{}}
	for _, id := range nodes {
		x.State(id)
	}
	return x
}

// State returns the state of node id so far.
func (x *Ender) State(id string) *NodeState {
	s := x.end.States[id]
	if s == nil {
		ns := NewNodeState()
		s = &ns
		x.end.States[id] = s
	}
	return s
}

// Apply moves the fold past event e, the i-th in the caller's numbering;
// each node's events must come in the node's own order.
func (x *Ender) Apply(i int, e *Event) {
	if e.Node == "" {
		return
	}
	x.State(e.Node).Apply(i, e)
	var k msgKey
	switch e.Ev {
	case Recv:
		x.lost.Apply(e)
		if e.Dup {
			return // a copy of a message received already
		}
		k = msgKey{e.From, e.Node, e.Seq}
	case Send:
		k = msgKey{e.Node, e.To, e.Seq}
	case Drop:
		x.lost.Apply(e)
		k = msgKey{e.From, e.Node, e.Seq}
	default:
		return
	}
	// A send and its receive cancel out, whichever comes first.
	if x.open[k] {
		delete(x.open, k)
	} else {
		x.open[k] = true
	}
}

// Ending is how the trace ends after the events applied so far: the
// messages still in flight to each live node, and the stall if no node
// can move. nodes gives the order in which stalled nodes are listed.
func (x *Ender) Ending(nodes []string) Ending {
	for _, id := range nodes {
		x.State(id)
	}
	end := x.end
	end.InFlight = map[string]int{}
	for k := range x.open {
		if st := end.States[k.to]; st != nil && st.Live() != PhaseDead && st.Live() != PhaseAbsent {
			end.InFlight[k.to]++
		}
	}
	end.Stall = end.findStall(nodes, x.lost)
	return end
}

// Conclude is Ender.Ending for a reader that folded each node's state
// itself (NodeState.Apply over each node's events in the node's own
// order) and counted the messages still in flight to each live node
// (neither dead nor absent; nil when there are none): it finds the stall.
// lost is called only when the stall needs it (no node runs, some node
// waits): the messages lost, folded by Lost.Apply. The check package
// does so from the sends and receives it has matched anyway.
func Conclude(nodes []string, states map[string]*NodeState, inFlight map[string]int, lost func() Lost) Ending {
	end := Ending{States: states, InFlight: inFlight}
	blocked := false
	for _, id := range nodes {
		if st := states[id]; st != nil {
			switch st.Live() {
			case PhaseRunning:
				return end // no stall
			case PhaseBlocked:
				blocked = true
			}
		}
	}
	if !blocked {
		return end // no stall: nobody waits
	}
	var l Lost
	if lost != nil {
		l = lost()
	}
	end.Stall = end.findStall(nodes, l)
	return end
}

// lossText says why a message to receiver was lost, from its drop's
// reason.
func lossText(reason, receiver string) string {
	switch reason {
	case ReasonLoss:
		return "the link lost it"
	case ReasonCut:
		return "the link was cut"
	case ReasonCrashed:
		return receiver + " had crashed"
	case ReasonSteered:
		return "dropped by hand"
	}
	return reason
}

func (end *Ending) findStall(nodes []string, lost Lost) *Stall {
	var blocked []Blocked
	gone := map[string]string{}
	for _, id := range nodes {
		st := end.States[id]
		switch st.Live() {
		case PhaseRunning:
			return nil
		case PhaseBlocked:
			b := Blocked{Node: id, Wait: st.Wait}
			if st.Wait != nil {
				for _, f := range st.Wait.From {
					if why, ok := lost[[2]string{f, id}][st.Wait.Type]; ok && st.Wait.Type != "" {
						b.Lost = append(b.Lost, fmt.Sprintf("%s's %s to it was lost (%s)", f, st.Wait.Type, lossText(why, "it")))
					}
					out := lost[[2]string{id, f}]
					for _, typ := range slices.Sorted(maps.Keys(out)) {
						b.Lost = append(b.Lost, fmt.Sprintf("its %s to %s was lost (%s)", typ, f, lossText(out[typ], f)))
					}
				}
			}
			blocked = append(blocked, b)
		case PhaseDead:
			gone[id] = st.Gone()
		}
	}
	if len(blocked) == 0 {
		return nil
	}
	for _, n := range end.InFlight {
		if n > 0 {
			return nil
		}
	}
	s := Analyze(blocked, gone)
	return &s
}
