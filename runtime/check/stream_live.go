package check

import (
	"fmt"
	"slices"
	"strings"

	"mutexlab/runtime/trace"
)

// clockState is what the clock check keeps (checkClock): each node's
// latest event that is not an exit.
type clockState struct {
	last               []lastEvent
	seen               []bool
	recvs, late, backs int
}

func (c *clockState) init(s *stream) {
	c.last = make([]lastEvent, len(s.nodes))
	c.seen = make([]bool, len(s.nodes))
}

// before returns the node's previous event when the clock went back
// since, made before the event moves the node's vector clock: only exits
// (which merge no clock) can have come between.
func (c *clockState) before(s *stream) *point {
	e, ni := s.e, s.ni
	if e.Ev == trace.Exit || e.Ev == trace.Restart || !c.seen[ni] || e.LC >= c.last[ni].lc {
		return nil
	}
	l := c.last[ni]
	p := &point{line: l.line, node: ni, ev: l.ev, typ: l.typ, t: l.t, lc: l.lc, pos: l.pos}
	if keepVC(l.ev) {
		p.vc = slices.Clone(s.cur[ni])
		p.vc[ni] = l.pos
	}
	return p
}

func (c *clockState) event(s *stream, src, back *point) {
	e, ni, n := s.e, s.ni, s.e.Node
	if e.Ev == trace.Recv {
		c.recvs++
		if e.LC <= e.TS {
			c.late++
			p := s.point()
			text := fmt.Sprintf("%s received %s from %s (ts %d) with lc %d at line %d: a receive must set the clock past the message's ts",
				n, e.Type, e.From, e.TS, e.LC, e.Line)
			nodes := []string{n, e.From}
			s.col.add(&finding{check: cClock, key: sortKey{int64(ni), p.pos, 0}, build: func() Evidence {
				return Evidence{Text: text, Nodes: nodes, Events: s.refs(src, p)}
			}})
		}
	}
	if e.Ev == trace.Exit {
		return // may be written for the node by the launcher, which does not know its clock
	}
	if back != nil {
		c.backs++
		p := s.point()
		text := fmt.Sprintf("%s's clock went back from %d (line %d, %s) to %d (line %d, %s)", n, back.lc, back.line, back.ev, e.LC, e.Line, e.Ev)
		s.col.add(&finding{check: cClock, key: sortKey{int64(ni), p.pos, 1}, build: func() Evidence {
			return Evidence{Text: text, Nodes: []string{n}, Events: s.refs(back, p)}
		}})
	}
	typ := ""
	switch e.Ev {
	case trace.Send, trace.Recv, trace.Drop:
		typ = e.Type
	}
	c.last[ni] = lastEvent{line: e.Line, ev: e.Ev, typ: typ, t: e.T, lc: e.LC, pos: s.cur[ni][ni]}
	c.seen[ni] = true
}

func (c *clockState) result() Result {
	var fail []string
	if c.late > 0 {
		fail = append(fail, fmt.Sprintf("%d of %s left the clock at or below the message's ts", c.late, plural(c.recvs, "receive", "receives")))
	}
	if c.backs > 0 {
		fail = append(fail, fmt.Sprintf("a clock went back %s", plural(c.backs, "time", "times")))
	}
	return streamResult(Clock, c.late+c.backs,
		fmt.Sprintf("%s past their ts; no clock went back", plural(c.recvs, "receive", "receives")),
		strings.Join(fail, "; "))
}

// liveState is what the liveness check keeps (checkLiveness): per node,
// the grants not yet used, its exit, its first error, its latest block.
type liveState struct {
	nodes                        []liveNode
	grants, entered, extra, late int
	failed                       int
}

type liveNode struct {
	pending    []*point // CS_GRANT received, not yet used
	lastEntry  *point   // the entry that used the latest grant
	entries    int
	exit       *point
	lateSeen   bool
	errored    bool
	firstError *point
	block      *point
}

