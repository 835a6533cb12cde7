package check

import (
	"fmt"
	"sort"
	"time"

	"mutexlab/runtime/trace"
)

// msgKey names one message: a send and its receive (or drop) match on it.
type msgKey struct {
	from, to string
	seq      int64
}

// history is a trace indexed for the checks: each node's events in the
// node's own order, messages matched send to receive, and vector clocks
// rebuilt by replaying the nodes in causal order.
//
// The lines of a trace come from several processes: across nodes they
// need not be sorted by t, and a receive may be written before its send.
// Only a node's own events are ordered (by t, then by line), so the replay
// runs node by node and lets a receive wait for its send.
type history struct {
	meta   trace.Meta
	ev     []trace.Event
	nodes  []string // meta.Nodes, then nodes seen only in events (sorted)
	index  map[string]int
	seq    [][]int // per node, its events in its own order
	nodeOf []int   // per event, its node's index (-1: no node)
	pos    []int64 // per event, 1-based position in its node's sequence

	sends map[msgKey]int
	recvs map[msgKey]int
	drops map[msgKey]int
	src   []int // per receive, its send (-1: none)

	// vc holds the vector clock of sends, receives, cs_enter and cs_exit;
	// nil for the other events.
	vc [][]int64

	cs    []*csInterval            // critical sections by entry
	csBy  map[string][]*csInterval // per node, in its order
	stray []int                    // prints outside any critical section
	// concurrentCS holds the pairs of critical sections (ids, smaller
	// first) the mutual exclusion check found concurrent: the screen and
	// order findings about them follow from it.
	concurrentCS map[[2]int]bool

	heavy []string          // heavyweights in ring order
	group map[string]string // lightweight -> heavyweight

	warnings []string
	start    int64
}

func newHistory(t *trace.Trace) *history {
	h := &history{
		meta:  t.Meta,
		ev:    t.Events,
		index: map[string]int{},
		sends: map[msgKey]int{},
		recvs: map[msgKey]int{},
		drops: map[msgKey]int{},
		group: map[string]string{},
	}
	for _, n := range t.Meta.Nodes {
		h.addNode(n)
	}
	var extra []string
	seen := map[string]bool{}
	for _, e := range h.ev {
		if _, ok := h.index[e.Node]; !ok && e.Node != "" && !seen[e.Node] {
			seen[e.Node] = true
			extra = append(extra, e.Node)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		h.addNode(n)
	}

	h.nodeOf = make([]int, len(h.ev))
	h.pos = make([]int64, len(h.ev))
	h.seq = make([][]int, len(h.nodes))
	for i, e := range h.ev {
		if i == 0 || e.T < h.start {
			h.start = e.T
		}
		ni, ok := h.index[e.Node]
		if !ok {
			h.nodeOf[i] = -1
			h.warnf(e.Line, "%s event names no node; ignored", e.Ev)
			continue
		}
		h.nodeOf[i] = ni
		h.seq[ni] = append(h.seq[ni], i)
	}
	for _, s := range h.seq {
		// Stable: events of one node with the same t keep their file order.
		sort.SliceStable(s, func(a, b int) bool { return h.ev[s[a]].T < h.ev[s[b]].T })
		for p, i := range s {
			h.pos[i] = int64(p + 1)
		}
	}

	h.match()
	h.replay()
	h.topology()
	h.collectCritical()
	return h
}

func (h *history) addNode(n string) {
	if _, ok := h.index[n]; ok {
		return
	}
	h.index[n] = len(h.nodes)
	h.nodes = append(h.nodes, n)
}

func (h *history) warnf(line int, format string, a ...any) {
	h.warnings = append(h.warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, a...))
}

// match pairs every receive and drop with its send on (from, to, seq).
func (h *history) match() {
	h.src = make([]int, len(h.ev))
	for i, e := range h.ev {
		h.src[i] = -1
		if e.Ev != trace.Send || h.nodeOf[i] < 0 {
			continue
		}
		k := msgKey{e.Node, e.To, e.Seq}
		if j, dup := h.sends[k]; dup {
			h.warnf(e.Line, "send %s->%s seq %d repeats line %d's", e.Node, e.To, e.Seq, h.ev[j].Line)
			continue
		}
		h.sends[k] = i
	}
	for i, e := range h.ev {
		if (e.Ev != trace.Recv && e.Ev != trace.Drop) || h.nodeOf[i] < 0 || e.Dup {
			continue // a duplicate's copy: its message was received already
		}
		k := msgKey{e.From, e.Node, e.Seq}
		m := h.recvs
		if e.Ev == trace.Drop {
			m = h.drops
		}
		if j, dup := m[k]; dup {
			h.warnf(e.Line, "%s of %s->%s seq %d repeats line %d's", e.Ev, e.From, e.Node, e.Seq, h.ev[j].Line)
			continue
		}
		m[k] = i
		s, ok := h.sends[k]
		if !ok {
			h.warnf(e.Line, "%s of %s from %s (seq %d) has no matching send", e.Ev, e.Type, e.From, e.Seq)
			continue
		}
		if e.Ev == trace.Recv {
			h.src[i] = s
		}
	}
}

// keepVC says which events keep their vector clock.
func keepVC(ev string) bool {
	switch ev {
	case trace.Send, trace.Recv, trace.CSEnter, trace.CSExit:
		return true
	}
	return false
}

