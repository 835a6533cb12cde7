// Package driver runs a node (runtime/node, a state machine with no I/O
// and no clock) in real time over a transport: timers on the wall clock,
// links shaped at the receiver, control commands applied between events.
// It is the node's Host in node processes; the simulator (runtime/sim) is
// the other Host, with virtual time.
package driver

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// Driver runs a Node in real time over a Transport: the node's Host for
// real runs. One goroutine (Run) owns the node; messages, timers and
// control commands all pass through it, so a command is applied between
// two events, never in the middle of a handler.
//
// The driver also shapes the node's incoming links, at the receiver so
// that each channel's numbering stays consistent: the scenario's delay and
// jitter (FIFO kept), and the REPL's hold, deliver, drop, delay and
// partition.
type Driver struct {
	Transport transport.Transport
	Sink      trace.Sink
	// Epoch is the origin of the run's shared clock.
	Epoch   time.Time
	Network scenario.Network
	// Speed divides the link delays, as the node's own Speed divides
	// its sleeps (scenario.Nanos); > 0.
	Speed float64
	// Seed seeds the jitter: scenario.NodeSeed of the run's seed and the
	// node's id.
	Seed int64
	// Commands are applied between events (control.go); nil when nobody
	// controls the node.
	Commands <-chan Request
	// Faults is the driver's share of the scenario's fault plan
	// (faults.go).
	Faults Faults

	node   *node.Node
	rng    *rand.Rand
	timers []timer
	links  map[string]*link
	order  int64 // arrival counter: ties go to the first arrival
	paused bool
	wake   *time.Timer
	// lastSent is, per peer, the seq of the last message sent to it.
	lastSent map[string]int64
	down     map[string]bool // peers crashed, not restarted (OpPeerDown)

	afterSend *Trigger
	pauseNext *Trigger // a pause after an event: at the end of the step, as in the simulator
	crashed   bool
}

type timer struct {
	at int64
	id uint64
}

type pending struct {
	m     wire.Message
	at    int64 // deliverable from
	order int64
	lost  bool // lost by the link's loss probability: dropped in its turn
	dup   bool // the second delivery of a duplicated message
	// renumber, when not 0, is no message but a mark in the link's order:
	// from here on the sender numbers from renumber+1 (it restarted).
	renumber int64
}

// link is one incoming channel (from -> this node).
type link struct {
	queue   []pending
	last    int64 // the latest release time so far: FIFO under jitter
	held    bool
	credit  int // messages that may pass while held
	drops   int // the next messages to lose
	cut     bool
	delay   *float64 // REPL override, seconds
	dropped int
	arrived int64 // messages that came in on the link so far: the next one's place
}

// Now implements Host.
func (d *Driver) Now() int64 { return time.Since(d.Epoch).Nanoseconds() }

// Send implements Host. A send that completes a crash or pause trigger
// (Faults) is carried out once its message has left.
func (d *Driver) Send(to string, m wire.Message) error {
	if d.crashed {
		return nil
	}
	var err error
	if !d.down[to] {
		err = d.Transport.Send(to, m)
	}
	if t := d.afterSend; t != nil {
		d.afterSend = nil
		d.act(t)
	}
	return err
}

// SetTimer implements Host.
func (d *Driver) SetTimer(at int64, id uint64) {
	d.timers = append(d.timers, timer{at, id})
}

// Record implements Host.
func (d *Driver) Record(e trace.Event) {
	if d.crashed {
		return // the process is dead: what it would do after is not
	}
	if e.Ev == trace.Send {
		d.lastSent[e.To] = e.Seq
	}
	if d.Sink != nil {
		d.Sink.Record(e)
	}
	if len(d.Faults.Own) > 0 {
		d.noteEvent(&e)
	}
}

// deliver hands p to the node.
func (d *Driver) deliver(p pending) error {
	if p.dup {
		return d.node.DeliverDup(p.m)
	}
	return d.node.Deliver(p.m)
}

// drop has the node record p as lost, for reason.
func (d *Driver) drop(p pending, reason string) { d.node.DropBecause(p.m, reason) }

