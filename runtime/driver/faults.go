package driver

import (
	"slices"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// The part of a scenario's fault plan (docs/scenario.md, Faults) that a
// node's own driver carries out, so that it is exact with respect to the
// node's events: the loss and duplication of its incoming links, drawn
// at the receiver like the delay, and its own crashes and pauses, at a
// time or right after its Count-th event of a kind. The launcher
// (runtime/cluster) carries out the rest: cuts and partitions through the
// link commands, the SIGCONT that ends a pause, restarts.

// Faults configures the driver's share of the plan; the zero value has none.
type Faults struct {
	// Link returns the loss and duplicate probabilities of the link from
	// -> this node; nil: neither.
	Link func(from string) LinkFaults
	// Seed is the run's seed: with the link and the message's place on
	// it, it decides a loss or a duplicate exactly as the simulator does
	// (draw), so a real run and a simulated one of the same seed lose
	// and duplicate the same messages.
	Seed int64
	// Origin is when the run began, on the run's clock (ns): a timed
	// fault's At counts from it.
	Origin int64
	// Own are this node's crashes and pauses.
	Own []Trigger
	// Incarnation is 0, or k for the node restarted for the k-th time;
	// then Received gives, per peer, the seq of the last message on the
	// peer's channel to this node that the node's earlier incarnations
	// received or lost (the numbering goes on from there), and Counts,
	// per event kind, the events they recorded (a fault after the
	// Count-th event counts them too). The driver records the restart
	// event before the node starts.
	Incarnation int
	Received    map[string]int64
	Counts      map[string]int
	// PeerRestarted is told, from the driver's goroutine, when the node
	// has taken in that peer restarted (OpPeerRestart): last is the seq
	// of its last message to the peer before (the dead incarnation lost
	// every one up to it it had not received). It is called before the
	// node records anything more, so whoever reads the node's record
	// learns it in order.
	PeerRestarted func(peer string, last int64)
	// Crash ends the process for good (SIGKILL), once the driver has
	// recorded the crash event and the messages already sent have left;
	// it flushes the trace first. A Crash that returns (a test's) stops
	// the driver as if the process had died: nothing more is recorded or
	// sent, and Run returns ErrCrashed.
	Crash func()
	// Pause stops the process (SIGSTOP) after the pause event is
	// recorded and flushed, and returns once it is continued; the driver
	// then records the resume event. Duration is the planned pause in
	// run nanoseconds (someone else continues the process).
	Pause func(duration int64)
}

// LinkFaults are a link's probabilities of losing a message and of
// delivering it twice, each in [0, 1].
type LinkFaults struct{ Loss, Duplicate float64 }

// Trigger is one crash or pause of this node.
type Trigger struct {
	Kind string // trace.Crash or trace.Pause
	// At is when, in run nanoseconds after the driver starts (speed
	// applied), when After is "".
	At int64
	// After is an event kind of this node (cs_enter, cs_exit, send,
	// recv): the fault comes right after its Count-th such event.
	After string
	Count int
	// Duration of a pause, in run nanoseconds.
	Duration int64

	seen  int
	fired bool
}

// ErrCrashed is Run's error when the node crashed by plan and Faults.Crash
// returned (only in tests: a real crash never returns).
var ErrCrashed = errorString("crashed by the scenario's fault plan")

type errorString string

func (e errorString) Error() string { return string(e) }

// fate draws, for the k-th message arriving from `from`, whether it is
// lost and whether it is delivered twice: a function of the seed, the
// link and k alone, whatever the other links do, and the simulator's
// own (runtime/sim, sendFault): the channel is numbered from*n+to in the
// scenario's order of the nodes.
func (d *Driver) fate(from string, k int64) (lost, dup bool) {
	if d.Faults.Link == nil {
		return false, false
	}
	f := d.Faults.Link(from)
	if f.Loss <= 0 && f.Duplicate <= 0 {
		return false, false
	}
	ids := d.node.Nodes()
	// The channel's index as the simulator numbers it: from's place times
	// the number of nodes plus to's.
	ci := uint64(slices.Index(ids, from)*len(ids) + slices.Index(ids, d.node.ID()))
	if f.Loss > 0 && scenario.NetworkDraw(d.Faults.Seed, ci, k, scenario.DrawLoss) < f.Loss {
		return true, false
	}
	return false, f.Duplicate > 0 && scenario.NetworkDraw(d.Faults.Seed, ci, k, scenario.DrawDuplicate) < f.Duplicate
}

// noteEvent counts e for the triggers waiting for its kind and carries
// out the one it completes: at once, or for a send once its message has
// left (Send).
func (d *Driver) noteEvent(e *trace.Event) {
	for i := range d.Faults.Own {
		t := &d.Faults.Own[i]
		if t.fired || t.After == "" || t.After != e.Ev {
			continue
		}
		t.seen++
		if t.seen < max(t.Count, 1) {
			continue
		}
		t.fired = true
		switch {
		case t.Kind == trace.Pause:
			d.pauseNext = t
		case e.Ev == trace.Send:
			d.afterSend = t
		default:
			d.act(t)
		}
		return
	}
}

// settle carries out, at the end of a step, the pause an event of it
// called for.
func (d *Driver) settle() {
	if t := d.pauseNext; t != nil && !d.crashed {
		d.pauseNext = nil
		d.act(t)
	}
}

// dueTrigger returns the earliest timed trigger due by now, or nil.
func (d *Driver) dueTrigger(now int64) *Trigger {
	var best *Trigger
	for i := range d.Faults.Own {
		t := &d.Faults.Own[i]
		if !t.fired && t.After == "" && d.Faults.Origin+t.At <= now && (best == nil || t.At < best.At) {
			best = t
		}
	}
	return best
}

// nextTrigger returns when the next timed trigger is due, or -1.
func (d *Driver) nextTrigger() int64 {
	next := int64(-1)
	for _, t := range d.Faults.Own {
		if at := d.Faults.Origin + t.At; !t.fired && t.After == "" && (next < 0 || at < next) {
			next = at
		}
	}
	return next
}

// restarted prepares a restarted incarnation before its node starts: the
// restart event, its channels' numbering, the events its earlier
// incarnations counted; a timed fault whose time has passed belonged to
// them.
func (d *Driver) restarted() {
	f := &d.Faults
	d.Record(trace.Event{Ev: trace.Restart, T: d.Now(), Node: d.node.ID()})
	for _, from := range d.node.Nodes() {
		if seq, ok := f.Received[from]; ok {
			d.node.Renumber(from, seq)
		}
	}
	now := d.Now()
	for i := range f.Own {
		t := &f.Own[i]
		if t.After != "" {
			t.seen = f.Counts[t.After]
			t.fired = t.seen >= max(t.Count, 1)
		} else if f.Origin+t.At <= now {
			t.fired = true
		}
	}
}

// lastSentTo is the seq of the last message this node sent to peer.
func (d *Driver) lastSentTo(peer string) int64 {
	if seq, ok := d.lastSent[peer]; ok {
		return seq
	}
	return trace.SeqBase(d.Faults.Incarnation)
}

// doPeerDown takes in that a peer crashed.
func (d *Driver) doPeerDown(c Command) Result {
	if len(c.Links.From) != 1 || !d.node.Knows(c.Links.From[0]) {
		return refuse("peer_down: expected one peer")
	}
	d.down[c.Links.From[0]] = true
	d.resetPeer(c.Links.From[0])
	return Result{}
}

// resetPeer has the transport forget what waits for peer, if it can.
func (d *Driver) resetPeer(peer string) {
	if r, ok := d.Transport.(interface{ Reset(string) }); ok {
		r.Reset(peer)
	}
}

// doPeerRestart takes in that a peer restarted as incarnation c.N: what
// waits in the transport for its dead incarnation is forgotten, and its
// new sends are numbered from SeqBase(c.N)+1, in the link's order.
func (d *Driver) doPeerRestart(c Command) Result {
	if len(c.Links.From) != 1 || !d.node.Knows(c.Links.From[0]) || c.N < 1 {
		return refuse("peer_restart: expected one peer and its incarnation ≥ 1")
	}
	peer := c.Links.From[0]
	d.resetPeer(peer)
	delete(d.down, peer)
	l := d.link(peer)
	mark := pending{m: wire.Message{Sender: peer}, at: l.last, renumber: trace.SeqBase(c.N)}
	d.order++
	mark.order = d.order
	l.queue = append(l.queue, mark)
	last := d.lastSentTo(peer)
	if d.Faults.PeerRestarted != nil {
		d.Faults.PeerRestarted(peer, last)
	}
	return Result{Seq: last}
}

// act carries out a trigger: records its event and crashes or pauses.
func (d *Driver) act(t *Trigger) {
	t.fired = true
	e := trace.Event{Ev: t.Kind, T: d.Now(), Node: d.node.ID(), LC: d.node.Clock()}
	switch t.Kind {
	case trace.Crash:
		d.Record(e)
		d.crashed = true
		if d.Faults.Crash != nil {
			d.Faults.Crash()
		}
	case trace.Pause:
		d.Record(e)
		if d.Faults.Pause != nil {
			d.Faults.Pause(t.Duration)
		}
		d.Record(trace.Event{Ev: trace.Resume, T: d.Now(), Node: d.node.ID(), LC: d.node.Clock()})
	}
}