func (l *liveState) init(s *stream) { l.nodes = make([]liveNode, len(s.nodes)) }

func (l *liveState) event(s *stream) {
	e, ni, n := s.e, s.ni, s.e.Node
	ln := &l.nodes[ni]
	if st := s.ender.State(n); e.Ev == trace.Block && st.Block == s.ord {
		ln.block = s.point()
	}
	// Nothing after an exit: a node that ended cannot act.
	if ln.exit != nil && !ln.lateSeen {
		ln.lateSeen = true
		l.late++
		exit, p := ln.exit, s.point()
		s.col.add(&finding{check: cLive, key: sortKey{2, int64(ni)}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s recorded %s (line %d) after its exit (line %d)", n, p.ev, p.line, exit.line),
				Nodes: []string{n}, Events: s.refs(exit, p)}
		}})
	}
	switch {
	case e.Ev == trace.Exit && ln.exit == nil:
		ln.exit = s.point()
	case e.Ev == trace.Crash || e.Ev == trace.Restart:
		// The grants it had died with it; a restarted node counts its
		// rounds again.
		ln.pending, ln.lastEntry = nil, nil
		if e.Ev == trace.Restart {
			ln.entries = 0
		}
	case e.Ev == trace.Recv && e.Type == "CS_GRANT":
		if !e.Dup {
			l.grants++ // a duplicate's copy is no grant of its own
		}
		ln.pending = append(ln.pending, s.point())
	case e.Ev == trace.CSEnter && len(ln.pending) > 0:
		g, p := ln.pending[0], s.point()
		ln.entries++
		ln.lastEntry = p
		ln.pending = ln.pending[1:]
		if len(ln.pending) == 0 {
			ln.pending = nil
		}
		if !g.dup || !s.isLightweight(ni) {
			l.entered++
			break
		}
		l.extra++
		s.col.add(&finding{check: cLive, key: sortKey{1, int64(ni), 0, p.pos}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s entered the critical section (line %d) on a duplicate of a CS_GRANT (line %d): its heavyweight granted it once",
				n, p.line, g.line), Nodes: []string{n}, Events: s.refs(g, p)}
		}})
	case e.Ev == trace.CSEnter:
		ln.entries++
		if !s.isLightweight(ni) {
			break // a heavyweight's own section: not the role scripts' protocol
		}
		l.extra++
		p, last := s.point(), ln.lastEntry
		s.col.add(&finding{check: cLive, key: sortKey{1, int64(ni), 0, p.pos}, build: func() Evidence {
			if last != nil {
				return Evidence{Text: fmt.Sprintf("%s entered the critical section again (line %d) on the grant it used at line %d: one entry per grant",
					n, p.line, last.line), Nodes: []string{n}, Events: s.refs(last, p)}
			}
			return Evidence{Text: fmt.Sprintf("%s entered the critical section (line %d) without a CS_GRANT", n, p.line),
				Nodes: []string{n}, Events: s.refs(p)}
		}})
	case e.Ev == trace.Error:
		l.failed++
		p := s.point()
		ln.errored = true
		if ln.firstError == nil {
			ln.firstError = p
		}
		text := e.Text
		s.col.add(&finding{check: cLive, key: sortKey{3, int64(ni), p.pos}, build: func() Evidence {
			return Evidence{Text: fmt.Sprintf("%s stopped with an error (line %d): %s", n, p.line, text),
				Nodes: []string{n}, Events: s.refs(p)}
		}})
	}
}

// errorRoot is the root cause a node's script error is: its first.
func (l *liveState) errorRoot(ni int) *rootRef {
	return &rootRef{cLive, sortKey{3, int64(ni), l.nodes[ni].firstError.pos}}
}

