package check

import (
	"fmt"
	"math"
	"strings"

	"mutexlab/runtime/trace"
)

// section is a critical section met on the walk (csInterval).
type section struct {
	node  int
	enter *point
	exit  *point // nil: never left
	again *point // the cs_enter by which its node entered again without leaving it
	crash *point // its node's crash, which ended it
	// prints counts its lines; foreign is the first that is not the
	// node's body; last is its latest.
	prints        int
	foreign, last *point
	done          bool    // left, entered again, or the trace ended inside
	waits         []*wait // findings waiting for it to be done
	met           []*section
}

// wait is a finding that can be made once its sections are done.
type wait struct {
	n    int
	fire func()
}

// when calls fire once every section in cs is done.
func (s *stream) when(fire func(), cs ...*section) {
	w := &wait{fire: fire}
	for _, c := range cs {
		if !c.done {
			w.n++
			c.waits = append(c.waits, w)
		}
	}
	if w.n == 0 {
		fire()
		return
	}
	s.peak.waiting++
	s.peak.waits = max(s.peak.waits, s.peak.waiting)
}

// end is the wall time a section ended; +inf when it never did.
func (c *section) end() int64 {
	if c.exit == nil && c.crash != nil {
		return c.crash.t
	}
	if c.exit == nil {
		return math.MaxInt64
	}
	return c.exit.t
}

// span names a section's lines (history.span).
func (c *section) span() string {
	if c.exit == nil && c.crash != nil {
		return fmt.Sprintf("line %d, ended by a crash at line %d", c.enter.line, c.crash.line)
	}
	if c.exit == nil {
		return fmt.Sprintf("line %d, never left", c.enter.line)
	}
	return fmt.Sprintf("lines %d-%d", c.enter.line, c.exit.line)
}

// firstOf orders two sections by entry, as history's ids do.
func firstOf(a, b *section) (*section, *section) {
	if earlierPoint(b.enter, a.enter) {
		return b, a
	}
	return a, b
}

// concurrent reports whether neither section's exit happened before the
// other's entry: the pairs the mutual exclusion check reports.
func concurrent(a, b *section) bool {
	k, m := firstOf(a, b)
	return !(k.exit != nil && before(k.exit, m.enter)) && !(m.exit != nil && before(m.exit, k.enter))
}

// The keys of the mutual exclusion and screen findings: the order
// checkMutualExclusion and checkScreen list them in.
func pairKeyOf(k, m *section) sortKey {
	return sortKey{int64(k.enter.line), m.enter.t, int64(m.enter.line)}
}

func unclosedRef(c *section) *rootRef {
	return &rootRef{cScreen, sortKey{1, c.enter.t, int64(c.enter.line), 0}}
}

// pairRoot is the root cause of what follows from two concurrent
// sections: a section never left, else the pair itself.
func pairRoot(a, b *section) *rootRef {
	k, m := firstOf(a, b)
	switch {
	case k.again != nil:
		return unclosedRef(k)
	case m.again != nil:
		return unclosedRef(m)
	}
	return &rootRef{cMutex, pairKeyOf(k, m)}
}

// csState is what the mutual exclusion and screen checks keep.
type csState struct {
	want  int
	open  []*section // each node's section, if inside
	live  []*section // sections that a later one may be concurrent with
	prune int        // prune live when it reaches this
	prev  *section   // the section of the latest print in a section
	// counts
	sections, pairs, overlap                         int
	wrong, unclosed, foreign, stray, interleaved, in int
	crashed                                          int
}

func (c *csState) init(s *stream) {
	c.want = s.meta.CS.Prints
	c.open = make([]*section, len(s.nodes))
	c.prune = pruneFrom
}

// pruneFrom is how many sections live holds before the first pruning
// (tests prune all the time).
var pruneFrom = 64