// Run starts n and drives it until ctx ends or the node fails. On return
// the node has recorded its exit (reason "stopped" when ctx ended) and its
// VM is closed. The error is the node's script error, if any.
func (d *Driver) Run(ctx context.Context, n *node.Node) error {
	d.node = n
	d.rng = rand.New(rand.NewSource(d.Seed))
	d.links = map[string]*link{}
	d.lastSent = map[string]int64{}
	d.down = map[string]bool{}
	if !(d.Speed > 0) {
		n.Stop("error")
		return fmt.Errorf("driver: speed %v: expected a number > 0", d.Speed)
	}
	d.wake = time.NewTimer(time.Hour)
	defer d.wake.Stop()
	if d.Faults.Incarnation > 0 {
		d.restarted()
	}
	// A fault due already comes before anything else.
	for t := d.dueTrigger(d.Now()); t != nil && !d.crashed; t = d.dueTrigger(d.Now()) {
		d.act(t)
	}
	if d.crashed {
		n.Kill()
		return ErrCrashed
	}
	err := n.Start()
	d.settle()
	if err != nil || d.crashed {
		if d.crashed {
			n.Kill()
			return ErrCrashed
		}
		n.Stop("error")
		return err
	}
	in := d.Transport.Incoming()
	for {
		err := d.step()
		if d.crashed {
			n.Kill() // records nothing: only closes the VM
			return ErrCrashed
		}
		if err != nil {
			n.Stop("error")
			return err
		}
		d.rearm()
		select {
		case <-ctx.Done():
			// The reason is the context's cause (context.WithCancelCause),
			// "stopped" for a plain cancel.
			reason := "stopped"
			if c := context.Cause(ctx); c != nil && c != context.Canceled {
				reason = c.Error()
			}
			n.Stop(reason)
			return nil
		case m := <-in:
			d.arrive(m)
		case <-d.wake.C:
		case c := <-d.Commands:
			res := d.apply(c.Command)
			if c.Reply != nil {
				c.Reply <- res
			}
		}
	}
}

// Node returns the node being driven.
func (d *Driver) Node() *node.Node { return d.node }

func (d *Driver) link(from string) *link {
	l, ok := d.links[from]
	if !ok {
		l = &link{}
		d.links[from] = l
	}
	return l
}

// arrive queues a message on its link with the link's delay; a lost
// one is queued too, and dropped in its turn, so the link's order holds.
func (d *Driver) arrive(m wire.Message) {
	l := d.link(m.Sender)
	now := d.Now()
	l.arrived++
	if l.cut {
		d.drop(pending{m: m}, trace.ReasonCut)
		return
	}
	lost, dup := d.fate(m.Sender, l.arrived)
	shape := d.Network.LinkFor(m.Sender, d.node.ID())
	delay := shape.Delay
	if l.delay != nil {
		delay = *l.delay
	}
	if shape.Jitter > 0 {
		delay += d.rng.Float64() * shape.Jitter
	}
	at := now + scenario.Nanos(delay, d.Speed)
	if at < l.last {
		at = l.last
	}
	l.last = at
	d.order++
	l.queue = append(l.queue, pending{m: m, at: at, order: d.order, lost: lost})
	if dup {
		d.order++
		l.queue = append(l.queue, pending{m: m, at: at, order: d.order, dup: true})
	}
}

// step handles everything due now, earliest first.
func (d *Driver) step() error {
	for !d.paused && !d.crashed {
		now := d.Now()
		if t := d.dueTrigger(now); t != nil {
			d.act(t)
			continue
		}
		var (
			best   *link
			bestAt int64
			bestO  int64
		)
		for _, l := range d.links {
			if len(l.queue) == 0 || (l.held && l.credit == 0 && l.queue[0].renumber == 0) {
				continue
			}
			h := l.queue[0]
			if h.at > now {
				continue
			}
			if best == nil || h.at < bestAt || (h.at == bestAt && h.order < bestO) {
				best, bestAt, bestO = l, h.at, h.order
			}
		}
		ti := -1
		for i, t := range d.timers {
			if t.at <= now && (ti < 0 || t.at < d.timers[ti].at) {
				ti = i
			}
		}
		switch {
		case best != nil && (ti < 0 || bestAt <= d.timers[ti].at):
			p := best.queue[0]
			best.queue = best.queue[1:]
			if p.renumber != 0 {
				d.node.Renumber(p.m.Sender, p.renumber)
				continue
			}
			if best.held {
				best.credit--
			}
			switch {
			case p.dup && best.drops > 0:
				continue // its original's fate was drawn; a copy is not a message of its own
			case p.lost:
				d.drop(p, trace.ReasonLoss)
				continue
			case best.drops > 0:
				best.drops--
				best.dropped++
				d.drop(p, trace.ReasonSteered)
				continue
			}
			if err := d.deliver(p); err != nil {
				return err
			}
		case ti >= 0:
			t := d.timers[ti]
			d.timers = append(d.timers[:ti], d.timers[ti+1:]...)
			if err := d.node.Fire(t.id); err != nil {
				return err
			}
		default:
			return nil
		}
		d.settle()
	}
	return nil
}

// rearm sets the wake-up timer to the next due link head or timer.
func (d *Driver) rearm() {
	next := int64(-1)
	if !d.paused {
		for _, l := range d.links {
			if len(l.queue) > 0 && !(l.held && l.credit == 0 && l.queue[0].renumber == 0) && (next < 0 || l.queue[0].at < next) {
				next = l.queue[0].at
			}
		}
		for _, t := range d.timers {
			if next < 0 || t.at < next {
				next = t.at
			}
		}
		if at := d.nextTrigger(); at >= 0 && (next < 0 || at < next) {
			next = at
		}
	}
	if !d.wake.Stop() {
		select {
		case <-d.wake.C:
		default:
		}
	}
	if next >= 0 {
		wait := time.Duration(next - d.Now())
		if wait < 0 {
			wait = 0
		}
		d.wake.Reset(wait)
	}
}
