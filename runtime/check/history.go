package check

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"mutexlab/runtime/trace"
)

// msgKey names one message: a send and its receive (or drop) match on it.
type msgKey struct {
	from, to string
	seq      int64
}

// msgID names one message by the numbers of its sender's and receiver's
// names (history.name): hashing it is cheaper than hashing the names.
type msgID struct {
	from, to int32
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
//
// Run judges many traces in a row (explore judges every schedule): a
// history's buffers are kept in a pool and reused (histories). Nothing
// of it may end up in a Report.
type history struct {
	meta   trace.Meta
	ev     []trace.Event
	nodes  []string // meta.Nodes, then nodes seen only in events (sorted)
	index  map[string]int
	short  []uint64 // per node, its id packed (shortKey), for lookup
	long   bool     // some id does not pack
	seq    [][]int  // per node, its events in its own order
	nodeOf []int    // per event, its node's index (-1: no node)
	pos    []int64  // per event, 1-based position in its node's sequence

	// Messages by their (from, to, seq), numbered as first met: names
	// that are no node's are numbered after the nodes (others).
	ids     map[msgID]int32
	others  map[string]int32
	keys    []msgID
	send    []int  // per message, its first send (-1: none)
	recv    []int  // per message, its first receive (-1: none)
	drop    []int  // per message, its first drop (-1: none)
	open    []bool // per message: sent and not received or dropped, or the other way round (trace.Ender)
	src     []int  // per receive, its send (-1: none)
	sent    []int  // the sends, in trace order (sends)
	hasSent bool

	// vc holds the vector clock of sends, receives, cs_enter and cs_exit;
	// nil for the other events. The clocks share one buffer, vcs.
	vc  [][]int64
	vcs []int64
	// replay's buffers
	cur    []int64
	nexts  []int
	done   []bool
	waiter []int

	cs    []*csInterval // critical sections by entry
	secs  []csInterval  // cs's sections, reused
	allCS []*csInterval // cs's array, reused
	// byNode is csBy's map, reused.
	byNode map[string][]*csInterval
	// ending's states and their map, reused
	states  []trace.NodeState
	stateOf map[string]*trace.NodeState
	csBy    map[string][]*csInterval // per node, in its order
	stray   []int                    // prints outside any critical section
	// concurrentCS holds the pairs of critical sections (ids, smaller
	// first) the mutual exclusion check found concurrent: the screen and
	// order findings about them follow from it.
	concurrentCS map[[2]int]bool

	heavy []string          // heavyweights in ring order
	group map[string]string // lightweight -> heavyweight

	warnings []string
	start    int64
}

// histories keeps histories for Run to reuse.
var histories = sync.Pool{New: func() any { return new(history) }}

func newHistory(t *trace.Trace) *history {
	h := histories.Get().(*history)
	h.build(t)
	return h
}

// free hands the history back for another trace; it must not be used
// after.
func (h *history) free() {
	h.meta, h.ev, h.cs, h.csBy, h.concurrentCS, h.warnings = trace.Meta{}, nil, nil, nil, nil, nil
	h.heavy, h.stray = nil, h.stray[:0]
	histories.Put(h)
}

// grow returns s with length n, reusing its array when it is big enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// build indexes t, reusing the history's buffers.
func (h *history) build(t *trace.Trace) {
	h.meta, h.ev = t.Meta, t.Events
	// heavy is made anew: the messages check's findings name it.
	h.nodes, h.heavy, h.stray, h.warnings, h.start = h.nodes[:0], nil, h.stray[:0], nil, 0
	h.short, h.long = h.short[:0], false
	h.cs, h.csBy, h.concurrentCS = nil, nil, nil
	h.sent, h.hasSent = h.sent[:0], false
	if h.index == nil {
		h.index, h.group, h.ids, h.others = map[string]int{}, map[string]string{}, map[msgID]int32{}, map[string]int32{}
	}
	clear(h.index)
	clear(h.group)
	for _, n := range t.Meta.Nodes {
		h.addNode(n)
	}
	// Each event's node: those of the header, then the others, sorted.
	h.nodeOf = grow(h.nodeOf, len(h.ev))
	var extra []string
	var seen map[string]bool
	for i := range h.ev {
		e := &h.ev[i]
		ni, ok := h.lookup(e.Node)
		if !ok {
			ni = -1
			if e.Node != "" && !seen[e.Node] {
				if seen == nil {
					seen = map[string]bool{}
				}
				seen[e.Node] = true
				extra = append(extra, e.Node)
			}
		}
		h.nodeOf[i] = ni
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		for _, n := range extra {
			h.addNode(n)
		}
		for i := range h.ev {
			if n := h.ev[i].Node; h.nodeOf[i] < 0 && n != "" {
				h.nodeOf[i] = h.index[n]
			}
		}
	}

	h.pos = grow(h.pos, len(h.ev))
	h.seq = grow(h.seq, len(h.nodes))
	for ni := range h.seq {
		h.seq[ni] = h.seq[ni][:0]
	}
	for i := range h.ev {
		e := &h.ev[i]
		if i == 0 || e.T < h.start {
			h.start = e.T
		}
		ni := h.nodeOf[i]
		if ni < 0 {
			h.warnf(e.Line, "%s event names no node; ignored", e.Ev)
			continue
		}
		h.seq[ni] = append(h.seq[ni], i)
	}
	byT := func(a, b int) int { return cmp.Compare(h.ev[a].T, h.ev[b].T) }
	for _, s := range h.seq {
		// Stable: events of one node with the same t keep their file order.
		if !slices.IsSortedFunc(s, byT) {
			slices.SortStableFunc(s, byT)
		}
		for p, i := range s {
			h.pos[i] = int64(p + 1)
		}
	}

	h.match()
	h.replay()
	h.topology()
	h.collectCritical()
}

func (h *history) addNode(n string) {
	if _, ok := h.index[n]; ok {
		return
	}
	h.index[n] = len(h.nodes)
	h.nodes = append(h.nodes, n)
	k, ok := shortKey(n)
	if !ok {
		h.long = true
	}
	h.short = append(h.short, k)
}

// shortKey packs a name of at most 7 bytes, with its length, into a word.
func shortKey(n string) (uint64, bool) {
	if len(n) > 7 {
		return 0, false
	}
	var k uint64
	for i := 0; i < len(n); i++ {
		k |= uint64(n[i]) << (8 * i)
	}
	return k | uint64(len(n))<<56, true
}

// lookup is h.index[n]. Node ids are short and a run has few nodes, so
// comparing words one by one is quicker than hashing the name.
func (h *history) lookup(n string) (int, bool) {
	if k, ok := shortKey(n); ok && !h.long && len(h.short) <= 32 {
		for i, x := range h.short {
			if x == k {
				return i, true
			}
		}
		return 0, false
	}
	i, ok := h.index[n]
	return i, ok
}

func (h *history) warnf(line int, format string, a ...any) {
	h.warnings = append(h.warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, a...))
}

