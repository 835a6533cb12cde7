package check

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"mutexlab/runtime/trace"
)

// randomTrace builds a consistent trace of n nodes that send, receive
// (FIFO per channel), request and enter the critical section at random,
// with no regard for mutual exclusion.
func randomTrace(rng *rand.Rand, n, steps int) *trace.Trace {
	var nodes []string
	for i := 1; i <= n; i++ {
		nodes = append(nodes, fmt.Sprintf("A%d", i))
	}
	tr := &trace.Trace{Meta: trace.Meta{
		Nodes:      append([]string{"A"}, nodes...),
		Groups:     map[string][]string{"A": nodes},
		Algorithms: map[string]string{"A": "lamport"},
		Token:      "token",
	}}
	type msg struct {
		ts, seq int64
	}
	lc := map[string]int64{}
	seq := map[[2]string]int64{}
	queue := map[[2]string][]msg{}
	inside := map[string]bool{}
	t := int64(0)
	add := func(e trace.Event) {
		t += int64(1 + rng.IntN(3))
		e.T, e.Line = t, len(tr.Events)+2
		tr.Events = append(tr.Events, e)
	}
	for range steps {
		me := nodes[rng.IntN(n)]
		other := nodes[rng.IntN(n)]
		switch k := rng.IntN(10); {
		case k < 4 && other != me:
			typ := "REPLY"
			if k == 0 {
				typ = "REQUEST"
			}
			lc[me]++
			ch := [2]string{me, other}
			seq[ch]++
			queue[ch] = append(queue[ch], msg{lc[me], seq[ch]})
			add(trace.Event{Ev: trace.Send, Node: me, LC: lc[me], To: other, Type: typ, TS: lc[me], Seq: seq[ch]})
		case k < 8:
			ch := [2]string{other, me}
			if len(queue[ch]) == 0 {
				continue
			}
			m := queue[ch][0]
			queue[ch] = queue[ch][1:]
			lc[me] = max(lc[me], m.ts) + 1
			add(trace.Event{Ev: trace.Recv, Node: me, LC: lc[me], From: other, Type: "X", TS: m.ts, Seq: m.seq})
		case inside[me]:
			inside[me] = false
			add(trace.Event{Ev: trace.CSExit, Node: me, LC: lc[me]})
		default:
			inside[me] = true
			add(trace.Event{Ev: trace.CSEnter, Node: me, LC: lc[me]})
		}
	}
	return tr
}

var lamportTB, _ = TextbookOf("lamport")

// The binary searches of the mutual exclusion and order checks find
// exactly what comparing every pair finds.
func TestAgainstEveryPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		tr := randomTrace(rng, 2+rng.IntN(4), 50+rng.IntN(300))
		r := Run(tr, Options{MaxEvidence: 1 << 30})
		h := newHistory(tr)

		pairs := 0
		for a, k := range h.cs {
			for _, m := range h.cs[a+1:] {
				if k.node == m.node {
					continue
				}
				if (k.exit >= 0 && h.before(k.exit, m.enter)) || (m.exit >= 0 && h.before(m.exit, k.enter)) {
					continue
				}
				pairs++
			}
		}
		if got := len(r.Result(MutualExclusion).Evidence); got != pairs {
			t.Fatalf("round %d: mutual exclusion found %d pairs, every pair %d", round, got, pairs)
		}

		var all []entry
		for _, n := range tr.Meta.Groups["A"] {
			all = append(all, h.entries(n, false)...)
		}
		bad := 0
		for _, e1 := range all {
			for _, e2 := range all {
				if e1.c.node == e2.c.node || e1.req < 0 || e2.req < 0 || !h.earlier(e1.c.enter, e2.c.enter) {
					continue
				}
				if h.earlier(e2.req, e1.c.enter) && h.precedes(e2, e1, lamportTB, nil) {
					bad++
				}
			}
		}
		if got := len(r.Result(Order).Evidence); got != bad {
			t.Fatalf("round %d: order found %d, every pair %d", round, got, bad)
		}

		// The same events written node by node, receives before their sends.
		byNode := &trace.Trace{Meta: tr.Meta}
		for _, n := range tr.Meta.Nodes {
			for _, e := range tr.Events {
				if e.Node == n {
					e.Line = len(byNode.Events) + 2
					byNode.Events = append(byNode.Events, e)
				}
			}
		}
		r2 := Run(byNode, Options{MaxEvidence: 1 << 30})
		for i, res := range r2.Results {
			if res.Status != r.Results[i].Status || len(res.Evidence) != len(r.Results[i].Evidence) {
				t.Fatalf("round %d: %s in file order %s (%d), node by node %s (%d)", round, res.Check,
					r.Results[i].Status, len(r.Results[i].Evidence), res.Status, len(res.Evidence))
			}
		}
		if len(r2.Warnings) > 0 {
			t.Fatalf("round %d: warnings %q", round, r2.Warnings)
		}
	}
}
