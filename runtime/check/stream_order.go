package check

import (
	"fmt"
	"strings"

	"mutexlab/runtime/trace"
)

// orderState is what the order check keeps (checkOrder): per group whose
// algorithm keeps an order, each lightweight's pending request and the
// entries of the others still waiting for its next entry; the token's
// holder.
type orderState struct {
	groups  []*orderGroup
	byNode  map[int]*orderGroup
	notes   []string
	checked bool
	bad     int
	waiting int // entries waiting for another's next
	// the token ring
	ring          bool
	heavy         map[string]bool
	holder        string
	passes, wrong int
}

type orderGroup struct {
	hw    string
	at    int // its place among the heavyweights
	alg   string
	tb    Textbook
	first bool // KnownOrder: a request is its first REQUEST since the last entry
	rank  map[int]int
	nodes []int
	total int
	req   map[int]*point        // each node's request since its last entry
	last  map[int]int64         // the position of each node's last entry
	heard map[[2]int]bool       // x has received a REQUEST y sent since y's last entry
	wait  map[int][]orderWaiter // y -> entries of others that y's next entry follows
}

// ordEntry is an entry with its request.
type ordEntry struct {
	c   *section
	req *point
}

type orderWaiter struct {
	e1    ordEntry
	heard bool // its node had heard of the other's request when it entered
}

func (o *orderState) init(s *stream) {
	o.byNode = map[int]*orderGroup{}
	for at, hw := range s.heavy {
		alg := s.meta.Algorithms[hw]
		tb, known := TextbookOf(alg)
		switch {
		case !known:
			o.notes = append(o.notes, fmt.Sprintf("%s: %s not checked (no known order)", hw, algName(alg)))
			continue
		case tb.Order == NoOrder:
			o.notes = append(o.notes, fmt.Sprintf("%s: %s keeps no (ts, id) order, not checked", hw, algName(alg)))
			continue
		}
		o.checked = true
		g := &orderGroup{hw: hw, at: at, alg: alg, tb: tb, first: tb.Order == KnownOrder, rank: map[int]int{},
			req: map[int]*point{}, last: map[int]int64{}, heard: map[[2]int]bool{}, wait: map[int][]orderWaiter{}}
		for i, n := range s.meta.Groups[hw] {
			ni, ok := s.index[n]
			if !ok {
				continue // named in the header's groups only: it has no events
			}
			g.rank[ni] = i
			g.nodes = append(g.nodes, ni)
			o.byNode[ni] = g
		}
		o.groups = append(o.groups, g)
	}
	if len(s.heavy) > 0 && s.meta.Token == tokenRing {
		o.ring, o.checked = true, true
		o.heavy = map[string]bool{}
		for _, hw := range s.heavy {
			o.heavy[hw] = true
		}
		o.holder = s.heavy[0]
	}
}

func (o *orderState) event(s *stream, src *point) {
	e := s.e
	// A lightweight algorithm may have a TOKEN of its own.
	if o.ring && e.Ev == trace.Send && e.Type == "TOKEN" && o.heavy[e.Node] && o.heavy[e.To] {
		o.token(s)
	}
	g := o.byNode[s.ni]
	if g == nil {
		return
	}
	x := s.ni
	switch {
	case e.Ev == trace.Send && e.Type == "REQUEST":
		if r := g.req[x]; r == nil || (!g.first && r.lc != e.LC) {
			g.req[x] = s.point()
		}
	case e.Ev == trace.Recv && e.Type == "REQUEST" && g.first && src != nil:
		// heard: a REQUEST y sent after its last entry.
		if y, ok := s.index[e.From]; ok && y != x && src.pos > g.last[y] {
			if _, in := g.rank[y]; in {
				g.heard[[2]int{x, y}] = true
			}
		}
	case e.Ev == trace.CSEnter:
		c := s.cs.open[x] // just entered
		e2 := ordEntry{c, g.req[x]}
		g.total++
		for _, w := range g.wait[x] {
			o.judge(s, g, w, e2)
		}
		o.waiting -= len(g.wait[x])
		delete(g.wait, x)
		delete(g.req, x)
		g.last[x] = c.enter.pos
		for _, y := range g.nodes {
			delete(g.heard, [2]int{y, x})
		}
		if e2.req == nil {
			return
		}
		for _, z := range g.nodes {
			if z != x && s.enters[z] > 0 {
				g.wait[z] = append(g.wait[z], orderWaiter{e2, g.heard[[2]int{x, z}]})
				o.waiting++
			}
		}
	}
}

