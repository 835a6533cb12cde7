package check

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"mutexlab/runtime/trace"
)

// The streaming checks. Run holds a whole trace (history.go); RunIndex
// judges a trace file the same way while it walks the file in time order
// (trace.Index.Walk), so that a long run is checked in memory bounded by
// what is concurrent in it — each node's state, the messages in flight,
// the critical sections some node has not yet heard the end of, the
// entries still waiting for a peer's next one — and by MaxEvidence, not
// by its length (docs/trace.md, Reading).
//
// Walking in time order (by t, then line) is walking in causal order too
// when the trace is in causal order (trace.Index.Disorder is empty), as
// every trace mutexlab writes is: so the vector clocks are rebuilt on the
// way, and a critical section is concurrent with an earlier one exactly
// when the earlier one's exit is not in its entry's past. A trace that is
// not (hand-made, shuffled) is read whole and judged by Run.
//
// Both must give the same report, word for word: stream_test.go holds
// them to it on every trace in testdata, random traces, and simulated
// runs of every example and exercise. A change to a check is made in both.

// RunIndex checks the trace ix indexes, as Run checks it whole.
func RunIndex(ix *trace.Index, opts Options) (*Report, error) {
	if ix.Disorder == "" && walkable(ix.Meta) {
		s := newStream(ix, opts)
		err := ix.Walk(s.event)
		if err == nil {
			return s.report(), nil
		}
		if !errors.Is(err, errTooOdd) {
			return nil, err
		}
	}
	t, err := ix.Read()
	if err != nil {
		return nil, err
	}
	return Run(t, opts), nil
}

// walkable reports whether a header is one the walk judges as Run does:
// every trace mutexlab writes. One that names the empty node, or a
// lightweight twice (in one group or two), is judged whole.
func walkable(m trace.Meta) bool {
	if slices.Contains(m.Nodes, "") {
		return false
	}
	seen := map[string]bool{}
	for _, lws := range m.Groups {
		for _, lw := range lws {
			if seen[lw] {
				return false
			}
			seen[lw] = true
		}
	}
	return true
}