func (l *liveState) result(s *stream, interrupted bool) Result {
	var parts []string
	end := s.ender.Ending(s.nodes)
	errored := func(id string) (int, bool) {
		i, ok := s.index[id]
		return i, ok && l.nodes[i].errored
	}
	stalled := map[string]bool{}
	found := l.extra + l.late + l.failed
	var stallRoot *rootRef

	// Stall: one violation, the wait-for graph's cycle first.
	if st := end.Stall; st != nil {
		found++
		parts = append(parts, "stall: "+st.String())
		var blocks []*point
		for _, n := range st.Nodes() {
			if end.States[n].Block >= 0 {
				blocks = append(blocks, l.nodes[s.index[n]].block)
			}
		}
		nodes := st.Nodes()
		for _, b := range append(append([]trace.Blocked{}, st.Cycle...), st.Waiting...) {
			for _, f := range b.Wait.From {
				if !slices.Contains(nodes, f) {
					nodes = append(nodes, f)
				}
			}
		}
		text := st.String()
		if len(st.Cycle) == 0 {
			text = "no node can move: " + text
		}
		f := &finding{check: cLive, key: sortKey{0}, build: func() Evidence {
			return Evidence{Text: text, Nodes: nodes, Events: s.refs(blocks...)}
		}}
		if len(st.Cycle) == 0 {
		waiting:
			for _, b := range st.Waiting {
				for _, from := range b.Wait.From {
					if i, ok := errored(from); ok {
						f.root = l.errorRoot(i)
						break waiting
					}
				}
			}
		}
		stallRoot = f.root
		if stallRoot == nil {
			stallRoot = &rootRef{cLive, f.key}
		}
		s.col.add(f)
		for _, n := range st.Nodes() {
			stalled[n] = true
		}
	}

	lost := 0
	for ni, n := range s.nodes {
		ln := &l.nodes[ni]
		// A duplicate's copy left unused is no grant missed.
		ln.pending = slices.DeleteFunc(ln.pending, func(g *point) bool { return g.dup })
		if rounds := s.meta.Rounds; rounds > 0 && !interrupted && len(ln.pending) == 0 && s.isLightweight(ni) && end.States[n].Finished && ln.entries != rounds {
			l.extra++
			found++
			entries := ln.entries
			s.col.add(&finding{check: cLive, key: sortKey{1, int64(ni), 1}, build: func() Evidence {
				return Evidence{Text: fmt.Sprintf("%s finished its rounds after %s; the run has %d", n, plural(entries, "critical section", "critical sections"), rounds),
					Nodes: []string{n}}
			}})
		}
		if interrupted {
			continue
		}
		for _, g := range ln.pending {
			lost++
			found++
			text := fmt.Sprintf("%s received CS_GRANT from %s (line %d) and never entered the critical section", n, g.from, g.line)
			if st := end.States[n]; st.Phase == trace.PhaseDead {
				text += fmt.Sprintf(" (it stopped: %s)", st.Why)
			}
			f := &finding{check: cLive, key: sortKey{1, int64(ni), 2, g.pos}, build: func() Evidence {
				return Evidence{Text: text, Nodes: []string{n}, Events: s.refs(g)}
			}}
			switch {
			case ln.errored:
				f.root = l.errorRoot(ni)
			case stalled[n]:
				f.root = stallRoot
			}
			s.col.add(f)
		}
	}
	if lost > 0 {
		parts = append(parts, plural(lost, "grant", "grants")+" never followed by an entry")
	}
	if l.extra > 0 {
		parts = append(parts, plural(l.extra, "entry", "entries")+" not matched to a grant or a round")
	}
	if l.late > 0 {
		parts = append(parts, plural(l.late, "node acts", "nodes act")+" after its exit")
	}
	if l.failed > 0 {
		parts = append(parts, plural(l.failed, "script error", "script errors"))
	}

	pass := fmt.Sprintf("%s, each followed by an entry; no stall", plural(l.grants, "grant", "grants"))
	switch {
	case interrupted:
		pass = fmt.Sprintf("interrupted run judged on what completed: %d of %s entered; no stall", l.entered, plural(l.grants, "grant", "grants"))
	case l.grants == 0:
		pass = "no CS_GRANT received; no stall"
	}
	fail := ""
	if len(parts) > 0 {
		fail = parts[0]
		if len(parts) > 1 {
			fail += " (also " + strings.Join(parts[1:], ", ") + ")"
		}
	}
	return streamResult(Liveness, found, pass, fail)
}

