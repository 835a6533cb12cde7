// Package diagram draws a recorded run (a trace) as a space-time diagram:
// one lane per process, time left to right, an arrow per message and a bar
// per critical section.
//
// Three renderings share one model of the trace:
//
//   - HTML writes one self-contained page (inline SVG, CSS and JavaScript;
//     it fetches nothing) with hover details, vector clocks, concurrency
//     highlighting, zoom and a wall-time / Lamport-time switch;
//   - Timeline writes a compact Unicode lane view for a terminal;
//   - ShiViz writes a log that ShiViz (https://bestchai.bitbucket.io/shiviz/)
//     parses with ShiVizRegex.
//
// The model pairs every recv (and drop) with its send on (from, to, seq)
// and rebuilds vector clocks from those pairs: every event ticks its own
// process's entry by one, and a recv also takes the element-wise maximum
// with its send's clock. Checker results are passed in as Violations, so
// this package does not depend on the checker.
package diagram

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// Violation is a checker failure to draw in red: the processes and the
// trace lines (Event.Line) of the events involved, and the explanation.
// Root causes come first; a violation that follows from one (a screen
// failure of two overlapping critical sections) names it in Follows and
// is listed, folded, under it.
type Violation struct {
	Nodes []string
	Lines []int
	Text  string
	// Check is the check that found it ("mutual exclusion").
	Check string
	// Follows is the position (from 1) in the list of the root cause
	// this one follows from; 0 for a root cause.
	Follows int
}

// lane is one process's row of the diagram.
type lane struct {
	ID    string
	Heavy bool
	Group string // the heavyweight of its group, "" if unknown
}

// message is a send paired with its recv or drop. Send is -1 for a recv
// whose send is not in the trace; Recv and Drop are -1 when absent (a
// message still in flight when the trace ends).
type message struct {
	Send, Recv, Drop int
}

// csBar is one critical section on a lane. Exit is -1 when the trace ends
// inside it.
type csBar struct {
	Lane, Enter, Exit, Round int
}

// model is a trace arranged for drawing.
type model struct {
	meta   trace.Meta
	events []trace.Event
	lanes  []lane
	laneOf []int          // event -> lane
	index  map[string]int // node id -> lane
	vc     []int32        // vector clocks, len(events)*len(lanes), row-major
	msgs   []message
	msgOf  []int // event -> message, -1 for events that are not message ends
	bars   []csBar
	barOf  []int // event -> bar, -1 for other events
	t0, t1 int64 // first and last t
	notes  []string
}

// newModel builds the model of t. The events are put in the order of
// their t, file order breaking ties: the lines of a trace come from several
// processes, so only each node's own events are in order in the file (the
// checker orders them the same way, so both rebuild the same vector clocks).
func newModel(t *trace.Trace) *model {
	m := &model{meta: t.Meta, events: make([]trace.Event, 0, len(t.Events))}
	for _, e := range t.Events {
		if e.Node == "" {
			m.notef(e.Line, "%s event names no node; left out", e.Ev)
			continue
		}
		m.events = append(m.events, e)
	}
	slices.SortStableFunc(m.events, func(a, b trace.Event) int { return cmp.Compare(a.T, b.T) })
	m.lanes = buildLanes(t.Meta, t.Events)
	m.index = make(map[string]int, len(m.lanes))
	for i, l := range m.lanes {
		m.index[l.ID] = i
	}
	m.laneOf = make([]int, len(m.events))
	for i, e := range m.events {
		m.laneOf[i] = m.index[e.Node]
	}
	if len(m.events) > 0 {
		m.t0, m.t1 = m.events[0].T, m.events[0].T
		for _, e := range m.events {
			m.t0 = min(m.t0, e.T)
			m.t1 = max(m.t1, e.T)
		}
	}
	m.matchMessages()
	m.findBars()
	m.vectorClocks()
	m.notes = append(m.notes, t.Warnings...)
	return m
}

