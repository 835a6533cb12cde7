package diagram

import (
	"slices"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

func laneIDs(m *model) []string {
	var ids []string
	for _, l := range m.lanes {
		ids = append(ids, l.ID)
	}
	return ids
}

func TestLanesHeavyweightAboveItsLightweights(t *testing.T) {
	tests := []struct {
		name  string
		meta  trace.Meta
		evs   []trace.Event
		want  []string
		heavy []string
	}{
		{
			name:  "groups in the header",
			meta:  trace.Meta{Nodes: []string{"A", "B", "A1", "A2", "B1"}, Groups: map[string][]string{"A": {"A1", "A2"}, "B": {"B1"}}},
			want:  []string{"A", "A1", "A2", "B", "B1"},
			heavy: []string{"A", "B"},
		},
		{
			name:  "ring order follows nodes, not the map",
			meta:  trace.Meta{Nodes: []string{"B", "A", "A1", "B1"}, Groups: map[string][]string{"A": {"A1"}, "B": {"B1"}}},
			want:  []string{"B", "B1", "A", "A1"},
			heavy: []string{"A", "B"},
		},
		{
			name:  "groups inferred from the names",
			meta:  trace.Meta{Nodes: []string{"A", "B", "A1", "B1", "B2"}},
			want:  []string{"A", "A1", "B", "B1", "B2"},
			heavy: []string{"A", "B"},
		},
		{
			name: "nodes only in events, and message peers, come last",
			meta: trace.Meta{Nodes: []string{"A", "A1"}},
			evs: []trace.Event{
				{Ev: trace.Start, Node: "X1"},
				{Ev: trace.Send, Node: "A1", To: "Z", Seq: 1},
			},
			want:  []string{"A", "A1", "X1", "Z"},
			heavy: []string{"A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(&trace.Trace{Meta: tt.meta, Events: tt.evs})
			if got := laneIDs(m); !slices.Equal(got, tt.want) {
				t.Errorf("lanes %v, want %v", got, tt.want)
			}
			var heavy []string
			for _, l := range m.lanes {
				if l.Heavy {
					heavy = append(heavy, l.ID)
				}
			}
			slices.Sort(heavy)
			if !slices.Equal(heavy, tt.heavy) {
				t.Errorf("heavyweights %v, want %v", heavy, tt.heavy)
			}
		})
	}
}

func TestSmallModel(t *testing.T) {
	m := newModel(smallTrace(t))
	if len(m.events) != 56 || len(m.lanes) != 5 {
		t.Fatalf("%d events, %d lanes", len(m.events), len(m.lanes))
	}
	var received, dropped, inFlight int
	for _, msg := range m.msgs {
		switch {
		case msg.Send < 0:
			t.Errorf("message without send: %+v", msg)
		case msg.Recv >= 0:
			received++
			s, r := m.events[msg.Send], m.events[msg.Recv]
			if s.Node != r.From || s.To != r.Node || s.Seq != r.Seq || s.Type != r.Type {
				t.Errorf("mismatched pair: line %d and line %d", s.Line, r.Line)
			}
		case msg.Drop >= 0:
			dropped++
		default:
			inFlight++
		}
	}
	if received != 13 || dropped != 1 || inFlight != 1 {
		t.Errorf("received %d dropped %d in flight %d, want 13 1 1", received, dropped, inFlight)
	}
	if len(m.bars) != 3 {
		t.Errorf("%d critical sections, want 3", len(m.bars))
	}
	for _, b := range m.bars {
		if b.Exit < 0 || b.Round != 1 {
			t.Errorf("bar %+v", b)
		}
	}
	if len(m.notes) != 0 {
		t.Errorf("notes on a sound trace: %v", m.notes)
	}
	// A2's cs_enter (line 25): it has seen A1's REPLY, hence A1's REQUEST,
	// but not A1's cs_enter, so the two are concurrent.
	byLine := map[int]int{}
	for i, e := range m.events {
		byLine[e.Line] = i
	}
	vc := func(line int) []int32 { return m.clock(byLine[line]) }
	// lanes: A A1 A2 B B1; each send of a broadcast is an event of its own
	if got, want := vc(25), []int32{3, 7, 9, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("vc of A2's cs_enter = %v, want %v", got, want)
	}
	if got, want := vc(23), []int32{3, 9, 7, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("vc of A1's cs_enter = %v, want %v", got, want)
	}
}

// happenedBefore by reachability over program order and send->recv edges,
// to check the vector clocks against.
func reachability(m *model) [][]bool {
	n := len(m.events)
	next := make([][]int, n)
	last := map[int]int{}
	for i := range m.events {
		if p, ok := last[m.laneOf[i]]; ok {
			next[p] = append(next[p], i)
		}
		last[m.laneOf[i]] = i
	}
	for _, msg := range m.msgs {
		if msg.Send >= 0 && msg.Recv >= 0 {
			next[msg.Send] = append(next[msg.Send], msg.Recv)
		}
	}
	reach := make([][]bool, n)
	for i := range n {
		reach[i] = make([]bool, n)
		stack := slices.Clone(next[i])
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !reach[i][j] {
				reach[i][j] = true
				stack = append(stack, next[j]...)
			}
		}
	}
	return reach
}