// msgState counts what the messages check judges (msgCounts) on the
// walk: the messages within each group and among the heavyweights, each
// node's entries and pending request, each heavyweight's own messages.
type msgState struct {
	sets   map[string]*amongCount // by the nodes' ids joined
	inSets map[string][]*amongCount
	enters []int
	req    []reqCount
	hws    map[string]*hwCount
	index  map[string]int
}

type amongCount struct {
	in       map[string]bool
	measured int
	byType   map[string]int
}

// reqCount is requestStarts' pending as a fold: a CS_GRANT, or a
// REQUEST, since the node's last entry; which one counts depends on
// whether the node ever received a CS_GRANT.
type reqCount struct {
	granted, grantSince, reqSince bool
}

func (m *msgState) init(s *stream) {
	m.sets, m.inSets, m.hws, m.index = map[string]*amongCount{}, map[string][]*amongCount{}, map[string]*hwCount{}, s.index
	m.enters = make([]int, len(s.nodes))
	m.req = make([]reqCount, len(s.nodes))
	add := func(nodes []string) {
		k := strings.Join(nodes, "\x00")
		if m.sets[k] != nil {
			return
		}
		a := &amongCount{in: map[string]bool{}, byType: map[string]int{}}
		for _, n := range nodes {
			if !a.in[n] {
				a.in[n] = true
				m.inSets[n] = append(m.inSets[n], a)
			}
		}
		m.sets[k] = a
	}
	for _, hw := range s.heavy {
		add(s.meta.Groups[hw])
		m.hws[hw] = newHWCount()
	}
	add(s.heavy)
}

func (m *msgState) event(s *stream) {
	e, ni := s.e, s.ni
	switch {
	case e.Ev == trace.Send:
		if e.Type != "HELLO" {
			for _, a := range m.inSets[e.Node] {
				if a.in[e.To] {
					a.measured++
					a.byType[e.Type]++
				}
			}
		}
		if e.Type == "DONE" {
			if c := m.hws[e.To]; c != nil {
				c.done++
			}
		}
		if e.Type == "REQUEST" {
			m.req[ni].reqSince = true
		}
	case e.Ev == trace.Recv && e.Type == "CS_GRANT":
		m.req[ni].granted, m.req[ni].grantSince = true, true
	case e.Ev == trace.CSEnter:
		m.enters[ni]++
		m.req[ni].grantSince, m.req[ni].reqSince = false, false
	}
	if c := m.hws[e.Node]; c != nil {
		c.observe(e)
	}
}

func (m *msgState) among(nodes []string) (int, map[string]int) {
	a := m.sets[strings.Join(nodes, "\x00")]
	if a == nil {
		return 0, map[string]int{}
	}
	return a.measured, a.byType
}

func (m *msgState) entered(node string) int {
	if i, ok := m.index[node]; ok {
		return m.enters[i]
	}
	return 0
}

func (m *msgState) pending(node string) bool {
	i, ok := m.index[node]
	if !ok {
		return false
	}
	if r := m.req[i]; r.granted {
		return r.grantSince
	} else {
		return r.reqSince
	}
}

func (m *msgState) heavyweight(hw string) *hwCount { return m.hws[hw] }

func (m *msgState) result(s *stream) Result {
	res := messagesResult(s.meta, s.heavy, m)
	for i, e := range res.Evidence {
		s.col.add(&finding{check: cMessages, key: sortKey{int64(i)}, build: func() Evidence { return e }})
	}
	res.Evidence = nil
	return res
}
