package trace

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Index is what one pass over a trace learns, so that the trace can be
// gone through again in time order (Walk) holding only what is
// concurrent in it — the events of a few thousand lines, the messages in
// flight — rather than all of it (docs/trace.md, Reading). check,
// timeline and diagram read a trace file this way.
//
//	ix, err := trace.OpenIndex("run.jsonl")
//	defer ix.Close()
//	if ix.Disorder == "" {
//		err = ix.Walk(func(e *trace.Event) error { ...; return nil })
//	} else {
//		t, err := ix.Read() // the whole trace, in memory
//	}
type Index struct {
	Meta Meta
	// Warnings are the reader's: a truncated last line.
	Warnings []string
	// Events counts the events, the header left out.
	Events int
	// Named lists the nodes the events name (as node, from or to, those
	// that name no node too), in the order they first appear; the
	// header's are in Meta.Nodes.
	Named []string
	// Nodes counts the events of each node (Event.Node).
	Nodes map[string]*NodeCount
	// Earliest is the t of the earliest event; First and Last are the
	// earliest and latest t of the events that name a node, MaxLC their
	// largest Lamport clock (all 0 when there are none).
	Earliest, First, Last, MaxLC int64
	// Nodeless are the events that name no node, Unmatched the receives
	// and drops whose send is not in the trace, in the trace's order (the
	// payload and text left out).
	Nodeless, Unmatched []Event
	// Disorder says why Walk cannot go through the trace in time order,
	// "" when it can. It can when the trace is in causal order, as every
	// trace mutexlab writes is: each node's events in the order of their
	// t, each receive or drop after its send in the file and not earlier
	// in t, no message sent, received or dropped twice (a duplicate's
	// recv, Dup, comes after the message's first recv), and at most
	// maxOdd events naming no node or no send. A hand-made or shuffled
	// trace may not be; Read gives it whole.
	Disorder string

	src    io.ReaderAt
	size   int64
	closer io.Closer
	marks  map[string][]mark
	// held is the most events the last Walk held back at once.
	held int
}

// NodeCount is what the index counts of one node's events.
type NodeCount struct {
	Events int // all of its events
	Enters int // cs_enter
	Prints int // print
	Recvs  int // recv
	Drops  int // drop

	lastT   int64
	lastOrd int
}

// mark is a node's event that comes after a long silence in the file:
// Walk learns from it when the node will speak again.
type mark struct {
	k int // the node's k-th event, from 1
	t int64
}

// walkGap is the silence, in lines, past which a node's next event is
// marked. Walk holds back at most about this many lines besides the
// events out of time order in the file.
const walkGap = 8192

// maxOdd bounds the events naming no node, and the receives and drops
// with no send, that an index keeps; past it the trace is in disorder.
const maxOdd = 1000