func TestVectorClocksAgreeWithHappenedBefore(t *testing.T) {
	for _, tr := range []*trace.Trace{smallTrace(t), genTrace(400, 7)} {
		m := newModel(tr)
		reach := reachability(m)
		for a := range m.events {
			pa := m.laneOf[a]
			own := m.clock(a)[pa]
			for b := range m.events {
				byVC := a != b && m.clock(b)[pa] >= own
				if byVC != reach[a][b] {
					t.Fatalf("%s: line %d -> line %d: vector clocks say %v, the graph says %v",
						tr.Meta.Scenario, m.events[a].Line, m.events[b].Line, byVC, reach[a][b])
				}
			}
		}
	}
}

func TestMatchingWithoutSeqIsFIFO(t *testing.T) {
	tr := &trace.Trace{Meta: trace.Meta{Nodes: []string{"A", "B"}}, Events: []trace.Event{
		{Ev: trace.Send, Node: "A", To: "B", Type: "X", TS: 1, Line: 2},
		{Ev: trace.Send, Node: "A", To: "B", Type: "Y", TS: 2, Line: 3},
		{Ev: trace.Recv, Node: "B", From: "A", Type: "X", TS: 1, Line: 4},
		{Ev: trace.Recv, Node: "B", From: "A", Type: "Y", TS: 2, Line: 5},
	}}
	m := newModel(tr)
	if len(m.msgs) != 2 || m.msgs[0].Recv != 2 || m.msgs[1].Recv != 3 {
		t.Fatalf("messages %+v", m.msgs)
	}
}