func (c *csState) event(s *stream) {
	e := s.e
	switch e.Ev {
	case trace.CSEnter:
		p := s.point()
		s.enters[s.ni]--
		if o := c.open[s.ni]; o != nil {
			o.again = p
			c.resolve(s, o)
		}
		m := &section{node: s.ni, enter: p}
		c.sections++
		// Every section in live entered before m. One whose exit is not
		// in m's past is concurrent with it: its exit cannot come after m
		// in a walk in causal order and still precede m, nor can m's exit
		// precede its entry.
		for _, k := range c.live {
			if k.node != s.ni && (k.exit == nil || !before(k.exit, p)) {
				c.pair(s, k, m)
			}
		}
		c.live = append(c.live, m)
		c.open[s.ni] = m
		if len(c.live) >= c.prune {
			c.forget(s)
		}
	case trace.Print:
		c.print(s)
	case trace.Crash:
		if o := c.open[s.ni]; o != nil { // the section ends with the node, never left
			o.crash = s.point()
			c.open[s.ni] = nil
			c.resolve(s, o)
		}
	case trace.CSExit:
		o := c.open[s.ni]
		if o == nil {
			s.warnf("%s leaves a critical section it did not enter", e.Node)
			return
		}
		o.exit = s.point()
		c.open[s.ni] = nil
		c.resolve(s, o)
	}
}

// forget drops from live the sections left whose exit every node that
// will enter again has heard of: every later entry comes after them.
func (c *csState) forget(s *stream) {
	kept := c.live[:0]
	for _, k := range c.live {
		if k.exit == nil || !c.heardByAll(s, k) {
			kept = append(kept, k)
		}
	}
	clear(c.live[len(kept):])
	c.live = kept
	c.prune = max(pruneFrom, 2*len(kept))
}

func (c *csState) heardByAll(s *stream, k *section) bool {
	for y, left := range s.enters {
		if left > 0 && y != k.node && s.cur[y][k.node] < k.exit.pos {
			return false
		}
	}
	return true
}

// pair reports two concurrent sections, k entered first, once both are
// done (checkMutualExclusion, history.concurrent).
func (c *csState) pair(s *stream, k, m *section) {
	c.pairs++
	s.when(func() {
		from := max(k.enter.t, m.enter.t)
		to := min(k.end(), m.end())
		wall := to > from
		if wall {
			c.overlap++
		}
		f := &finding{check: cMutex, key: pairKeyOf(k, m), build: func() Evidence {
			var b strings.Builder
			kn, mn := s.nodes[k.node], s.nodes[m.node]
			fmt.Fprintf(&b, "%s's critical section (%s) and %s's (%s) are concurrent: neither's cs_exit happened before the other's cs_enter; ",
				kn, k.span(), mn, m.span())
			switch {
			case wall && to == math.MaxInt64:
				b.WriteString("both are inside when the trace ends")
			case wall:
				fmt.Fprintf(&b, "they overlap in wall time for %s", dur(to-from))
			default:
				fmt.Fprintf(&b, "their wall times do not overlap (%s entered %s after %s left)", mn, dur(from-to), kn)
			}
			return Evidence{Text: b.String(), Nodes: []string{kn, mn}, Events: s.refs(k.enter, k.exit, m.enter, m.exit)}
		}}
		switch {
		case k.again != nil:
			f.root = unclosedRef(k)
		case m.again != nil:
			f.root = unclosedRef(m)
		}
		s.col.add(f)
	}, k, m)
}

// print follows a print: outside any section, the wrong body, or
// between two lines of another section (checkScreen).
func (c *csState) print(s *stream) {
	o := c.open[s.ni]
	p := s.point()
	if o == nil {
		c.stray++
		node := s.e.Node
		s.col.add(&finding{check: cScreen, key: sortKey{2, int64(s.ni), p.pos}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s printed %q outside a critical section (line %d)", node, p.text, p.line),
				Nodes: []string{node}, Events: s.refs(p)}
		}})
		return
	}
	o.prints++
	if o.foreign == nil && p.text != csBody(s.nodes[o.node]) {
		o.foreign = p
	}
	// In wall-time order, once a section has printed, no other section
	// may print before its next line.
	if d := c.prev; d != nil && d != o && o.last != nil && !metBefore(o, d) {
		o.met = append(o.met, d)
		d.met = append(d.met, o)
		c.interleaved++
		l, pp := o.last, d.last
		s.when(func() {
			f := &finding{check: cScreen, key: sortKey{3, p.t, int64(p.line)}, build: func() Evidence {
				on, dn := s.nodes[o.node], s.nodes[d.node]
				return Evidence{
					Text: fmt.Sprintf("%s printed (line %d) between two lines of %s's critical section (lines %d and %d)",
						dn, pp.line, on, l.line, p.line),
					Nodes:  []string{on, dn},
					Events: s.refs(l, pp, p),
				}
			}}
			if concurrent(o, d) {
				f.root = pairRoot(o, d)
			}
			s.col.add(f)
		}, o, d)
	}
	o.last = p
	c.prev = o
}