// name numbers a name in a message's key: a node's index, or a number
// after the nodes for a name that is no node's.
func (h *history) name(n string) int32 {
	if ni, ok := h.lookup(n); ok {
		return int32(ni)
	}
	id, ok := h.others[n]
	if !ok {
		id = int32(len(h.nodes) + len(h.others))
		h.others[n] = id
	}
	return id
}

// message numbers the message from, to, seq.
func (h *history) message(from, to int32, seq int64) int {
	k := msgID{from, to, seq}
	id, ok := h.ids[k]
	if !ok {
		id = int32(len(h.keys))
		h.ids[k] = id
		h.keys = append(h.keys, k)
		h.send, h.recv, h.drop, h.open = append(h.send, -1), append(h.recv, -1), append(h.drop, -1), append(h.open, false)
	}
	return int(id)
}

// match pairs every receive and drop with its send on (from, to, seq).
// On the way it notes which messages are still open at the end, as
// trace.Ender does: every send, receive (but a duplicate's) and drop of
// a node flips its message.
func (h *history) match() {
	clear(h.ids)
	clear(h.others)
	h.keys, h.send, h.recv, h.drop, h.open = h.keys[:0], h.send[:0], h.recv[:0], h.drop[:0], h.open[:0]
	h.src = grow(h.src, len(h.ev))
	for i := range h.ev {
		e := &h.ev[i]
		h.src[i] = -1
		if e.Ev != trace.Send || h.nodeOf[i] < 0 {
			continue
		}
		id := h.message(int32(h.nodeOf[i]), h.name(e.To), e.Seq)
		h.open[id] = !h.open[id]
		if j := h.send[id]; j >= 0 {
			h.warnf(e.Line, "send %s->%s seq %d repeats line %d's", e.Node, e.To, e.Seq, h.ev[j].Line)
			continue
		}
		h.send[id] = i
	}
	for i := range h.ev {
		e := &h.ev[i]
		if (e.Ev != trace.Recv && e.Ev != trace.Drop) || h.nodeOf[i] < 0 {
			continue
		}
		if e.Dup && e.Ev == trace.Recv {
			continue // a duplicate's copy: its message was received already
		}
		id := h.message(h.name(e.From), int32(h.nodeOf[i]), e.Seq)
		h.open[id] = !h.open[id]
		if e.Dup {
			continue // the drop of a duplicate's copy
		}
		m := h.recv
		if e.Ev == trace.Drop {
			m = h.drop
		}
		if j := m[id]; j >= 0 {
			h.warnf(e.Line, "%s of %s->%s seq %d repeats line %d's", e.Ev, e.From, e.Node, e.Seq, h.ev[j].Line)
			continue
		}
		m[id] = i
		s := h.send[id]
		if s < 0 {
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
	h.vc = grow(h.vc, len(h.ev))
	kept := 0
	for i := range h.ev {
		h.vc[i] = nil
		if h.nodeOf[i] >= 0 && keepVC(h.ev[i].Ev) {
			kept++
		}
	}
	// One buffer for every clock, big enough that none moves.
	if cap(h.vcs) < kept*n {
		h.vcs = make([]int64, 0, kept*n)
	}
	h.vcs = h.vcs[:0]
	h.cur = grow(h.cur, n*n)
	clear(h.cur)
	cur := func(ni int) []int64 { return h.cur[ni*n : (ni+1)*n] }
	next := grow(h.nexts, n)
	clear(next)
	h.nexts = next
	done := grow(h.done, len(h.ev))
	clear(done)
	h.done = done
	// A send has one receive (match), so one node at most waits on it:
	// waiter is the node, -1 for none; more (a trace match did not
	// make) would go to the map.
	waiter := grow(h.waiter, len(h.ev))
	for i := range waiter {
		waiter[i] = -1
	}
	h.waiter = waiter
	var waiting map[int][]int // send -> further nodes whose next event is its receive
	remaining := 0
	queue := make([]int, 0, n)
	for ni := range h.seq {
		remaining += len(h.seq[ni])
		queue = append(queue, ni)
	}
	step := func(ni, i, src int) {
		v := cur(ni)
		if src >= 0 {
			for k, x := range h.vc[src] {
				v[k] = max(v[k], x)
			}
		}
		v[ni]++
		if keepVC(h.ev[i].Ev) {
			at := len(h.vcs)
			h.vcs = append(h.vcs, v...)
			h.vc[i] = h.vcs[at:len(h.vcs):len(h.vcs)]
		}
		done[i] = true
		next[ni]++
		remaining--
		if w := waiter[i]; w >= 0 {
			queue = append(queue, w)
			waiter[i] = -1
			if more, ok := waiting[i]; ok {
				queue = append(queue, more...)
				delete(waiting, i)
			}
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
					switch {
					case waiter[src] < 0:
						waiter[src] = ni
					default:
						if waiting == nil {
							waiting = map[int][]int{}
						}
						waiting[src] = append(waiting[src], ni)
					}
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
	e := &h.ev[i]
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
	for i := range h.ev {
		e := &h.ev[i]
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