func TestBrokenTracesStillDraw(t *testing.T) {
	tr := &trace.Trace{Meta: trace.Meta{Nodes: []string{"A", "B"}}, Events: []trace.Event{
		// B's recv of A's message is recorded before A sends it, and A's recv
		// of B's before B sends it: a causal cycle no sound run has.
		{Ev: trace.Recv, Node: "B", From: "A", Seq: 1, Line: 2},
		{Ev: trace.Send, Node: "B", To: "A", Seq: 1, Line: 3},
		{Ev: trace.Recv, Node: "A", From: "B", Seq: 1, Line: 4},
		{Ev: trace.Send, Node: "A", To: "B", Seq: 1, Line: 5},
		{Ev: trace.Recv, Node: "A", From: "B", Seq: 9, Line: 6}, // no send
		{Ev: trace.CSExit, Node: "A", Line: 7},                  // no enter
		{Ev: trace.CSEnter, Node: "B", Round: 1, Line: 8},       // never left
		{Ev: trace.Log, Text: "nobody's", Line: 9},              // no node
	}}
	m := newModel(tr)
	notes := strings.Join(m.notes, "\n")
	for _, want := range []string{"causal cycle", "line 6: recv B->A seq 9 has no matching send", "leaves the CS without entering", "line 9: log event names no node"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if len(m.bars) != 1 || m.bars[0].Exit != -1 {
		t.Errorf("bars %+v", m.bars)
	}
	for _, f := range []func() error{
		func() error { return HTML(&strings.Builder{}, tr, Options{}) },
		func() error { return Timeline(&strings.Builder{}, tr, TimelineOptions{}) },
		func() error { return ShiViz(&strings.Builder{}, tr) },
	} {
		if err := f(); err != nil {
			t.Error(err)
		}
	}
}

func TestEmptyTrace(t *testing.T) {
	tr := &trace.Trace{Meta: trace.Meta{Scenario: "empty", Nodes: []string{"A", "A1"}}}
	var b strings.Builder
	if err := HTML(&b, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"ev":[]`) {
		t.Error("empty trace: no empty event list in the page")
	}
	b.Reset()
	if err := Timeline(&b, tr, TimelineOptions{}); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := ShiViz(&b, tr); err != nil || b.Len() != 0 {
		t.Fatalf("shiviz of an empty trace: %q, %v", b.String(), err)
	}
}

func TestResolveViolations(t *testing.T) {
	m := newModel(smallTrace(t))
	vs := m.resolve([]Violation{smallViolation, {Nodes: []string{"B", "nobody"}, Lines: []int{1, 999}, Text: "x"}})
	if len(vs) != 2 {
		t.Fatal(vs)
	}
	if got := vs[0].Lanes; !slices.Equal(got, []int{1, 2}) {
		t.Errorf("lanes %v, want [1 2] (A1, A2)", got)
	}
	if len(vs[0].Events) != 2 || m.events[vs[0].Events[0]].Line != 23 {
		t.Errorf("events %v", vs[0].Events)
	}
	if len(vs[1].Events) != 0 || !slices.Equal(vs[1].Lanes, []int{3}) {
		t.Errorf("unknown lines and nodes are ignored: %+v", vs[1])
	}
}

// TestFileOrderAcrossNodesDoesNotMatter interleaves the nodes' events at
// random, as a trace collected from several processes may be, keeping each
// node's own order: the model is the same.
func TestFileOrderAcrossNodesDoesNotMatter(t *testing.T) {
	tr := genTrace(500, 11)
	want := newModel(tr)
	clockOf := func(m *model) map[int][]int32 {
		out := map[int][]int32{}
		for i, e := range m.events {
			out[e.Line] = m.clock(i)
		}
		return out
	}
	perNode := map[string][]trace.Event{}
	var nodes []string
	for _, e := range tr.Events {
		if perNode[e.Node] == nil {
			nodes = append(nodes, e.Node)
		}
		perNode[e.Node] = append(perNode[e.Node], e)
	}
	// Round-robin over the nodes, a node's whole backlog at a time when its
	// turn comes every third round: receives land before their sends.
	shuffled := &trace.Trace{Meta: tr.Meta}
	for round := 0; len(shuffled.Events) < len(tr.Events); round++ {
		for k, n := range nodes {
			take := 1
			if (round+k)%3 == 0 {
				take = len(perNode[n])
			}
			take = min(take, len(perNode[n]))
			shuffled.Events = append(shuffled.Events, perNode[n][:take]...)
			perNode[n] = perNode[n][take:]
		}
	}
	got := newModel(shuffled)
	if len(got.notes) != 0 {
		t.Errorf("notes: %v", got.notes)
	}
	wc, gc := clockOf(want), clockOf(got)
	for line, c := range wc {
		if !slices.Equal(gc[line], c) {
			t.Fatalf("line %d: clock %v, in file order %v", line, gc[line], c)
		}
	}
}
