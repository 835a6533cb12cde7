// Faults in the simulator: the scenario's fault plan (crash, restart,
// pause, cut, partition) carried out at its virtual times or right after
// the events it names, and the network's loss and duplicate drawn per
// message from the seed (docs/scenario.md, Faults; docs/trace.md,
// Faults). Everything here is a function of the seed and the steps
// taken, so a schedule with faults replays like any other.

package sim

import (
	"slices"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// faultState is a machine's record of the faults in force.
type faultState struct {
	on     bool             // a plan, a loss or a duplicate: the paths below are taken
	plan   []scenario.Fault // the scenario's, then those explore chose
	agenda []agendaItem     // timed faults still to come, by (at, seq)
	seq    int
	down   []bool  // per node: crashed, not restarted
	paused []bool  // per node
	incarn []int   // per node: restarts so far
	cuts   []int   // per channel: cuts in force
	counts []int   // per plan step with After: the events counted
	lastLC []int64 // per node: the clock at its crash point
	// crashing is set, per node, from the event a crash follows until the
	// end of the step: what the node does in between is lost with it.
	// crashSend lets the send of a crash that follows a send go out.
	crashing  []uint8
	pauseNext []int // per node: the plan step of a pause due at the end of the step, -1
	sendSeq   int64 // the seq of the send event being made (Record, then Send)
	appliedAt int64 // when the last fault was carried out
	lastMsg   []wire.Message
	// replay: the faults come from the recording (replayer), not the plan;
	// crashAfter[node] lists the counts of events after which it crashes.
	replay bool
	// points are the faults explore chose for the schedule; marks the
	// lost ("loss") and duplicated ("duplicate") messages among them, by
	// (channel, place on it).
	points     []FaultPoint
	marks      map[[2]int64]string
	crashPlan  [][]int // as the recording shows them
	crashAfter [][]int // what is left of them in this run
}

const (
	crashNow uint8 = iota + 1
	crashSend
)

// agendaItem is a fault due at a virtual time.
type agendaItem struct {
	at    int64
	seq   int
	op    string // trace.Crash, Restart, Pause, Resume, Cut, Heal
	node  int
	links []int // cut, heal: channels
	dur   int64 // pause, cut: how long; 0 for good
}

// resetFaults prepares the fault state for a schedule.
func (m *machine) resetFaults() {
	f := &m.f
	n := len(m.w.ids)
	f.on = f.replay || len(f.plan) > 0 || m.w.lossy || len(f.marks) > 0
	if !f.on {
		return
	}
	f.down = resize(f.down, n)
	f.paused = resize(f.paused, n)
	f.incarn = resize(f.incarn, n)
	f.lastLC = resize(f.lastLC, n)
	f.crashing = resize(f.crashing, n)
	f.pauseNext = resize(f.pauseNext, n)
	for i := range f.pauseNext {
		f.pauseNext[i] = -1
	}
	f.cuts = resize(f.cuts, n*n)
	f.lastMsg = resize(f.lastMsg, n*n)
	f.counts = resize(f.counts, len(f.plan))
	f.agenda, f.seq, f.sendSeq, f.appliedAt = f.agenda[:0], 0, 0, 0
	if f.replay {
		f.crashAfter = resize(f.crashAfter, n)
		for i := range f.crashAfter {
			if i < len(f.crashPlan) {
				f.crashAfter[i] = f.crashPlan[i]
			}
		}
		return
	}
	for _, ft := range f.plan {
		if ft.After != "" {
			continue
		}
		m.enqueueFault(m.planItem(ft, scenario.Nanos(ft.At, m.w.s.Speed)))
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// planItem turns a step of the plan into what the agenda carries out.
func (m *machine) planItem(ft scenario.Fault, at int64) agendaItem {
	it := agendaItem{at: at, op: ft.Kind, node: -1, dur: scenario.Nanos(ft.Duration, m.w.s.Speed)}
	switch ft.Kind {
	case scenario.Crash, scenario.Restart, scenario.Pause:
		it.node = m.w.index[ft.Node]
	case scenario.Cut, scenario.Partition:
		it.op = trace.Cut
		n := len(m.w.ids)
		for _, l := range m.w.s.FaultLinks(ft) {
			it.links = append(it.links, m.w.index[l[0]]*n+m.w.index[l[1]])
		}
	}
	return it
}

// enqueueFault puts it on the agenda, after those due at the same time.
func (m *machine) enqueueFault(it agendaItem) {
	f := &m.f
	it.seq = f.seq
	f.seq++
	k, _ := slices.BinarySearchFunc(f.agenda, it, func(a, b agendaItem) int {
		switch {
		case a.at != b.at:
			return cmpInt(a.at, b.at)
		default:
			return a.seq - b.seq
		}
	})
	f.agenda = slices.Insert(f.agenda, k, it)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// nextFault returns when the next timed fault is due.
func (m *machine) nextFault() (int64, bool) {
	if !m.f.on || len(m.f.agenda) == 0 {
		return 0, false
	}
	return m.f.agenda[0].at, true
}

// advanceTo lets virtual time pass to t, carrying out every fault due by
// then at its own time.
func (m *machine) advanceTo(t int64) {
	for m.f.on && len(m.f.agenda) > 0 && m.f.agenda[0].at <= t {
		it := m.f.agenda[0]
		m.f.agenda = slices.Delete(m.f.agenda, 0, 1)
		m.now = max(m.now, it.at)
		m.f.appliedAt = m.now
		m.apply(it)
	}
	m.now = max(m.now, t)
}

// apply carries out one fault.
func (m *machine) apply(it agendaItem) {
	switch it.op {
	case trace.Crash:
		m.crash(it.node)
	case trace.Restart:
		m.restart(it.node)
	case trace.Pause:
		m.pause(it.node, it.dur)
	case trace.Resume:
		m.resume(it.node)
	case trace.Cut:
		m.cutLinks(it.links, it.dur)
	case trace.Heal:
		m.healLinks(it.links)
	}
}

// put records an event the machine makes on node i's behalf (a fault, a
// drop at a crashed node or a cut link), at the current time.
func (m *machine) put(i int, e trace.Event) {
	e.T, e.Node = m.now, m.w.ids[i]
	m.append(i, &e)
}

// clockOf is node i's clock as it stands (as it stood at its crash).
func (m *machine) clockOf(i int) int64 {
	if m.f.down[i] {
		return m.f.lastLC[i]
	}
	return m.nodes[i].Clock()
}

// crash stops node i for good: its timers die, the messages in flight
// to it are dropped (a duplicate's copy without a trace: it takes no
// seq), and so is every message sent to it from now on.
func (m *machine) crash(i int) {
	f := &m.f
	if f.down[i] || m.nodes[i] == nil {
		return
	}
	lc := m.nodes[i].Clock()
	if f.crashing[i] != 0 {
		lc = f.lastLC[i]
	}
	f.crashing[i], f.paused[i], f.pauseNext[i] = 0, false, -1
	m.put(i, trace.Event{Ev: trace.Crash, LC: lc})
	m.hist[i] = mix(m.hist[i], uint64(0xc4a54)<<8, uint64(m.now))
	m.nodes[i].Kill()
	f.down[i], f.lastLC[i] = true, lc
	m.timers = slices.DeleteFunc(m.timers, func(t timer) bool { return t.node == i })
	n := len(m.w.ids)
	for from := range n {
		c := &m.chans[from*n+i]
		for k := c.head; k < len(c.q); k++ {
			if p := c.q[k]; !p.dup {
				m.put(i, trace.Event{Ev: trace.Drop, LC: lc, From: m.w.ids[from], Type: p.m.Type, TS: p.m.TS, Seq: p.seq, Reason: trace.ReasonCrashed})
			}
			c.q[k] = pending{}
		}
		c.q, c.head = c.q[:0], 0
		m.empty(from*n + i)
	}
}

// restart starts crashed node i again, fresh: a new Lua state running its
// role script from the top, its clock from 0, its sends numbered from
// its new incarnation's base. A node that is not down is left alone.
func (m *machine) restart(i int) {
	f := &m.f
	if !f.down[i] {
		return
	}
	f.incarn[i]++
	cfg := m.w.cfgs[i]
	cfg.Seed = scenario.NodeSeed(m.seed, m.w.ids[i])
	cfg.Incarnation = f.incarn[i]
	f.down[i] = false
	m.put(i, trace.Event{Ev: trace.Restart})
	m.hist[i] = mix(m.hist[i], uint64(0x4e57a47)<<8, uint64(m.now))
	n, err := node.New(cfg, m.hosts[i])
	if err != nil {
		f.down[i] = true
		m.failed, m.err = i, err
		return
	}
	m.nodes[i] = n
	if err := n.Start(); err != nil && !f.down[i] {
		m.failed, m.err = i, err
	}
	m.settle(i)
}

// pause holds node i: nothing is delivered to it and no timer of its
// fires until it resumes, dur from now (0: until a resume comes).
func (m *machine) pause(i int, dur int64) {
	f := &m.f
	if f.down[i] || f.paused[i] {
		return
	}
	f.paused[i] = true
	m.put(i, trace.Event{Ev: trace.Pause, LC: m.clockOf(i)})
	if dur > 0 {
		m.enqueueFault(agendaItem{at: m.now + dur, op: trace.Resume, node: i})
	}
}

func (m *machine) resume(i int) {
	f := &m.f
	if !f.paused[i] {
		return
	}
	f.paused[i] = false
	m.put(i, trace.Event{Ev: trace.Resume, LC: m.clockOf(i)})
}

// cutLinks cuts the channels for dur (0: for good); each records its cut
// on the receiving node.
func (m *machine) cutLinks(links []int, dur int64) {
	n := len(m.w.ids)
	for _, ci := range links {
		m.f.cuts[ci]++
		to := ci % n
		m.put(to, trace.Event{Ev: trace.Cut, LC: m.clockOf(to), From: m.w.ids[ci/n], To: m.w.ids[to]})
	}
	if dur > 0 {
		m.enqueueFault(agendaItem{at: m.now + dur, op: trace.Heal, node: -1, links: links})
	}
}

func (m *machine) healLinks(links []int) {
	n := len(m.w.ids)
	for _, ci := range links {
		if m.f.cuts[ci] == 0 {
			continue
		}
		m.f.cuts[ci]--
		to := ci % n
		m.put(to, trace.Event{Ev: trace.Heal, LC: m.clockOf(to), From: m.w.ids[ci/n], To: m.w.ids[to]})
	}
}

// triggered counts node i's event e for the plan's steps that follow
// events, and marks a crash or a pause whose count it completes.
func (m *machine) triggered(i int, e *trace.Event) {
	f := &m.f
	if f.replay {
		if len(f.crashAfter[i]) > 0 && f.crashAfter[i][0] == m.counts[i] {
			f.crashAfter[i] = f.crashAfter[i][1:]
			m.markCrash(i, e)
		}
		return
	}
	for k, ft := range f.plan {
		if ft.After == "" || ft.After != e.Ev || m.w.index[ft.Node] != i {
			continue
		}
		f.counts[k]++
		if f.counts[k] != ft.Count {
			continue
		}
		if ft.Kind == scenario.Crash {
			m.markCrash(i, e)
		} else if f.pauseNext[i] < 0 {
			f.pauseNext[i] = k
		}
	}
}

// markCrash crashes node i right after its event e: the rest of the step
// is lost with it (but the message of a send goes out).
func (m *machine) markCrash(i int, e *trace.Event) {
	f := &m.f
	if f.crashing[i] != 0 {
		return
	}
	f.crashing[i], f.lastLC[i] = crashNow, e.LC
	if e.Ev == trace.Send {
		f.crashing[i] = crashSend
	}
}

// settle carries out, at the end of node i's step (or start), the crash
// or the pause its events called for.
func (m *machine) settle(i int) {
	if !m.f.on || i < 0 {
		return
	}
	f := &m.f
	if f.crashing[i] != 0 {
		m.crash(i)
	}
	if k := f.pauseNext[i]; k >= 0 {
		f.pauseNext[i] = -1
		m.pause(i, scenario.Nanos(f.plan[k].Duration, m.w.s.Speed))
	}
}

// sendFault decides what becomes of a message node from sends on channel
// ci: dropped now (its receiver crashed, or the link is cut), or
// enqueued, lost or duplicated on the way. ok is false when it was dropped
// or not sent at all (its sender crashed before it).
func (m *machine) sendFault(from, ci int, msg wire.Message, c *channel) (p pending, dup, ok bool) {
	f := &m.f
	switch f.crashing[from] {
	case crashNow:
		return pending{}, false, false
	case crashSend:
		f.crashing[from] = crashNow
	}
	n := len(m.w.ids)
	to := ci % n
	p = pending{m: msg, seq: f.sendSeq}
	reason := ""
	switch {
	case f.down[to]:
		reason = trace.ReasonCrashed
	case f.cuts[ci] > 0:
		reason = trace.ReasonCut
	}
	if reason != "" {
		m.put(to, trace.Event{Ev: trace.Drop, LC: m.clockOf(to), From: msg.Sender, Type: msg.Type, TS: msg.TS, Seq: p.seq, Reason: reason})
		return pending{}, false, false
	}
	if mark := f.marks[[2]int64{int64(ci), c.sent}]; mark == PointLoss {
		p.lost = true
	} else if mark == PointDuplicate {
		dup = true
	} else if loss := m.w.loss[ci]; loss > 0 && scenario.NetworkDraw(m.seed, uint64(ci), c.sent, scenario.DrawLoss) < loss {
		p.lost = true
	} else if d := m.w.dup[ci]; d > 0 && scenario.NetworkDraw(m.seed, uint64(ci), c.sent, scenario.DrawDuplicate) < d {
		dup = true
	}
	return p, dup, true
}

// held reports whether node i takes no step now: crashed or paused.
func (m *machine) held(i int) bool {
	return m.f.on && (m.f.down[i] || m.f.paused[i])
}

// recorded carries out a replay's pseudo-step: a fault the recording
// shows, or the delivery of a duplicate it shows.
func (m *machine) recorded(s step) error {
	switch s.kind {
	case redeliver:
		m.inbound = s.seq
		err := m.nodes[s.node].DeliverDup(m.f.lastMsg[s.ch])
		m.inbound = 0
		return err
	case faultStep:
		switch s.op {
		case trace.Crash:
			m.crash(s.node)
		case trace.Restart:
			m.restart(s.node)
		case trace.Pause:
			m.pause(s.node, 0)
		case trace.Resume:
			m.resume(s.node)
		case trace.Cut:
			m.cutLinks([]int{s.ch}, 0)
		case trace.Heal:
			m.healLinks([]int{s.ch})
		}
	}
	return nil
}

// heldAs says why node i takes no step: "crashed" or "paused".
func (m *machine) heldAs(i int) string {
	switch {
	case m.f.on && m.f.down[i]:
		return "crashed"
	case m.f.on && m.f.paused[i]:
		return "paused"
	}
	return "stopped"
}

// restartDue reports whether the agenda still restarts node i.
func (m *machine) restartDue(i int) bool {
	for _, it := range m.f.agenda {
		if it.op == trace.Restart && it.node == i {
			return true
		}
	}
	return false
}
