package check

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// csInterval is one critical section: a cs_enter, the prints and the
// cs_exit of one node.
type csInterval struct {
	id     int // rank by entry (t, then line)
	node   string
	enter  int // event index
	exit   int // event index; -1 when the trace ends with the node inside
	prints []int
	// again is the cs_enter by which the node entered again without
	// leaving this one (-1: none): the section was never closed.
	again int
	// crash is the node's crash that ended the section (-1: none).
	crash int
}

// collectCritical collects the critical sections of every node (h.cs, in
// the order of their entries, and h.csBy, per node in its order) and the
// prints made outside any (h.stray).
func (h *history) collectCritical() {
	// The sections, their prints and the lists are the history's buffers,
	// reused from trace to trace.
	n := 0
	for _, s := range h.seq {
		for _, i := range s {
			if h.ev[i].Ev == trace.CSEnter {
				n++
			}
		}
	}
	if cap(h.secs) < n {
		h.secs = append(h.secs[:cap(h.secs)], make([]csInterval, n-cap(h.secs))...)
	}
	h.secs = h.secs[:n]
	all := h.allCS[:0]
	if h.byNode == nil {
		h.byNode = map[string][]*csInterval{}
	}
	byNode := h.byNode
	for k, list := range byNode {
		byNode[k] = list[:0]
	}
	for _, node := range h.nodes {
		var open *csInterval
		for _, i := range h.events(node) {
			e := &h.ev[i]
			switch e.Ev {
			case trace.CSEnter:
				if open != nil {
					open.again = i
				}
				open = &h.secs[len(all)]
				*open = csInterval{node: node, enter: i, exit: -1, again: -1, crash: -1, prints: open.prints[:0]}
				all = append(all, open)
				byNode[node] = append(byNode[node], open)
			case trace.Print:
				if open == nil {
					h.stray = append(h.stray, i)
				} else {
					open.prints = append(open.prints, i)
				}
			case trace.Crash:
				if open != nil {
					open.crash = i // the section ends with the node, never left
				}
				open = nil
			case trace.CSExit:
				if open == nil {
					h.warnf(e.Line, "%s leaves a critical section it did not enter", node)
					continue
				}
				open.exit = i
				open = nil
			}
		}
	}
	slices.SortStableFunc(all, func(a, b *csInterval) int { return h.order(a.enter, b.enter) })
	for i, c := range all {
		c.id = i
	}
	for k, list := range byNode {
		if len(list) == 0 {
			delete(byNode, k) // none this time
		}
	}
	h.cs, h.csBy, h.allCS = all, byNode, all
}

// earlier orders events by t, then line.
func (h *history) earlier(a, b int) bool {
	ea, eb := &h.ev[a], &h.ev[b]
	if ea.T != eb.T {
		return ea.T < eb.T
	}
	return ea.Line < eb.Line
}

// order is earlier for slices.SortStableFunc.
func (h *history) order(a, b int) int {
	ea, eb := &h.ev[a], &h.ev[b]
	if c := cmp.Compare(ea.T, eb.T); c != 0 {
		return c
	}
	return cmp.Compare(ea.Line, eb.Line)
}

// byFirstLine orders findings by the line of their first event.
func byFirstLine(a, b Evidence) int { return cmp.Compare(a.Events[0].Line, b.Events[0].Line) }

// span names a critical section's lines: "lines 20-31", or "line 20, never
// left".
func (h *history) span(c *csInterval) string {
	if c.exit < 0 && c.crash >= 0 {
		return fmt.Sprintf("line %d, ended by a crash at line %d", h.ev[c.enter].Line, h.ev[c.crash].Line)
	}
	if c.exit < 0 {
		return fmt.Sprintf("line %d, never left", h.ev[c.enter].Line)
	}
	return fmt.Sprintf("lines %d-%d", h.ev[c.enter].Line, h.ev[c.exit].Line)
}

// csBody is the line a node's critical section prints (docs/lua-api.md).
func csBody(node string) string { return "I'm lightweight process " + node }

// end is the wall time a critical section ended (its cs_exit, or its
// node's crash); +inf when it never did.
func (h *history) end(c *csInterval) int64 {
	if c.exit < 0 && c.crash >= 0 {
		return h.ev[c.crash].T
	}
	if c.exit < 0 {
		return math.MaxInt64
	}
	return h.ev[c.exit].T
}