// RunFile checks the trace file at path (RunIndex). The reader's
// warnings (a truncated last line) are returned besides.
func RunFile(path string, opts Options) (*Report, []string, error) {
	ix, err := trace.OpenIndex(path)
	if err != nil {
		return nil, nil, err
	}
	defer ix.Close()
	r, err := RunIndex(ix, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, ix.Warnings, nil
}

// errTooOdd stops a walk whose warnings pass maxWarnings: the trace is
// judged whole instead.
var errTooOdd = errors.New("too many warnings to walk")

const maxWarnings = 1000

// The checks' places in a report.
const (
	cMutex = iota
	cScreen
	cLive
	cOrder
	cClock
	cMessages
	nChecks
)

// point is an event kept for evidence.
type point struct {
	line  int
	node  int
	ev    string
	typ   string // of a send, receive or drop
	from  string // of a receive or drop
	t, lc int64
	pos   int64   // its place in its node's events, from 1
	vc    []int64 // for sends, receives, cs_enter and cs_exit
	text  string  // of a print
	dup   bool    // a receive of a duplicate
	// A REQUEST's ts, and its payload's ts if it carries one (a request
	// asked again keeps its first ts there): the order check orders by
	// them (history.requestTS).
	ts, payTS int64
	hasPayTS  bool
}

// lastEvent is what the clock check keeps of a node's latest event.
type lastEvent struct {
	line  int
	ev    string
	typ   string
	t, lc int64
	pos   int64
}

// stream is the state of a walk.
type stream struct {
	ix    *trace.Index
	meta  trace.Meta
	opts  Options
	nodes []string
	index map[string]int
	heavy []string
	group map[string]string
	col   *collector

	cur      [][]int64         // each node's vector clock so far
	enters   []int             // each node's cs_enter still to come
	inflight map[msgKey]*point // sends not yet received or dropped
	ender    *trace.Ender      // how the trace ends (trace.End)
	ord      int               // events walked
	e        *trace.Event      // the event being walked
	ni       int               // its node
	pt       *point            // its point, once made
	warns    []warning         // cs_exit without cs_enter
	interr   bool              // an exit says the run was interrupted
	cs       csState           // mutual exclusion and screen
	ordr     orderState        // order
	live     liveState         // liveness
	clk      clockState        // clock
	msgs     msgState          // messages
	peak     peaks
}

// peaks are the most a walk held at once, for the tests that hold its
// memory to what is concurrent in a run.
type peaks struct {
	live, inflight, entries, waits int // sections, sends, entries waiting, findings waiting
	waiting                        int // findings waiting now
}

type warning struct {
	node int
	pos  int64
	text string
}

func newStream(ix *trace.Index, opts Options) *stream {
	max := opts.MaxEvidence
	if max <= 0 {
		max = defaultMaxEvidence
	}
	s := &stream{ix: ix, meta: ix.Meta, opts: opts, index: map[string]int{}, group: map[string]string{},
		col: newCollector(nChecks, max), inflight: map[msgKey]*point{}}
	for _, n := range ix.Meta.Nodes {
		s.addNode(n)
	}
	var extra []string
	for n := range ix.Nodes {
		if _, ok := s.index[n]; !ok {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		s.addNode(n)
	}
	n := len(s.nodes)
	s.cur = make([][]int64, n)
	s.enters = make([]int, n)
	for i, id := range s.nodes {
		s.cur[i] = make([]int64, n)
		if c := ix.Nodes[id]; c != nil {
			s.enters[i] = c.Enters
		}
	}
	s.ender = trace.NewEnder(s.nodes)
	s.topology()
	s.cs.init(s)
	s.ordr.init(s)
	s.live.init(s)
	s.clk.init(s)
	s.msgs.init(s)
	return s
}

func (s *stream) addNode(n string) {
	if _, ok := s.index[n]; ok {
		return
	}
	s.index[n] = len(s.nodes)
	s.nodes = append(s.nodes, n)
}

// topology is history.topology: the heavyweights in ring order and each
// lightweight's group.
func (s *stream) topology() {
	for hw, lws := range s.meta.Groups {
		s.heavy = append(s.heavy, hw)
		for _, lw := range lws {
			s.group[lw] = hw
		}
	}
	order := func(n string) int {
		if i, ok := s.index[n]; ok {
			return i
		}
		return len(s.index)
	}
	sort.Slice(s.heavy, func(a, b int) bool {
		oa, ob := order(s.heavy[a]), order(s.heavy[b])
		if oa != ob {
			return oa < ob
		}
		return s.heavy[a] < s.heavy[b]
	})
}

func (s *stream) isLightweight(n int) bool {
	_, ok := s.group[s.nodes[n]]
	return ok
}

// event takes the next event in time order.
func (s *stream) event(e *trace.Event) error {
	ni, ok := s.index[e.Node]
	if !ok {
		return fmt.Errorf("line %d: node %q was not indexed", e.Line, e.Node)
	}
	s.e, s.ni, s.pt = e, ni, nil
	s.ord++
	v := s.cur[ni]
	back := s.clk.before(s) // what the clock check needs of the node's previous event

	var src *point
	switch e.Ev {
	case trace.Recv, trace.Drop:
		k := msgKey{e.From, e.Node, e.Seq}
		if p, ok := s.inflight[k]; ok {
			delete(s.inflight, k)
			if e.Ev == trace.Recv {
				src = p
			}
		}
	case trace.Exit:
		if e.Text == trace.ExitInterrupted {
			s.interr = true
		}
	}
	if src != nil {
		for k, x := range src.vc {
			v[k] = max(v[k], x)
		}
	}
	v[ni]++
	if e.Ev == trace.Send {
		p := s.point()
		if e.Type == "REQUEST" {
			p.ts = e.TS
			p.payTS, p.hasPayTS = payloadTS(e.Payload)
		}
		s.inflight[msgKey{e.Node, e.To, e.Seq}] = p
	}
	s.ender.Apply(s.ord, e)

	s.clk.event(s, src, back)
	s.cs.event(s)
	s.ordr.event(s, src)
	s.live.event(s)
	s.msgs.event(s)
	s.peak.live = max(s.peak.live, len(s.cs.live))
	s.peak.inflight = max(s.peak.inflight, len(s.inflight))
	s.peak.entries = max(s.peak.entries, s.ordr.waiting)
	if len(s.warns) > maxWarnings {
		return errTooOdd
	}
	return nil
}

// point returns the event being walked as a point, made once.
func (s *stream) point() *point {
	if s.pt == nil {
		e := s.e
		p := &point{line: e.Line, node: s.ni, ev: e.Ev, t: e.T, lc: e.LC, pos: s.cur[s.ni][s.ni]}
		switch e.Ev {
		case trace.Send:
			p.typ = e.Type
		case trace.Recv, trace.Drop:
			p.typ, p.from, p.dup = e.Type, e.From, e.Dup
		case trace.Print:
			p.text = e.Text
		}
		if keepVC(e.Ev) {
			p.vc = slices.Clone(s.cur[s.ni])
		}
		s.pt = p
	}
	return s.pt
}

// warnf records a warning about the event being walked; warnings are
// listed node by node (history.collectCritical).
func (s *stream) warnf(format string, a ...any) {
	s.warns = append(s.warns, warning{s.ni, s.cur[s.ni][s.ni], fmt.Sprintf("line %d: ", s.e.Line) + fmt.Sprintf(format, a...)})
}

// before reports whether a happened before b (or is b).
func before(a, b *point) bool {
	return b.vc != nil && b.vc[a.node] >= a.pos
}

// earlierPoint orders points by t, then line.
func earlierPoint(a, b *point) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.line < b.line
}

// ref describes a point for evidence, as history.ref does an event.
func (s *stream) ref(p *point) EventRef {
	r := EventRef{Line: p.line, Node: s.nodes[p.node], Ev: p.ev, T: p.t, LC: p.lc, Type: p.typ}
	if p.vc != nil {
		r.VC = VClock{}
		for k, x := range p.vc {
			if x != 0 {
				r.VC[s.nodes[k]] = x
			}
		}
	}
	return r
}

func (s *stream) refs(ps ...*point) []EventRef {
	out := make([]EventRef, 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, s.ref(p))
		}
	}
	return out
}

// report ends the walk and makes the report.
func (s *stream) report() *Report {
	s.cs.finish(s)
	interrupted := s.opts.Interrupted || s.interr
	r := &Report{Scenario: s.meta.Scenario, Start: s.ix.Earliest}
	r.Results = []Result{
		s.cs.mutexResult(),
		s.cs.screenResult(s),
		s.live.result(s, interrupted),
		s.ordr.result(s),
		s.clk.result(),
		s.msgs.result(s),
	}
	s.col.assemble(r.Results)
	for _, e := range s.ix.Nodeless {
		r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: %s event names no node; ignored", e.Line, e.Ev))
	}
	for _, e := range s.ix.Unmatched {
		r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: %s of %s from %s (seq %d) has no matching send", e.Line, e.Ev, e.Type, e.From, e.Seq))
	}
	sort.SliceStable(s.warns, func(a, b int) bool {
		if s.warns[a].node != s.warns[b].node {
			return s.warns[a].node < s.warns[b].node
		}
		return s.warns[a].pos < s.warns[b].pos
	})
	for _, w := range s.warns {
		r.Warnings = append(r.Warnings, w.text)
	}
	return r
}
