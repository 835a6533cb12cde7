package driver

import (
	"fmt"
	"math"
	"slices"

	"mutexlab/runtime/node"
	"mutexlab/runtime/trace"
)

// Control commands are what a running node is asked from outside (the
// REPL, through runtime/cluster): look at it, pause it, shape its incoming
// links. They are data, not sentences: one Command with one Op and typed
// fields, answered by one Result. runtime/cluster carries both as JSON
// over the launcher's control connection; the Driver applies a command
// between two events, one handler per Op (driverOps).

// Op names a control command.
type Op string

// The control commands. Link commands act on the receiving node's side
// of its links (Command.Links names their senders), where each channel's
// order is kept.
const (
	OpStatus  Op = "status"  // Result.Status
	OpEval    Op = "eval"    // Expr; Result.Value
	OpState   Op = "state"   // Result.Value: the algorithm's state (Node.State)
	OpPause   Op = "pause"   // stop handling events; what arrives waits
	OpResume  Op = "resume"  // go on
	OpHold    Op = "hold"    // Links: their messages wait, in order
	OpRelease Op = "release" // Links: stop holding; what waited flows
	OpDeliver Op = "deliver" // Links, N: let the next N held messages through; Result.Moved
	OpDrop    Op = "drop"    // Links, N: lose the next N messages
	OpDelay   Op = "delay"   // Links, Delay: seconds per message; nil is the scenario's delay
	OpCut     Op = "cut"     // Links: lose what waits and what comes, until heal
	OpHeal    Op = "heal"    // Links: undo cut
	OpPending Op = "pending" // Result.Pending
	// OpPeerRestart: Links.From is one peer, restarted as incarnation N
	// (a fault of the plan); Result.Seq is the seq of the last message
	// this node sent it before.
	OpPeerRestart Op = "peer_restart"
	// OpPeerDown: Links.From is one peer that crashed: what waits for it
	// in the transport is forgotten, and what is sent to it until its
	// restart is not handed to the transport (the launcher records it
	// lost), rather than queued for a process that is gone.
	OpPeerDown Op = "peer_down"

	// Start and Stop are for the process that hosts the driver
	// (runtime/cluster's node process): start lets the run begin, stop
	// ends it, recording Reason in the node's exit event. They never
	// reach the driver.
	OpStart Op = "start"
	OpStop  Op = "stop"
)

// Links selects a node's incoming links by their senders: every one, or
// those of From.
type Links struct {
	All  bool     `json:"all,omitempty"`
	From []string `json:"from,omitempty"`
}

// Command is one control command; which fields count depends on Op.
type Command struct {
	Op    Op    `json:"op"`
	Links Links `json:"links,omitzero"`
	// N counts messages (deliver, drop); at least 1.
	N int `json:"n,omitempty"`
	// Delay is a link's delay in seconds before the speed divides it;
	// nil puts back the scenario's.
	Delay  *float64 `json:"delay,omitempty"`
	Expr   string   `json:"expr,omitempty"`   // eval: a Lua expression
	Reason string   `json:"reason,omitempty"` // stop: the exit event's text
	// Origin, on start, is when the run begins on its clock (ns): the
	// plan's timed faults count from it.
	Origin int64 `json:"origin,omitempty"`
	// Fault marks a cut or heal of the scenario's fault plan: the node
	// records it in the trace, one event per link (the REPL's own
	// steering records none).
	Fault bool `json:"fault,omitempty"`
}

// Result answers a Command.
type Result struct {
	// Err is why the node refused the command, one line; "" when it
	// applied it.
	Err     string        `json:"err,omitempty"`
	Status  *node.Status  `json:"status,omitempty"`  // status
	Value   string        `json:"value,omitempty"`   // eval
	Moved   int           `json:"moved,omitempty"`   // deliver: messages let through
	Pending []PendingLink `json:"pending,omitempty"` // pending
	Seq     int64         `json:"seq,omitempty"`     // peer_restart
}

// PendingLink is an incoming link with messages waiting on it: held,
// delayed, or behind a paused node.
type PendingLink struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Held  bool     `json:"held,omitempty"`
	Types []string `json:"types"` // the waiting messages' types, in order
}

// Request is a command on its way to the driver, with where to answer.
type Request struct {
	Command
	Reply chan<- Result
}

// handler applies one command to the driver, between events.
type handler func(d *Driver, c Command) Result

// driverOps is the driver's side of the command set: one handler per Op.
var driverOps = map[Op]handler{
	OpStatus: (*Driver).doStatus,
	OpEval:   (*Driver).doEval,
	OpState: func(d *Driver, _ Command) Result {
		v, err := d.node.State()
		if err != nil {
			return Result{Err: err.Error()}
		}
		return Result{Value: v}
	},
	OpPause:   func(d *Driver, _ Command) Result { d.paused = true; return Result{} },
	OpResume:  func(d *Driver, _ Command) Result { d.paused = false; return Result{} },
	OpHold:    eachLink(func(_ *Driver, l *link, _ Command) { l.held, l.credit = true, 0 }),
	OpRelease: eachLink(func(_ *Driver, l *link, _ Command) { l.held, l.credit = false, 0 }),
	OpDeliver: (*Driver).doDeliver,
	OpDrop:    eachLink(func(_ *Driver, l *link, c Command) { l.drops += c.N }),
	OpDelay:   eachLink(setDelay),
	OpCut:     (*Driver).doCut,
	OpHeal:    (*Driver).doHeal,
	OpPending: (*Driver).doPending,

	OpPeerRestart: (*Driver).doPeerRestart,
	OpPeerDown:    (*Driver).doPeerDown,
}