// buildLanes orders the processes: each heavyweight (in the order of
// meta.Nodes, which is ring order) followed by its lightweights, then any
// other node of the meta header, then nodes seen only in events (as the
// node of an event or a message's peer).
func buildLanes(meta trace.Meta, events []trace.Event) []lane {
	var named []string
	for _, e := range events {
		named = append(named, e.Node, e.From, e.To)
	}
	return lanesOf(meta, named)
}

// lanesOf is buildLanes with the ids the events name, in their order
// (trace.Index.Named).
func lanesOf(meta trace.Meta, named []string) []lane {
	var lanes []lane
	seen := map[string]bool{}
	add := func(id string, heavy bool, group string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		lanes = append(lanes, lane{ID: id, Heavy: heavy, Group: group})
	}
	groups := meta.Groups
	if len(groups) == 0 {
		groups = inferGroups(meta.Nodes)
	}
	var heavies []string
	for _, id := range meta.Nodes {
		if _, ok := groups[id]; ok {
			heavies = append(heavies, id)
		}
	}
	var extra []string
	for id := range groups {
		if !slices.Contains(heavies, id) {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	for _, h := range append(heavies, extra...) {
		add(h, true, h)
		for _, c := range groups[h] {
			add(c, false, h)
		}
	}
	for _, id := range meta.Nodes {
		g, heavy := splitID(id)
		add(id, heavy, g)
	}
	for _, id := range named {
		g, _ := splitID(id)
		add(id, false, g)
	}
	return lanes
}

// inferGroups rebuilds the groups from the naming rule (docs/scenario.md): a
// heavyweight is a letter, its lightweights that letter and an index.
func inferGroups(nodes []string) map[string][]string {
	groups := map[string][]string{}
	for _, id := range nodes {
		if _, heavy := splitID(id); heavy {
			groups[id] = nil
		}
	}
	for _, id := range nodes {
		if g, heavy := splitID(id); !heavy {
			if _, ok := groups[g]; ok {
				groups[g] = append(groups[g], id)
			}
		}
	}
	return groups
}

// splitID returns the group prefix of a node id ("A" for "A12") and
// whether the id is that prefix alone, as a heavyweight's id is.
func splitID(id string) (group string, heavy bool) {
	i := strings.IndexFunc(id, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return id, true
	}
	return id[:i], false
}

// chanKey names one message: its channel and its number on it.
type chanKey struct {
	from, to string
	seq      int64
}

// matchMessages pairs sends with recvs and drops on (from, to, seq). A
// trace without seq numbers (seq 0) is matched in FIFO order per channel,
// which the one-connection-per-pair transport guarantees.
func (m *model) matchMessages() {
	m.msgOf = make([]int, len(m.events))
	for i := range m.msgOf {
		m.msgOf[i] = -1
	}
	key := func(from, to string, seq int64, implicit map[[2]string]int64) chanKey {
		if seq == 0 {
			c := [2]string{from, to}
			implicit[c]++
			seq = -implicit[c]
		}
		return chanKey{from, to, seq}
	}
	sendImplicit := map[[2]string]int64{}
	recvImplicit := map[[2]string]int64{}
	sends := map[chanKey]int{}
	for i, e := range m.events {
		if e.Ev != trace.Send {
			continue
		}
		k := key(e.Node, e.To, e.Seq, sendImplicit)
		if _, dup := sends[k]; dup {
			m.notef(e.Line, "send %s->%s seq %d appears twice; this one is drawn unmatched", e.Node, e.To, e.Seq)
		} else {
			sends[k] = len(m.msgs)
		}
		m.msgOf[i] = len(m.msgs)
		m.msgs = append(m.msgs, message{Send: i, Recv: -1, Drop: -1})
	}
	for i, e := range m.events {
		if e.Ev != trace.Recv && e.Ev != trace.Drop {
			continue
		}
		from, to := e.From, e.To
		if from == "" {
			from = e.Node
		}
		if to == "" {
			to = e.Node
		}
		k := key(from, to, e.Seq, recvImplicit)
		mi, ok := sends[k]
		if ok && (m.msgs[mi].Recv >= 0 || m.msgs[mi].Drop >= 0) {
			m.notef(e.Line, "%s %s->%s seq %d: its message was already delivered or dropped", e.Ev, from, to, e.Seq)
			ok = false
		}
		if !ok {
			if e.Ev == trace.Recv {
				m.notef(e.Line, "recv %s->%s seq %d has no matching send", from, to, e.Seq)
			}
			mi = len(m.msgs)
			m.msgs = append(m.msgs, message{Send: -1, Recv: -1, Drop: -1})
		}
		if e.Ev == trace.Recv {
			m.msgs[mi].Recv = i
		} else {
			m.msgs[mi].Drop = i
		}
		m.msgOf[i] = mi
	}
}

// findBars pairs cs_enter with the next cs_exit on the same lane.
func (m *model) findBars() {
	m.barOf = make([]int, len(m.events))
	open := make([]int, len(m.lanes))
	for i := range open {
		open[i] = -1
	}
	for i, e := range m.events {
		m.barOf[i] = -1
		l := m.laneOf[i]
		switch e.Ev {
		case trace.CSEnter:
			if b := open[l]; b >= 0 {
				m.notef(e.Line, "%s enters the CS again without leaving it", e.Node)
			}
			open[l] = len(m.bars)
			m.barOf[i] = len(m.bars)
			m.bars = append(m.bars, csBar{Lane: l, Enter: i, Exit: -1, Round: e.Round})
		case trace.CSExit:
			b := open[l]
			if b < 0 {
				m.notef(e.Line, "%s leaves the CS without entering it", e.Node)
				continue
			}
			m.bars[b].Exit = i
			m.barOf[i] = b
			open[l] = -1
		}
	}
}

// vectorClocks computes every event's vector clock. Each lane is walked in
// order; a recv waits until its send has been processed. If every lane
// waits (a recv recorded before its send on a cycle, which a sound trace
// never has) the earliest waiting recv is taken as a local event.
func (m *model) vectorClocks() {
	n := len(m.lanes)
	m.vc = make([]int32, len(m.events)*n)
	queues := make([][]int, n)
	for i := range m.events {
		queues[m.laneOf[i]] = append(queues[m.laneOf[i]], i)
	}
	done := make([]bool, len(m.events))
	cur := make([][]int32, n)
	for l := range cur {
		cur[l] = make([]int32, n)
	}
	pos := make([]int, n)
	step := func(i int, merge bool) {
		l := m.laneOf[i]
		c := cur[l]
		if merge {
			s := m.msgs[m.msgOf[i]].Send
			for k, v := range m.vc[s*n : s*n+n] {
				c[k] = max(c[k], v)
			}
		}
		c[l]++
		copy(m.vc[i*n:i*n+n], c)
		done[i] = true
		pos[l]++
	}
	// sendOf is the send a recv must wait for, or -1.
	sendOf := func(i int) int {
		if m.events[i].Ev != trace.Recv || m.msgOf[i] < 0 {
			return -1
		}
		return m.msgs[m.msgOf[i]].Send
	}
	left := len(m.events)
	for left > 0 {
		progress := false
		for l := range queues {
			for pos[l] < len(queues[l]) {
				i := queues[l][pos[l]]
				s := sendOf(i)
				if s >= 0 && !done[s] {
					break
				}
				step(i, s >= 0)
				left--
				progress = true
			}
		}
		if progress {
			continue
		}
		first := -1
		for l := range queues {
			if pos[l] < len(queues[l]) {
				if i := queues[l][pos[l]]; first < 0 || m.events[i].T < m.events[first].T {
					first = i
				}
			}
		}
		m.notef(m.events[first].Line, "recv from %s is recorded before its send on a causal cycle; drawn as a local event", m.events[first].From)
		step(first, false)
		left--
	}
}

func (m *model) notef(line int, format string, a ...any) {
	m.notes = append(m.notes, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, a...))
}

// clock returns event i's vector clock.
func (m *model) clock(i int) []int32 {
	n := len(m.lanes)
	return m.vc[i*n : i*n+n]
}

// violation is a Violation resolved against the model.
type violation struct {
	Text    string
	Check   string
	Events  []int
	Lanes   []int
	Follows int   // the index (from 0) of its root cause in the list; -1 for a root
	Num     int   // a root's number in the panel, from 1; 0 for the others
	Under   []int // a root's consequences, as indices in the list
}

// resolve maps the violations' trace lines to events and their nodes to
// lanes; lines and nodes that are not in the trace are ignored.
func (m *model) resolve(vs []Violation) []violation {
	byLine := make(map[int]int, len(m.events))
	for i, e := range m.events {
		byLine[e.Line] = i
	}
	var out []violation
	num := 0
	for _, v := range vs {
		r := violation{Text: v.Text, Check: v.Check, Follows: -1}
		if v.Follows > 0 && v.Follows <= len(vs) && vs[v.Follows-1].Follows == 0 {
			r.Follows = v.Follows - 1
		} else {
			num++
			r.Num = num
		}
		lanes := map[int]bool{}
		for _, ln := range v.Lines {
			if i, ok := byLine[ln]; ok {
				r.Events = append(r.Events, i)
				lanes[m.laneOf[i]] = true
			}
		}
		for _, id := range v.Nodes {
			if l, ok := m.index[id]; ok {
				lanes[l] = true
			}
		}
		for l := range lanes {
			r.Lanes = append(r.Lanes, l)
		}
		sort.Ints(r.Events)
		sort.Ints(r.Lanes)
		out = append(out, r)
	}
	for i, v := range out {
		if v.Follows >= 0 {
			out[v.Follows].Under = append(out[v.Follows].Under, i)
		}
	}
	return out
}

// stallView is how a stalled run ends, for drawing: who waits for whom
// (trace.End is the one fold the liveness check and the timeline use).
type stallView struct {
	Text  string // "deadlock A1 → A2 → A1: ..."
	Cycle bool   // a deadlock: some nodes wait for each other
	Edges []waitEdge
}

// waitEdge is one wait of a stalled node on another.
type waitEdge struct {
	From, To int    // lanes: From waits for To; To is -1 for a wait on anyone
	What     string // "REPLY", "CS_GRANT", "TOKEN"
	Block    int    // the event that says so (From's last block)
	OnCycle  bool   // an edge of the cycle's path
}

// stall returns the stall the trace ends in, nil when it does not.
func (m *model) stall() *stallView {
	end := trace.End(m.meta.Nodes, m.events, nil)
	st := end.Stall
	if st == nil {
		return nil
	}
	v := &stallView{Text: st.String(), Cycle: len(st.Cycle) > 0}
	onPath := map[[2]string]bool{}
	for i, n := range st.Path {
		onPath[[2]string{n, st.Path[(i+1)%len(st.Path)]}] = true
	}
	for _, b := range append(append([]trace.Blocked{}, st.Cycle...), st.Waiting...) {
		from, ok := m.index[b.Node]
		if !ok || b.Wait == nil {
			continue
		}
		block := -1
		if s := end.States[b.Node]; s != nil {
			block = s.Block
		}
		what := b.Wait.Type
		if what == "" {
			what = b.Wait.What()
		}
		if len(b.Wait.From) == 0 { // from anyone: said, not drawn
			v.Edges = append(v.Edges, waitEdge{From: from, To: -1, What: what, Block: block})
		}
		for _, f := range b.Wait.From {
			if to, ok := m.index[f]; ok && to != from {
				v.Edges = append(v.Edges, waitEdge{From: from, To: to, What: what, Block: block, OnCycle: onPath[[2]string{b.Node, f}]})
			}
		}
	}
	return v
}
