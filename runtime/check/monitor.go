package check

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"mutexlab/runtime/trace"
)

// Monitor watches the events of a live run and raises an alert the moment
// two nodes are in the critical section at once by wall time. It is the
// live counterpart of the mutual exclusion check, which judges the whole
// trace afterwards by happened-before.
//
// Events arrive roughly in time order from several processes: one node's
// events come in its order, but another node's may lag. So a section is
// known to last at least until the latest event seen from its node, and
// two sections overlap when both are known to last past the later entry;
// a pair that cannot be decided yet is decided by later events.
//
// A Monitor is safe for concurrent use.
type Monitor struct {
	mu      sync.Mutex
	nodes   []string         // nodes that may enter (lightweights)
	last    map[string]int64 // latest t seen per node
	open    map[string]*span // each node's current critical section
	closed  []*span          // ended sections that a lagging entry may still overlap
	pending []*[2]*span      // pairs not decided yet
	done    map[string]bool  // finished or exited: will not enter again
	pruneAt int              // prune once closed holds this many
}

// span is one critical section as the monitor knows it.
type span struct {
	node        string
	enter, exit int64
	ended       bool
}

// maxClosed bounds the ended sections kept for late entries (pruned to it
// once they reach twice as many).
const maxClosed = 256

// minPruneAt is how many ended sections the monitor holds before it
// first prunes them.
const minPruneAt = 16

// NewMonitor returns a monitor for a run with this header.
func NewMonitor(meta trace.Meta) *Monitor {
	m := &Monitor{
		last: map[string]int64{},
		open: map[string]*span{},
		done: map[string]bool{},
	}
	for _, hw := range meta.Nodes {
		m.nodes = append(m.nodes, meta.Groups[hw]...)
	}
	if len(m.nodes) == 0 {
		m.nodes = meta.Nodes
	}
	return m
}

// Observe takes the run's next event. It returns "" or an alert such as
// "MUTUAL EXCLUSION VIOLATED: A1 and A2 are both in the critical section",
// one line per pair when an event settles several.
func (m *Monitor) Observe(e trace.Event) (alert string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.last[e.Node]; !ok || e.T > t {
		m.last[e.Node] = e.T
	}
	var alerts []string
	switch e.Ev {
	case trace.CSEnter:
		m.end(e.Node, e.T)
		s := &span{node: e.Node, enter: e.T}
		others := slices.Clone(m.closed)
		for _, o := range m.open {
			others = append(others, o)
		}
		slices.SortStableFunc(others, func(a, b *span) int {
			return cmp.Or(cmp.Compare(a.enter, b.enter), strings.Compare(a.node, b.node))
		})
		for _, o := range others {
			if o.node != e.Node {
				m.pair(o, s, &alerts)
			}
		}
		m.open[e.Node] = s
	case trace.CSExit:
		m.end(e.Node, e.T)
	case trace.Exit, trace.Finish:
		m.end(e.Node, e.T)
		m.done[e.Node] = true
	}
	kept := m.pending[:0]
	for _, p := range m.pending {
		if p[0].node != e.Node && p[1].node != e.Node {
			kept = append(kept, p)
			continue
		}
		switch m.judge(p[0], p[1]) {
		case overlap:
			alerts = append(alerts, m.alert(p[0], p[1]))
		case undecided:
			kept = append(kept, p)
		}
	}
	m.pending = kept
	// Pruning looks at every node: done at each event, it made the
	// launcher of 1,690 nodes spend most of its time here. A section
	// kept longer than needed changes no verdict (a later entry is
	// judged disjoint from it), so prune when closed has doubled.
	if len(m.closed) >= m.pruneAt {
		m.prune()
		m.pruneAt = min(max(2*len(m.closed), minPruneAt), 2*maxClosed)
	}
	return strings.Join(alerts, "\n")
}

// end closes a node's open section at t.
func (m *Monitor) end(node string, t int64) {
	if s := m.open[node]; s != nil {
		s.exit, s.ended = t, true
		delete(m.open, node)
		m.closed = append(m.closed, s)
	}
}

type verdict int

const (
	disjoint verdict = iota
	overlap
	undecided
)

// judge decides whether two sections overlap: both inside past the later
// entry. An open section lasts at least until its node's latest event.
func (m *Monitor) judge(a, b *span) verdict {
	lo := max(a.enter, b.enter)
	if (a.ended && a.exit <= lo) || (b.ended && b.exit <= lo) {
		return disjoint
	}
	if m.until(a) > lo && m.until(b) > lo {
		return overlap
	}
	return undecided
}

func (m *Monitor) until(s *span) int64 {
	if s.ended {
		return s.exit
	}
	return m.last[s.node]
}

// pair judges a new section against an earlier-known one.
func (m *Monitor) pair(a, b *span, alerts *[]string) {
	switch m.judge(a, b) {
	case overlap:
		*alerts = append(*alerts, m.alert(a, b))
	case undecided:
		m.pending = append(m.pending, &[2]*span{a, b})
	}
}

func (m *Monitor) alert(a, b *span) string {
	if b.enter < a.enter {
		a, b = b, a
	}
	return fmt.Sprintf("MUTUAL EXCLUSION VIOLATED: %s and %s are both in the critical section", a.node, b.node)
}

// prune forgets ended sections that no later entry can overlap: every
// node that may still enter has already been seen past their exit.
func (m *Monitor) prune() {
	horizon := int64(-1)
	for _, n := range m.nodes {
		if m.done[n] {
			continue
		}
		t, ok := m.last[n]
		if !ok {
			horizon = -1
			break
		}
		if horizon < 0 || t < horizon {
			horizon = t
		}
	}
	inPending := map[*span]bool{}
	for _, p := range m.pending {
		inPending[p[0]], inPending[p[1]] = true, true
	}
	kept := m.closed[:0]
	for _, s := range m.closed {
		if inPending[s] || horizon < 0 || s.exit > horizon {
			kept = append(kept, s)
		}
	}
	if len(kept) > maxClosed {
		kept = kept[len(kept)-maxClosed:]
	}
	m.closed = kept
}