// judge holds an entry e1 of x against e2, the next entry of y after it:
// y's request preceded x's in (ts, id) order and was pending (for
// KnownOrder: had reached x) when x entered.
func (o *orderState) judge(s *stream, g *orderGroup, w orderWaiter, e2 ordEntry) {
	e1 := w.e1
	if e2.req == nil || !earlierPoint(e2.req, e1.c.enter) {
		return
	}
	fromPayload := g.tb.Order == KnownOrder
	ts1, ts2 := e1.req.requestTS(fromPayload), e2.req.requestTS(fromPayload)
	x, y := e1.c.node, e2.c.node
	switch {
	case ts2 > ts1:
		return
	case ts2 == ts1 && g.tb.ByNumber && g.rank[y] >= g.rank[x]:
		return
	case ts2 == ts1 && !g.tb.ByNumber && !idBefore(s.nodes[y], s.nodes[x]):
		return
	}
	how := "was pending"
	if g.tb.Order == KnownOrder {
		if !w.heard {
			return
		}
		how = fmt.Sprintf("had reached %s", s.nodes[x])
	}
	o.bad++
	key := sortKey{int64(e2.req.line), 0, int64(g.at), int64(g.rank[x]), e1.c.enter.pos, int64(g.rank[y])}
	s.when(func() {
		f := &finding{check: cOrder, key: key, build: func() Evidence {
			xn, yn := s.nodes[x], s.nodes[y]
			return Evidence{
				Text: fmt.Sprintf("%s entered (line %d) before %s (line %d), but %s's request (ts %d, line %d) precedes %s's (ts %d, line %d) in (ts, id) order and %s",
					xn, e1.c.enter.line, yn, e2.c.enter.line, yn, ts2, e2.req.line, xn, ts1, e1.req.line, how),
				Nodes:  []string{xn, yn},
				Events: s.refs(e2.req, e1.req, e1.c.enter, e2.c.enter),
			}
		}}
		if concurrent(e1.c, e2.c) {
			f.root = pairRoot(e1.c, e2.c) // both were inside at once
		}
		s.col.add(f)
	}, e1.c, e2.c)
}

// requestTS is history.requestTS of a REQUEST send.
func (p *point) requestTS(fromPayload bool) int64 {
	if fromPayload && p.hasPayTS {
		return p.payTS
	}
	return p.ts
}

// token follows a TOKEN between heavyweights (history.tokenOrder).
func (o *orderState) token(s *stream) {
	o.passes++
	e := s.e
	var text string
	switch {
	case e.Node != o.holder:
		text = fmt.Sprintf("%s passed the token to %s (line %d) while %s held it", e.Node, e.To, e.Line, o.holder)
	case e.To != s.next(e.Node):
		text = fmt.Sprintf("%s passed the token to %s (line %d), but the next in the ring is %s", e.Node, e.To, e.Line, s.next(e.Node))
	}
	if text != "" {
		o.wrong++
		p := s.point()
		nodes := []string{e.Node, e.To}
		s.col.add(&finding{check: cOrder, key: sortKey{int64(p.line), 1}, build: func() Evidence {
			return Evidence{Text: text, Nodes: nodes, Events: s.refs(p)}
		}})
	}
	o.holder = e.To
}

// next returns the heavyweight after hw in the ring.
func (s *stream) next(hw string) string {
	for i, x := range s.heavy {
		if x == hw {
			return s.heavy[(i+1)%len(s.heavy)]
		}
	}
	return ""
}

func (o *orderState) result(s *stream) Result {
	var pass, fail []string
	for _, g := range o.groups {
		what := "in (ts, id) order"
		if g.tb.Order == KnownOrder {
			what = "in (ts, id) order among the requests heard"
		}
		pass = append(pass, fmt.Sprintf("%s %s: %s %s", g.hw, g.alg, plural(g.total, "entry", "entries"), what))
	}
	notes := o.notes
	if o.bad > 0 {
		fail = append(fail, plural(o.bad, "entry", "entries")+" out of (ts, id) order")
	}
	switch {
	case len(s.heavy) == 0:
	case s.meta.Token != tokenRing:
		if _, known := TextbookOf(s.meta.Token); known {
			notes = append(notes, fmt.Sprintf("token: %s keeps no ring order, not checked", algName(s.meta.Token)))
		} else {
			notes = append(notes, fmt.Sprintf("token: %s not checked (no known order)", algName(s.meta.Token)))
		}
	default:
		if o.wrong > 0 {
			fail = append(fail, fmt.Sprintf("%d of %s out of ring order", o.wrong, plural(o.passes, "token pass", "token passes")))
		} else {
			pass = append(pass, fmt.Sprintf("token: %s in ring order", plural(o.passes, "pass", "passes")))
		}
	}
	if !o.checked {
		return Result{Check: Order, Status: Skip, Summary: strings.Join(notes, "; ")}
	}
	return streamResult(Order, o.bad+o.wrong, strings.Join(append(pass, notes...), "; "), strings.Join(append(fail, notes...), "; "))
}
