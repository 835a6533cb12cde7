package check

import (
	"mutexlab/runtime/trace"
)

// Measures are the costs of one trace, per group of lightweights: what
// `mutexlab compare` adds up over many schedules.
type Measures struct {
	Groups []GroupMeasures
	// Duration is the time from the trace's first event to its last (ns).
	Duration int64
}

// GroupMeasures are one group's figures.
type GroupMeasures struct {
	Group     string // its heavyweight
	Algorithm string
	Size      int // lightweights
	Entries   int
	// Messages counts the messages its lightweights sent one another.
	Messages int
	// Waits holds, per entry whose request is seen, the time from the
	// request to the entry (ns). A lightweight's request starts with the
	// CS_GRANT that lets it ask (its first REQUEST when no CS_GRANT is in
	// the trace).
	Waits []int64
	// Syncs holds one handover per exit followed by the group's next entry
	// whose process was already waiting (its request did not happen after
	// the exit): the token's trip round the ring is not a handover.
	Syncs []Sync
}

// Sync is one handover: from a cs_exit to the group's next cs_enter.
type Sync struct {
	// Hops is the synchronization delay in messages: the length of the
	// causal chain from the exit to the entry that takes, at each process
	// from the entrant back, the last message it received that was sent
	// after the exit (in happened-before). It does not depend on network
	// delays, so it means something in a simulation without any.
	Hops int
	// T is the time from the exit to the entry (ns).
	T int64
}

// Measure measures a trace.
func Measure(t *trace.Trace) *Measures {
	h := newHistory(t)
	m := &Measures{}
	last := h.start
	for i := range h.ev {
		e := &h.ev[i]
		last = max(last, e.T)
	}
	m.Duration = last - h.start
	for _, hw := range h.heavy {
		lws := h.meta.Groups[hw]
		g := GroupMeasures{Group: hw, Algorithm: h.meta.Algorithms[hw], Size: len(lws)}
		g.Messages, _ = h.messagesAmong(lws)
		start := map[int]int{} // cs_enter -> the event its request started with
		for _, n := range lws {
			starts, _ := h.requestStarts(n)
			for enter, s := range starts {
				start[enter] = s
			}
		}
		var prev *csInterval
		for _, c := range h.cs {
			if h.group[c.node] != hw {
				continue
			}
			g.Entries++
			s, asked := start[c.enter]
			if asked {
				g.Waits = append(g.Waits, h.ev[c.enter].T-h.ev[s].T)
			}
			if prev != nil && prev.exit >= 0 && asked && !h.before(prev.exit, s) {
				if hops, ok := h.hops(prev.exit, c.enter); ok {
					g.Syncs = append(g.Syncs, Sync{Hops: hops, T: h.ev[c.enter].T - h.ev[prev.exit].T})
				}
			}
			prev = c
		}
		m.Groups = append(m.Groups, g)
	}
	return m
}

// requestStarts maps each of a lightweight's entries (its cs_enter) to
// the event its request started with: the CS_GRANT it received since its
// previous entry, or, in a trace without CS_GRANT, its first REQUEST sent
// since then. pending says a request started after its last entry.
func (h *history) requestStarts(node string) (starts map[int]int, pending bool) {
	starts = map[int]int{}
	return starts, h.scanRequests(node, starts)
}

// requestPending is requestStarts' pending alone, without the map.
func (h *history) requestPending(node string) bool { return h.scanRequests(node, nil) }

// scanRequests walks node's requests for requestStarts, filling starts
// when it is not nil, and reports whether one is pending at the end.
func (h *history) scanRequests(node string, starts map[int]int) bool {
	granted := false
	for _, i := range h.events(node) {
		if e := &h.ev[i]; e.Ev == trace.Recv && e.Type == "CS_GRANT" {
			granted = true
			break
		}
	}
	s := -1
	for _, i := range h.events(node) {
		e := &h.ev[i]
		switch {
		case granted && e.Ev == trace.Recv && e.Type == "CS_GRANT":
			s = i
		case !granted && e.Ev == trace.Send && e.Type == "REQUEST" && s < 0:
			s = i
		case e.Ev == trace.CSEnter:
			if s >= 0 && starts != nil {
				starts[i] = s
			}
			s = -1
		}
	}
	return s >= 0
}

// hops follows the causal chain from enter back to exit (Sync.Hops) and
// counts its messages; false when enter does not follow exit.
func (h *history) hops(exit, enter int) (int, bool) {
	x := h.nodeOf[exit]
	cur, n := enter, 0
	for {
		ni := h.nodeOf[cur]
		if ni == x && h.pos[cur] >= h.pos[exit] {
			return n, true
		}
		seq := h.seq[ni]
		found := -1
		for p := h.pos[cur] - 2; p >= 0; p-- { // pos is 1-based: cur is seq[pos-1]
			i := seq[p]
			if h.ev[i].Ev == trace.Recv && h.src[i] >= 0 && h.before(exit, h.src[i]) {
				found = i
				break
			}
		}
		if found < 0 {
			return 0, false
		}
		n++
		cur = h.src[found]
	}
}