func metBefore(a, b *section) bool {
	for _, x := range a.met {
		if x == b {
			return true
		}
	}
	return false
}

// resolve marks a section done: its own screen findings, then what
// waited for it.
func (c *csState) resolve(s *stream, o *section) {
	o.done = true
	node := s.nodes[o.node]
	n := o.prints
	if !(n == c.want || (o.exit == nil && n < c.want)) {
		c.wrong++
		want := c.want
		s.col.add(&finding{check: cScreen, key: sortKey{0, o.enter.t, int64(o.enter.line)}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s's critical section (%s) printed %s, want %d", node, o.span(), plural(n, "line", "lines"), want),
				Nodes: []string{node}, Events: s.refs(o.enter, o.exit)}
		}})
	}
	if o.again != nil {
		c.unclosed++
		s.col.add(&finding{check: cScreen, key: unclosedRef(o).key, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s entered the critical section again (line %d) without leaving the one it entered at line %d",
				node, o.again.line, o.enter.line), Nodes: []string{node}, Events: s.refs(o.enter, o.again)}
		}})
	}
	if f := o.foreign; f != nil {
		c.foreign++
		s.col.add(&finding{check: cScreen, key: sortKey{1, o.enter.t, int64(o.enter.line), 1}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s printed %q in its critical section (line %d), want %q", node, f.text, f.line, csBody(node)),
				Nodes: []string{node}, Events: s.refs(f)}
		}})
	}
	switch {
	case o.exit == nil && o.again == nil && o.crash != nil:
		c.crashed++
	case o.exit == nil && o.again == nil:
		c.in++
	}
	for _, w := range o.waits {
		if w.n--; w.n == 0 {
			s.peak.waiting--
			w.fire()
		}
	}
	o.waits = nil
}

// finish ends the sections still open when the trace ends.
func (c *csState) finish(s *stream) {
	for i, o := range c.open {
		if o != nil {
			c.open[i] = nil
			c.resolve(s, o)
		}
	}
}

func (c *csState) mutexResult() Result {
	if c.sections == 0 {
		return Result{Check: MutualExclusion, Status: Skip, Summary: "no critical section was entered"}
	}
	return streamResult(MutualExclusion, c.pairs,
		fmt.Sprintf("%s, every two ordered by happened-before", plural(c.sections, "critical section", "critical sections")),
		fmt.Sprintf("%s among %d critical sections not ordered by happened-before (%d overlapping in wall time)",
			plural(c.pairs, "pair", "pairs"), c.sections, c.overlap))
}

func (c *csState) screenResult(s *stream) Result {
	if c.sections == 0 && c.stray == 0 {
		return Result{Check: Screen, Status: Skip, Summary: "no critical section was entered"}
	}
	var parts []string
	if c.wrong > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d critical sections printed the wrong number of lines", c.wrong, c.sections))
	}
	if c.interleaved > 0 {
		parts = append(parts, plural(c.interleaved, "interleaving", "interleavings"))
	}
	if c.stray > 0 {
		parts = append(parts, plural(c.stray, "print", "prints")+" outside a critical section")
	}
	if c.unclosed > 0 {
		parts = append(parts, plural(c.unclosed, "critical section", "critical sections")+" never left before the next")
	}
	if c.foreign > 0 {
		parts = append(parts, plural(c.foreign, "critical section", "critical sections")+" printed another body")
	}
	pass := screenPass(c.sections, c.want, c.in, c.crashed)
	return streamResult(Screen, c.wrong+c.interleaved+c.stray+c.unclosed+c.foreign, pass, strings.Join(parts, "; "))
}

// streamResult is result for a check whose findings went to the
// collector: fail when it found any.
func streamResult(name string, found int, pass, fail string) Result {
	if found > 0 {
		return Result{Check: name, Status: Fail, Summary: fail}
	}
	return Result{Check: name, Status: Pass, Summary: pass}
}