// apply runs a command's handler.
func (d *Driver) apply(c Command) Result {
	h, ok := driverOps[c.Op]
	if !ok {
		return refuse("%q is not a command a node applies", c.Op)
	}
	if err := c.check(); err != nil {
		return Result{Err: err.Error()}
	}
	return h(d, c)
}

func refuse(format string, a ...any) Result { return Result{Err: fmt.Sprintf(format, a...)} }

// check refuses fields out of range, before anything is changed.
func (c Command) check() error {
	switch c.Op {
	case OpDeliver, OpDrop:
		if c.N < 1 {
			return fmt.Errorf("%s: count %d: expected a whole number ≥ 1", c.Op, c.N)
		}
	case OpDelay:
		if c.Delay != nil && (*c.Delay < 0 || math.IsNaN(*c.Delay) || math.IsInf(*c.Delay, 0)) {
			return fmt.Errorf("delay: %g s: expected a number of seconds ≥ 0", *c.Delay)
		}
	}
	return nil
}

// selectLinks returns the links of sel, refusing a sender that is not a
// peer of this node.
func (d *Driver) selectLinks(op Op, sel Links) ([]*link, error) {
	ls, _, err := d.selectFrom(op, sel)
	return ls, err
}

// eachFrom applies fn to every selected link, with its sender.
func (d *Driver) eachFrom(c Command, fn func(from string, l *link)) Result {
	ls, from, err := d.selectFrom(c.Op, c.Links)
	if err != nil {
		return Result{Err: err.Error()}
	}
	for i, l := range ls {
		fn(from[i], l)
	}
	return Result{}
}

// selectFrom returns the links of sel and their senders.
func (d *Driver) selectFrom(op Op, sel Links) ([]*link, []string, error) {
	var from []string
	if sel.All {
		for _, id := range d.node.Nodes() {
			if id != d.node.ID() {
				from = append(from, id)
			}
		}
	} else {
		if len(sel.From) == 0 {
			return nil, nil, fmt.Errorf("%s needs a link's sender, or all", op)
		}
		for _, f := range sel.From {
			if !d.node.Knows(f) || f == d.node.ID() {
				return nil, nil, fmt.Errorf("no link %s->%s", f, d.node.ID())
			}
		}
		from = sel.From
	}
	ls := make([]*link, len(from))
	for i, f := range from {
		ls[i] = d.link(f)
	}
	return ls, from, nil
}

// eachLink makes a handler that applies fn to every selected link.
func eachLink(fn func(d *Driver, l *link, c Command)) handler {
	return func(d *Driver, c Command) Result {
		ls, err := d.selectLinks(c.Op, c.Links)
		if err != nil {
			return Result{Err: err.Error()}
		}
		for _, l := range ls {
			fn(d, l, c)
		}
		return Result{}
	}
}

func setDelay(_ *Driver, l *link, c Command) {
	l.delay = nil
	if c.Delay != nil {
		s := *c.Delay
		l.delay = &s
	}
}

// doCut cuts the selected links: it loses what waits on them, and arrive
// loses what comes.
func (d *Driver) doCut(c Command) Result {
	return d.eachFrom(c, func(from string, l *link) {
		if c.Fault {
			d.Record(trace.Event{Ev: trace.Cut, T: d.Now(), Node: d.node.ID(), LC: d.node.Clock(), From: from, To: d.node.ID()})
		}
		l.cut = true
		if c.Fault {
			// A cut of the plan loses what is sent from now on, as in the
			// simulator: what arrived already is on its way still.
			return
		}
		for _, p := range l.queue {
			if !p.dup && p.renumber == 0 {
				d.drop(p, trace.ReasonCut)
			}
		}
		l.queue = slices.DeleteFunc(l.queue, func(p pending) bool { return p.renumber == 0 })
	})
}

// doHeal undoes a cut.
func (d *Driver) doHeal(c Command) Result {
	return d.eachFrom(c, func(from string, l *link) {
		if c.Fault {
			d.Record(trace.Event{Ev: trace.Heal, T: d.Now(), Node: d.node.ID(), LC: d.node.Clock(), From: from, To: d.node.ID()})
		}
		l.cut = false
	})
}

func (d *Driver) doStatus(Command) Result {
	s := d.node.Status()
	return Result{Status: &s}
}

func (d *Driver) doEval(c Command) Result {
	v, err := d.node.Eval(c.Expr)
	if err != nil {
		return Result{Err: err.Error()}
	}
	return Result{Value: v}
}

// doDeliver lets up to N more of a held link's waiting messages through;
// a link that is not held lets everything through anyway and moves none.
func (d *Driver) doDeliver(c Command) Result {
	ls, err := d.selectLinks(c.Op, c.Links)
	if err != nil {
		return Result{Err: err.Error()}
	}
	moved := 0
	for _, l := range ls {
		if !l.held {
			continue
		}
		k := min(c.N, len(l.queue)-l.credit)
		if k > 0 {
			l.credit += k
			moved += k
		}
	}
	return Result{Moved: moved}
}

// doPending lists the links with messages waiting, senders in the
// scenario's order.
func (d *Driver) doPending(Command) Result {
	var rows []PendingLink
	for _, f := range d.node.Nodes() {
		l := d.links[f]
		if l == nil || len(l.queue) == 0 {
			continue
		}
		row := PendingLink{From: f, To: d.node.ID(), Held: l.held, Types: make([]string, len(l.queue))}
		for i, p := range l.queue {
			row.Types[i] = p.m.Type
		}
		rows = append(rows, row)
	}
	return Result{Pending: rows}
}