// checkMutualExclusion requires, for every two critical sections on
// different nodes, that the exit of one happened before the entry of the
// other. A correct message-passing algorithm always leaves that causal
// path; its absence is a violation even when the wall times happen not to
// overlap.
//
// Along one node, "k's exit happened before m's entry" holds for a prefix
// of the node's sections and "m's exit happened before k's entry" for a
// suffix (vector clock components only grow), so the sections of another
// node that are concurrent with m are the range between the two, found by
// binary search.
func checkMutualExclusion(h *history) Result {
	all, byNode := h.cs, h.csBy
	if len(all) == 0 {
		return Result{Check: MutualExclusion, Status: Skip, Summary: "no critical section was entered"}
	}
	// A section never left (the node entered again without leaving, or
	// the trace ends with it inside) never ends: it is concurrent with
	// every section of another node that did not leave before it entered.
	// Those are checked one by one; the closed ones by binary search.
	closed := map[string][]*csInterval{}
	open := map[string][]*csInterval{}
	for x, list := range byNode {
		for _, k := range list {
			if k.exit < 0 {
				open[x] = append(open[x], k)
			} else {
				closed[x] = append(closed[x], k)
			}
		}
	}
	var ev []Evidence
	overlap := 0
	h.concurrentCS = map[[2]int]bool{}
	report := func(k, m *csInterval) {
		h.concurrentCS[[2]int{min(k.id, m.id), max(k.id, m.id)}] = true
		e, wall := h.concurrent(k, m)
		if wall {
			overlap++
		}
		ev = append(ev, e)
	}
	for _, m := range all {
		for _, x := range h.nodes {
			if x == m.node {
				continue
			}
			list := closed[x]
			a := sort.Search(len(list), func(j int) bool { return !h.before(list[j].exit, m.enter) })
			b := len(list)
			if m.exit >= 0 {
				b = sort.Search(len(list), func(j int) bool { return h.before(m.exit, list[j].enter) })
			}
			for j := a; j < b; j++ {
				if k := list[j]; k.id < m.id {
					report(k, m) // else reported from k's side
				}
			}
			for _, k := range open[x] {
				if k.id < m.id && !(m.exit >= 0 && h.before(m.exit, k.enter)) {
					report(k, m)
				}
			}
		}
	}
	slices.SortStableFunc(ev, byFirstLine)
	return result(MutualExclusion, ev,
		fmt.Sprintf("%s, every two ordered by happened-before", plural(len(all), "critical section", "critical sections")),
		fmt.Sprintf("%s among %d critical sections not ordered by happened-before (%d overlapping in wall time)",
			plural(len(ev), "pair", "pairs"), len(all), overlap))
}

// concurrent describes two critical sections with no causal path between
// them; k entered first by wall time.
func (h *history) concurrent(k, m *csInterval) (Evidence, bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s's critical section (%s) and %s's (%s) are concurrent: neither's cs_exit happened before the other's cs_enter; ",
		k.node, h.span(k), m.node, h.span(m))
	from := max(h.ev[k.enter].T, h.ev[m.enter].T)
	to := min(h.end(k), h.end(m))
	wall := to > from
	switch {
	case wall && to == math.MaxInt64:
		b.WriteString("both are inside when the trace ends")
	case wall:
		fmt.Fprintf(&b, "they overlap in wall time for %s", dur(to-from))
	default:
		fmt.Fprintf(&b, "their wall times do not overlap (%s entered %s after %s left)", m.node, dur(from-to), k.node)
	}
	e := Evidence{
		Text:   b.String(),
		Nodes:  []string{k.node, m.node},
		Events: h.refs(k.enter, k.exit, m.enter, m.exit),
		key:    pairKey(k.id, m.id),
	}
	// A section its node never left is the cause: it is concurrent with
	// whatever follows.
	switch {
	case k.again >= 0:
		e.causeKey = unclosedKey(k.id)
	case m.again >= 0:
		e.causeKey = unclosedKey(m.id)
	}
	return e, wall
}

// concurrentPair reports whether the mutual exclusion check found the two
// sections concurrent.
func (h *history) concurrentPair(a, b *csInterval) bool {
	return h.concurrentCS[[2]int{min(a.id, b.id), max(a.id, b.id)}]
}