// OpenIndex indexes the trace file at path. Close it when done.
func OpenIndex(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	ix, err := NewIndex(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ix.closer = f
	return ix, nil
}

// Close closes the file OpenIndex opened.
func (ix *Index) Close() error {
	if ix.closer == nil {
		return nil
	}
	return ix.closer.Close()
}

// NewIndex indexes the trace in the first size bytes of r, which must not
// change while the index is used (a live run's trace file grows past
// size; what is before stays).
func NewIndex(r io.ReaderAt, size int64) (*Index, error) {
	sc, err := NewScanner(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	ix := &Index{Meta: sc.Meta(), Nodes: map[string]*NodeCount{}, src: r, size: size, marks: map[string][]mark{}}
	named := map[string]bool{}
	chans := map[[2]string]*chanSeqs{}
	inflight := map[msgKey]int64{} // sent, not yet received or dropped: the send's t
	first := true
	disorder := func(format string, a ...any) {
		if ix.Disorder == "" {
			ix.Disorder = fmt.Sprintf(format, a...)
			ix.marks, chans, inflight = nil, nil, nil
		}
	}
	for sc.Scan() {
		e := sc.Event()
		ix.Events++
		if ix.Events == 1 || e.T < ix.Earliest {
			ix.Earliest = e.T
		}
		for _, id := range [3]string{e.Node, e.From, e.To} {
			if id != "" && !named[id] {
				named[id] = true
				ix.Named = append(ix.Named, id)
			}
		}
		if e.Node == "" {
			if len(ix.Nodeless) == maxOdd {
				disorder("more than %d events name no node", maxOdd)
			} else if ix.Disorder == "" {
				ix.Nodeless = append(ix.Nodeless, odd(e))
			}
			continue
		}
		if first {
			ix.First, ix.Last, first = e.T, e.T, false
		}
		ix.First, ix.Last, ix.MaxLC = min(ix.First, e.T), max(ix.Last, e.T), max(ix.MaxLC, e.LC)
		nc := ix.Nodes[e.Node]
		if nc == nil {
			nc = &NodeCount{}
			ix.Nodes[e.Node] = nc
		}
		nc.Events++
		switch e.Ev {
		case CSEnter:
			nc.Enters++
		case Print:
			nc.Prints++
		case Recv:
			nc.Recvs++
		case Drop:
			nc.Drops++
		}
		if nc.Events > 1 && e.T < nc.lastT {
			disorder("line %d: %s's t goes back, from %d to %d", e.Line, e.Node, nc.lastT, e.T)
		}
		if ix.Disorder == "" && ix.Events-nc.lastOrd > walkGap {
			ix.marks[e.Node] = append(ix.marks[e.Node], mark{nc.Events, e.T})
		}
		nc.lastT, nc.lastOrd = e.T, ix.Events
		if ix.Disorder != "" {
			continue
		}
		switch e.Ev {
		case Send:
			k := msgKey{e.Node, e.To, e.Seq}
			c := chans[[2]string{k.from, k.to}]
			if c == nil {
				c = &chanSeqs{}
				chans[[2]string{k.from, k.to}] = c
			}
			switch {
			case c.sent.has(k.seq):
				disorder("line %d: send %s->%s seq %d repeats one", e.Line, k.from, k.to, k.seq)
			case c.unmatched.has(k.seq):
				disorder("line %d: send %s->%s seq %d comes after its %s", e.Line, k.from, k.to, k.seq, "receive or drop")
			default:
				c.sent.add(k.seq)
				inflight[k] = e.T
			}
		case Recv, Drop:
			k := msgKey{e.From, e.Node, e.Seq}
			c := chans[[2]string{k.from, k.to}]
			if c == nil {
				c = &chanSeqs{}
				chans[[2]string{k.from, k.to}] = c
			}
			t, ok := inflight[k]
			if e.Ev == Recv && e.Dup {
				// A duplicate follows its message's receive: it ends nothing
				// in flight.
				switch {
				case ok:
					disorder("line %d: duplicate recv of %s->%s seq %d before its first recv", e.Line, k.from, k.to, k.seq)
				case c.sent.has(k.seq) || c.unmatched.has(k.seq):
				case len(ix.Unmatched) == maxOdd:
					disorder("more than %d receives and drops have no send", maxOdd)
				default:
					c.unmatched.add(k.seq)
					ix.Unmatched = append(ix.Unmatched, odd(e))
				}
				continue
			}
			switch {
			case ok && e.T < t:
				disorder("line %d: %s of %s->%s seq %d at t %d, before its send at %d", e.Line, e.Ev, k.from, k.to, k.seq, e.T, t)
			case ok:
				delete(inflight, k)
			case c.sent.has(k.seq) || c.unmatched.has(k.seq):
				disorder("line %d: %s of %s->%s seq %d repeats one", e.Line, e.Ev, k.from, k.to, k.seq)
			case len(ix.Unmatched) == maxOdd:
				disorder("more than %d receives and drops have no send", maxOdd)
			default:
				c.unmatched.add(k.seq)
				ix.Unmatched = append(ix.Unmatched, odd(e))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	ix.Warnings = sc.Warnings()
	return ix, nil
}

// odd keeps what a warning about e says.
func odd(e *Event) Event {
	return Event{Ev: e.Ev, T: e.T, Node: e.Node, LC: e.LC, From: e.From, To: e.To, Type: e.Type, Seq: e.Seq, Dup: e.Dup, Reason: e.Reason, Line: e.Line}
}

// Read reads the whole trace into memory.
func (ix *Index) Read() (*Trace, error) {
	return Read(io.NewSectionReader(ix.src, 0, ix.size))
}

// Walk reads the trace again and hands fn each event that names a node,
// in time order: by t, then by line, which keeps each node's events in
// its order and, in a trace in causal order, every receive after its
// send. It holds back only the events that a later line may still come
// before. The event is valid only during the call. fn's error stops the
// walk and is returned. A trace in disorder is not walked (an error).
func (ix *Index) Walk(fn func(e *Event) error) error {
	if ix.Disorder != "" {
		return errors.New("the trace is not in causal order: " + ix.Disorder)
	}
	sc, err := NewScanner(io.NewSectionReader(ix.src, 0, ix.size))
	if err != nil {
		return err
	}
	// The nodes still to speak, by the least t their next event can have.
	var nodes nodeHeap
	byID := map[string]*walkNode{}
	ids := make([]string, 0, len(ix.Nodes))
	for id := range ix.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		w := &walkNode{total: ix.Nodes[id].Events, marks: ix.marks[id], lb: math.MinInt64}
		w.bound()
		byID[id] = w
		heap.Push(&nodes, w)
	}
	var held eventHeap
	release := func(all bool) error {
		for held.Len() > 0 {
			e := held[0]
			if !all && nodes.Len() > 0 && e.T > nodes[0].lb {
				return nil
			}
			heap.Pop(&held)
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	for sc.Scan() {
		e := sc.Event()
		if e.Node == "" {
			continue
		}
		c := e.Clone()
		heap.Push(&held, &c)
		ix.held = max(ix.held, held.Len())
		if w := byID[e.Node]; w != nil && w.i >= 0 {
			w.seen++
			w.lastT = e.T
			if w.seen >= w.total {
				heap.Remove(&nodes, w.i)
			} else {
				w.bound()
				heap.Fix(&nodes, w.i)
			}
		}
		if err := release(false); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return release(true)
}

// HeldBack returns the most events the last Walk held back at once.
func (ix *Index) HeldBack() int { return ix.held }

// walkNode is a node's place in a walk.
type walkNode struct {
	seen, total int
	lastT       int64
	marks       []mark
	lb          int64 // no event of the node still to come has a smaller t
	i           int   // its index in the heap, -1 once out
}

// bound sets lb: the t of the next event when it follows a silence (a
// mark), else the t of the last one.
func (w *walkNode) bound() {
	for len(w.marks) > 0 && w.marks[0].k <= w.seen {
		w.marks = w.marks[1:]
	}
	switch {
	case len(w.marks) > 0 && w.marks[0].k == w.seen+1:
		w.lb = w.marks[0].t
	case w.seen > 0:
		w.lb = w.lastT
	}
}

type nodeHeap []*walkNode

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(a, b int) bool { return h[a].lb < h[b].lb }
func (h nodeHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].i, h[b].i = a, b
}
func (h *nodeHeap) Push(x any) {
	w := x.(*walkNode)
	w.i = len(*h)
	*h = append(*h, w)
}
func (h *nodeHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	w.i = -1
	return w
}

type eventHeap []*Event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(a, b int) bool {
	if h[a].T != h[b].T {
		return h[a].T < h[b].T
	}
	return h[a].Line < h[b].Line
}
func (h eventHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// chanSeqs are the seqs of one channel: sent, and received or dropped
// with no send yet.
type chanSeqs struct {
	sent, unmatched seqSet
}

// seqSet is a set of seqs as sorted, disjoint, non-adjacent ranges: a
// channel's messages, numbered from 1, take one range.
type seqSet struct {
	r [][2]int64
}

// find returns the index of the first range that ends at or after x.
func (s *seqSet) find(x int64) int {
	return sort.Search(len(s.r), func(i int) bool { return s.r[i][1] >= x })
}

func (s *seqSet) has(x int64) bool {
	i := s.find(x)
	return i < len(s.r) && s.r[i][0] <= x
}

func (s *seqSet) add(x int64) {
	i := s.find(x)
	if i < len(s.r) && s.r[i][0] <= x {
		return
	}
	joinLeft := i > 0 && s.r[i-1][1] == x-1
	joinRight := i < len(s.r) && s.r[i][0] == x+1
	switch {
	case joinLeft && joinRight:
		s.r[i-1][1] = s.r[i][1]
		s.r = append(s.r[:i], s.r[i+1:]...)
	case joinLeft:
		s.r[i-1][1] = x
	case joinRight:
		s.r[i][0] = x
	default:
		s.r = append(s.r, [2]int64{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = [2]int64{x, x}
	}
}