// replay rebuilds vector clocks: each node's events run in its own order,
// and a receive waits until its send has run. A node blocked on a send
// that has not run yet is woken when it does. Should the trace contain a
// cycle (a receive that precedes its own send through the nodes' orders,
// impossible in a real run), the earliest stuck receive runs without its
// send and a warning says so.
func (h *history) replay() {
	n := len(h.nodes)
	h.vc = make([][]int64, len(h.ev))
	cur := make([][]int64, n)
	for i := range cur {
		cur[i] = make([]int64, n)
	}
	next := make([]int, n)
	done := make([]bool, len(h.ev))
	waiting := map[int][]int{} // send -> nodes whose next event is its receive
	remaining := 0
	queue := make([]int, 0, n)
	for ni := range h.seq {
		remaining += len(h.seq[ni])
		queue = append(queue, ni)
	}
	step := func(ni, i, src int) {
		v := cur[ni]
		if src >= 0 {
			for k, x := range h.vc[src] {
				v[k] = max(v[k], x)
			}
		}
		v[ni]++
		if keepVC(h.ev[i].Ev) {
			h.vc[i] = append([]int64(nil), v...)
		}
		done[i] = true
		next[ni]++
		remaining--
		if w, ok := waiting[i]; ok {
			queue = append(queue, w...)
			delete(waiting, i)
		}
	}
	for remaining > 0 {
		for len(queue) > 0 {
			ni := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for next[ni] < len(h.seq[ni]) {
				i := h.seq[ni][next[ni]]
				src := h.src[i]
				if src >= 0 && !done[src] {
					waiting[src] = append(waiting[src], ni)
					break
				}
				step(ni, i, src)
			}
		}
		if remaining == 0 {
			break
		}
		// Every unfinished node waits on a send that cannot run first.
		best := -1
		for ni := range h.seq {
			if next[ni] == len(h.seq[ni]) {
				continue
			}
			i := h.seq[ni][next[ni]]
			if best < 0 || h.ev[i].T < h.ev[h.seq[best][next[best]]].T {
				best = ni
			}
		}
		i := h.seq[best][next[best]]
		h.warnf(h.ev[i].Line, "receive precedes its own send (line %d) in causal order; its clock is not merged", h.ev[h.src[i]].Line)
		h.src[i] = -1
		step(best, i, -1)
		queue = append(queue, best)
	}
}

// topology reads the heavyweights' ring and the groups from the meta
// header.
func (h *history) topology() {
	for hw, lws := range h.meta.Groups {
		h.heavy = append(h.heavy, hw)
		for _, lw := range lws {
			h.group[lw] = hw
		}
	}
	order := func(n string) int {
		if i, ok := h.index[n]; ok {
			return i
		}
		return len(h.index)
	}
	sort.Slice(h.heavy, func(a, b int) bool {
		oa, ob := order(h.heavy[a]), order(h.heavy[b])
		if oa != ob {
			return oa < ob
		}
		return h.heavy[a] < h.heavy[b]
	})
}

// next returns the heavyweight after hw in the ring.
func (h *history) next(hw string) string {
	for i, x := range h.heavy {
		if x == hw {
			return h.heavy[(i+1)%len(h.heavy)]
		}
	}
	return ""
}

// events returns a node's events in its own order.
func (h *history) events(node string) []int {
	if ni, ok := h.index[node]; ok {
		return h.seq[ni]
	}
	return nil
}

// before reports whether event a happened before event b (or is b).
func (h *history) before(a, b int) bool {
	if h.vc[b] == nil || h.nodeOf[a] < 0 {
		return false
	}
	return h.vc[b][h.nodeOf[a]] >= h.pos[a]
}

// ref describes event i for evidence.
func (h *history) ref(i int) EventRef {
	e := h.ev[i]
	r := EventRef{Line: e.Line, Node: e.Node, Ev: e.Ev, T: e.T, LC: e.LC}
	switch e.Ev {
	case trace.Send, trace.Recv, trace.Drop:
		r.Type = e.Type
	}
	if v := h.vc[i]; v != nil {
		r.VC = VClock{}
		for k, x := range v {
			if x != 0 {
				r.VC[h.nodes[k]] = x
			}
		}
	}
	return r
}

// refs describes several events.
func (h *history) refs(is ...int) []EventRef {
	out := make([]EventRef, 0, len(is))
	for _, i := range is {
		if i >= 0 {
			out = append(out, h.ref(i))
		}
	}
	return out
}

// interrupted reports whether an exit event says the run was interrupted.
func (h *history) interrupted() bool {
	for _, e := range h.ev {
		if e.Ev == trace.Exit && e.Text == trace.ExitInterrupted {
			return true
		}
	}
	return false
}

// dur formats a span of the shared clock, rounded to what a reader can
// use: "504.01ms", not "504.006335ms".
func dur(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		d = d.Round(10 * time.Nanosecond)
	}
	return d.String()
}

// isLightweight reports whether n is a lightweight of the header's groups.
// A trace whose header names no groups (a hand-written one) has none: the
// role scripts' protocol of grants and rounds is not judged there.
func (h *history) isLightweight(n string) bool {
	_, ok := h.group[n]
	return ok
}
