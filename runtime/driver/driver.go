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

	node   *node.Node
	rng    *rand.Rand
	timers []timer
	links  map[string]*link
	order  int64 // arrival counter: ties go to the first arrival
	paused bool
	wake   *time.Timer
}

type timer struct {
	at int64
	id uint64
}

type pending struct {
	m     wire.Message
	at    int64 // deliverable from
	order int64
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
}

// Now implements Host.
func (d *Driver) Now() int64 { return time.Since(d.Epoch).Nanoseconds() }

// Send implements Host.
func (d *Driver) Send(to string, m wire.Message) error { return d.Transport.Send(to, m) }

// SetTimer implements Host.
func (d *Driver) SetTimer(at int64, id uint64) {
	d.timers = append(d.timers, timer{at, id})
}

// Record implements Host.
func (d *Driver) Record(e trace.Event) {
	if d.Sink != nil {
		d.Sink.Record(e)
	}
}

// Run starts n and drives it until ctx ends or the node fails. On return
// the node has recorded its exit (reason "stopped" when ctx ended) and its
// VM is closed. The error is the node's script error, if any.
func (d *Driver) Run(ctx context.Context, n *node.Node) error {
	d.node = n
	d.rng = rand.New(rand.NewSource(d.Seed))
	d.links = map[string]*link{}
	if !(d.Speed > 0) {
		n.Stop("error")
		return fmt.Errorf("driver: speed %v: expected a number > 0", d.Speed)
	}
	d.wake = time.NewTimer(time.Hour)
	defer d.wake.Stop()
	if err := n.Start(); err != nil {
		n.Stop("error")
		return err
	}
	in := d.Transport.Incoming()
	for {
		if err := d.step(); err != nil {
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

// arrive queues a message on its link with the link's delay.
func (d *Driver) arrive(m wire.Message) {
	l := d.link(m.Sender)
	now := d.Now()
	if l.cut {
		d.node.Drop(m)
		return
	}
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
	l.queue = append(l.queue, pending{m: m, at: at, order: d.order})
}

// step handles everything due now, earliest first.
func (d *Driver) step() error {
	for !d.paused {
		now := d.Now()
		var (
			best   *link
			bestAt int64
			bestO  int64
		)
		for _, l := range d.links {
			if len(l.queue) == 0 || (l.held && l.credit == 0) {
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
			if best.held {
				best.credit--
			}
			if best.drops > 0 {
				best.drops--
				best.dropped++
				d.node.Drop(p.m)
				continue
			}
			if err := d.node.Deliver(p.m); err != nil {
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
	}
	return nil
}

// rearm sets the wake-up timer to the next due link head or timer.
func (d *Driver) rearm() {
	next := int64(-1)
	if !d.paused {
		for _, l := range d.links {
			if len(l.queue) > 0 && !(l.held && l.credit == 0) && (next < 0 || l.queue[0].at < next) {
				next = l.queue[0].at
			}
		}
		for _, t := range d.timers {
			if next < 0 || t.at < next {
				next = t.at
			}
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