// checkScreen requires each critical section to print exactly
// meta.CS.Prints lines (fewer are allowed only when the trace ends with the
// node inside), no print outside a critical section, and the prints of two
// critical sections never interleaved in wall time.
func checkScreen(h *history) Result {
	all, stray := h.cs, h.stray
	want := h.meta.CS.Prints
	var ev []Evidence
	wrong := 0
	for _, c := range all {
		n := len(c.prints)
		if n == want || (c.exit < 0 && n < want) {
			continue
		}
		wrong++
		ev = append(ev, Evidence{
			Text: fmt.Sprintf("%s's critical section (%s) printed %s, want %d",
				c.node, h.span(c), plural(n, "line", "lines"), want),
			Nodes:  []string{c.node},
			Events: h.refs(c.enter, c.exit),
		})
	}
	// A section never closed before the next one, and lines that are not
	// this node's CS body ("I'm lightweight process A1").
	unclosed, foreign := 0, 0
	for _, c := range all {
		if c.again >= 0 {
			unclosed++
			ev = append(ev, Evidence{
				Text: fmt.Sprintf("%s entered the critical section again (line %d) without leaving the one it entered at line %d",
					c.node, h.ev[c.again].Line, h.ev[c.enter].Line),
				Nodes:  []string{c.node},
				Events: h.refs(c.enter, c.again),
				key:    unclosedKey(c.id),
			})
		}
		body := csBody(c.node)
		for _, i := range c.prints {
			if e := &h.ev[i]; e.Text != body {
				foreign++
				ev = append(ev, Evidence{
					Text:   fmt.Sprintf("%s printed %q in its critical section (line %d), want %q", c.node, e.Text, e.Line, csBody(c.node)),
					Nodes:  []string{c.node},
					Events: h.refs(i),
				})
				break // one line says it
			}
		}
	}
	for _, i := range stray {
		e := &h.ev[i]
		ev = append(ev, Evidence{
			Text:   fmt.Sprintf("%s printed %q outside a critical section (line %d)", e.Node, e.Text, e.Line),
			Nodes:  []string{e.Node},
			Events: h.refs(i),
		})
	}

	// Interleaving: in wall-time order, once a section has printed, no other
	// section may print before its last line.
	type pr struct {
		i int
		c *csInterval
	}
	n := 0
	for _, c := range all {
		n += len(c.prints)
	}
	prints := make([]pr, 0, n)
	for _, c := range all {
		for _, i := range c.prints {
			prints = append(prints, pr{i, c})
		}
	}
	slices.SortStableFunc(prints, func(a, b pr) int { return h.order(a.i, b.i) })
	last := make([]int, len(all)) // by section id: its latest print so far, -1 before its first
	for k := range last {
		last[k] = -1
	}
	var reported map[[2]int]bool
	interleaved := 0
	for j, p := range prints {
		if j > 0 {
			prev := prints[j-1]
			if l := last[p.c.id]; l >= 0 && prev.c != p.c {
				key := [2]int{min(p.c.id, prev.c.id), max(p.c.id, prev.c.id)}
				if !reported[key] {
					if reported == nil {
						reported = map[[2]int]bool{}
					}
					reported[key] = true
					interleaved++
					e := Evidence{
						Text: fmt.Sprintf("%s printed (line %d) between two lines of %s's critical section (lines %d and %d)",
							prev.c.node, h.ev[prev.i].Line, p.c.node, h.ev[l].Line, h.ev[p.i].Line),
						Nodes:  []string{p.c.node, prev.c.node},
						Events: h.refs(l, prev.i, p.i),
					}
					if h.concurrentPair(p.c, prev.c) {
						e.causeKey = pairKey(p.c.id, prev.c.id)
					}
					ev = append(ev, e)
				}
			}
		}
		last[p.c.id] = p.i
	}

	if len(all) == 0 && len(stray) == 0 {
		return Result{Check: Screen, Status: Skip, Summary: "no critical section was entered"}
	}
	var parts []string
	if wrong > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d critical sections printed the wrong number of lines", wrong, len(all)))
	}
	if interleaved > 0 {
		parts = append(parts, plural(interleaved, "interleaving", "interleavings"))
	}
	if len(stray) > 0 {
		parts = append(parts, plural(len(stray), "print", "prints")+" outside a critical section")
	}
	if unclosed > 0 {
		parts = append(parts, plural(unclosed, "critical section", "critical sections")+" never left before the next")
	}
	if foreign > 0 {
		parts = append(parts, plural(foreign, "critical section", "critical sections")+" printed another body")
	}
	open, crashed := 0, 0
	for _, c := range all {
		switch {
		case c.exit < 0 && c.again < 0 && c.crash >= 0:
			crashed++
		case c.exit < 0 && c.again < 0:
			open++
		}
	}
	return result(Screen, ev, screenPass(len(all), want, open, crashed), strings.Join(parts, "; "))
}

// screenPass is the screen check's summary when it passes: sections cut
// short (by the end of the trace, or by their node's crash) printed what
// they had time for.
func screenPass(sections, want, open, crashed int) string {
	if open == 0 && crashed == 0 {
		return fmt.Sprintf("%s printed %s each, none interleaved", plural(sections, "critical section", "critical sections"), plural(want, "line", "lines"))
	}
	var short []string
	if open > 0 {
		short = append(short, fmt.Sprintf("%d cut short by the end of the trace", open))
	}
	switch {
	case crashed > 0 && open > 0:
		short = append(short, fmt.Sprintf("%d by a crash", crashed))
	case crashed > 0:
		short = append(short, fmt.Sprintf("%d cut short by a crash", crashed))
	}
	return fmt.Sprintf("%s printed %s each, %s; none interleaved",
		plural(sections-open-crashed, "complete critical section", "complete critical sections"), plural(want, "line", "lines"), strings.Join(short, ", "))
}
