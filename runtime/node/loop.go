package node

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"

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
	// Commands are applied between events; nil when nobody controls the node.
	Commands <-chan Command

	node   *Node
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

// Command is a control command for a node, applied between events.
type Command struct {
	Name  string
	Args  []string
	Reply chan<- Result
}

// Result answers a Command.
type Result struct {
	OK   bool   `json:"ok"`
	Text string `json:"text"`
	// Status is set for "status".
	Status *Status `json:"status,omitempty"`
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
func (d *Driver) Run(ctx context.Context, n *Node) error {
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
			res := d.exec(c)
			if c.Reply != nil {
				c.Reply <- res
			}
		}
	}
}

// Node returns the node being driven.
func (d *Driver) Node() *Node { return d.node }

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
	shape := d.Network.LinkFor(m.Sender, d.node.id)
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

// exec applies a control command between events.
func (d *Driver) exec(c Command) Result {
	ok := func(format string, a ...any) Result { return Result{OK: true, Text: fmt.Sprintf(format, a...)} }
	bad := func(format string, a ...any) Result { return Result{Text: fmt.Sprintf(format, a...)} }
	// Link commands name the sender ("A1" of "A1->A2") or "all".
	links := func() ([]*link, []string, error) {
		if len(c.Args) == 0 {
			return nil, nil, fmt.Errorf("%s needs a link's sender or all", c.Name)
		}
		if c.Args[0] == "all" {
			var names []string
			for _, id := range d.node.cfg.Nodes {
				if id != d.node.id {
					names = append(names, id)
				}
			}
			ls := make([]*link, len(names))
			for i, f := range names {
				ls[i] = d.link(f)
			}
			return ls, names, nil
		}
		var ls []*link
		var names []string
		for _, f := range strings.Split(c.Args[0], ",") {
			if !d.node.known[f] || f == d.node.id {
				return nil, nil, fmt.Errorf("no link %s->%s", f, d.node.id)
			}
			ls = append(ls, d.link(f))
			names = append(names, f)
		}
		return ls, names, nil
	}
	switch c.Name {
	case "status":
		s := d.node.Status()
		if d.paused {
			s.State = "paused (" + s.State + ")"
		}
		return Result{OK: true, Status: &s}
	case "eval":
		v, err := d.node.Eval(strings.Join(c.Args, " "))
		if err != nil {
			return bad("%v", err)
		}
		return ok("%s", v)
	case "pause":
		d.paused = true
		return ok("%s paused", d.node.id)
	case "resume":
		d.paused = false
		return ok("%s resumed", d.node.id)
	case "hold", "release", "cut", "heal", "drop", "delay", "deliver":
		ls, names, err := links()
		if err != nil {
			return bad("%v", err)
		}
		n := 1
		if len(c.Args) > 1 && c.Name != "delay" {
			if n, err = strconv.Atoi(c.Args[1]); err != nil || n < 1 {
				return bad("%s: count %q: expected a whole number ≥ 1", c.Name, c.Args[1])
			}
		}
		moved := 0
		for _, l := range ls {
			switch c.Name {
			case "hold":
				l.held, l.credit = true, 0
			case "release":
				l.held, l.credit = false, 0
			case "cut":
				l.cut = true
				for _, p := range l.queue {
					d.node.Drop(p.m)
				}
				l.queue = nil
			case "heal":
				l.cut = false
			case "drop":
				l.drops += n
			case "deliver":
				k := min(n, len(l.queue))
				l.credit += k
				moved += k
			case "delay":
				if len(c.Args) < 2 {
					return bad("delay needs a duration in seconds")
				}
				if c.Args[1] == "off" {
					l.delay = nil
					continue
				}
				s, err := parseSeconds(c.Args[1])
				if err != nil {
					return bad("%v", err)
				}
				l.delay = &s
			}
		}
		if c.Name == "deliver" {
			return ok("%d message(s) released on %s->%s", moved, strings.Join(names, ","), d.node.id)
		}
		return ok("%s %s->%s", c.Name, strings.Join(names, ","), d.node.id)
	case "pending":
		var rows []string
		for _, f := range sortedKeys(d.links) {
			l := d.links[f]
			if len(l.queue) == 0 && !l.held {
				continue
			}
			var types []string
			for _, p := range l.queue {
				types = append(types, p.m.Type)
			}
			state := ""
			if l.held {
				state = " (held)"
			}
			rows = append(rows, fmt.Sprintf("%s->%s%s: %d [%s]", f, d.node.id, state, len(l.queue), strings.Join(types, " ")))
		}
		return ok("%s", strings.Join(rows, "\n"))
	}
	return bad("unknown command %q", c.Name)
}

func sortedKeys(m map[string]*link) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseSeconds reads "0.5", "500ms" or "2s".
func parseSeconds(s string) (float64, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("duration %q: expected seconds (0.5) or a Go duration (500ms)", s)
	}
	return f, nil
}
