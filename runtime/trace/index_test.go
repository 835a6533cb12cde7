package trace

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// causalTrace writes a trace of n nodes in causal order, as the launcher's
// merger writes one: each node's events in its order with t growing,
// each receive after its send, the nodes' streams interleaved at random.
// Node "Z" (when quiet) says nothing between its first event and its
// last, so that Walk must know when it speaks again.
func causalTrace(rng *rand.Rand, n, steps int, quiet bool) []byte {
	var nodes []string
	for i := range n {
		nodes = append(nodes, fmt.Sprintf("A%d", i+1))
	}
	if quiet {
		nodes = append(nodes, "Z")
	}
	queues := map[string][]Event{}
	seq := map[[2]string]int64{}
	wire := map[[2]string][]Event{}
	t := int64(0)
	for step := range steps {
		t += int64(rng.IntN(3)) // equal ts happen
		me := nodes[rng.IntN(n)]
		switch {
		case quiet && (step == 0 || step == steps-1):
			queues["Z"] = append(queues["Z"], Event{Ev: Log, T: t, Node: "Z", Text: "here"})
		case rng.IntN(2) == 0:
			to := nodes[rng.IntN(n)]
			ch := [2]string{me, to}
			seq[ch]++
			e := Event{Ev: Send, T: t, Node: me, To: to, Type: "M", Seq: seq[ch]}
			queues[me] = append(queues[me], e)
			wire[ch] = append(wire[ch], e)
		default:
			from := nodes[rng.IntN(n)]
			ch := [2]string{from, me}
			if len(wire[ch]) == 0 {
				queues[me] = append(queues[me], Event{Ev: Tick, T: t, Node: me})
				continue
			}
			s := wire[ch][0]
			wire[ch] = wire[ch][1:]
			queues[me] = append(queues[me], Event{Ev: Recv, T: t, Node: me, From: from, Type: "M", Seq: s.Seq})
		}
	}
	var b bytes.Buffer
	w := NewWriter(&b)
	w.WriteMeta(Meta{Scenario: "walk", Nodes: nodes})
	sent := map[msgKey]bool{}
	for {
		var ready []string
		for _, id := range nodes {
			if q := queues[id]; len(q) > 0 && (q[0].Ev != Recv || sent[msgKey{q[0].From, id, q[0].Seq}]) {
				ready = append(ready, id)
			}
		}
		if len(ready) == 0 {
			break
		}
		// Roughly in time, as the streams reach the launcher: any node
		// whose next event is not far past the earliest.
		earliest := queues[ready[0]][0].T
		for _, r := range ready {
			earliest = min(earliest, queues[r][0].T)
		}
		var near []string
		for _, r := range ready {
			if queues[r][0].T <= earliest+50 {
				near = append(near, r)
			}
		}
		id := near[rng.IntN(len(near))]
		for k := 1 + rng.IntN(20); k > 0 && len(queues[id]) > 0; k-- { // batches, as nodes send them
			e := queues[id][0]
			if e.T > earliest+50 || e.Ev == Recv && !sent[msgKey{e.From, id, e.Seq}] {
				break
			}
			queues[id] = queues[id][1:]
			if e.Ev == Send {
				sent[msgKey{id, e.To, e.Seq}] = true
			}
			w.Record(e)
		}
	}
	return b.Bytes()
}

// Walk hands out every event naming a node exactly once, in (t, line)
// order, the same as sorting the whole trace.
func TestWalkInTimeOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		steps := 200 + rng.IntN(2000)
		quiet := round%4 == 0
		if round%10 == 0 {
			steps = 3 * walkGap // long silences: marks
		}
		data := causalTrace(rng, 2+rng.IntN(6), steps, quiet)
		ix, err := NewIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if ix.Disorder != "" {
			t.Fatalf("round %d: %s", round, ix.Disorder)
		}
		tr, err := Read(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(tr.Events)
		slices.SortStableFunc(want, func(a, b Event) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.Line, b.Line)) })
		var got []Event
		if err := ix.Walk(func(e *Event) error { got = append(got, e.Clone()); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || ix.Events != len(want) {
			t.Fatalf("round %d: walked %d events, index %d, trace %d", round, len(got), ix.Events, len(want))
		}
		for i := range got {
			if got[i].Line != want[i].Line {
				t.Fatalf("round %d: event %d is line %d, want line %d", round, i, got[i].Line, want[i].Line)
			}
		}
		// Held back: what a later line may still come before, not the
		// quiet node's whole silence.
		if steps > walkGap && ix.held > walkGap {
			t.Fatalf("round %d: %d of %d events held back at once", round, ix.held, ix.Events)
		}
	}
}

// What Walk cannot go through in time order is said, and Read still
// reads it.
func TestIndexDisorder(t *testing.T) {
	head := `{"ev":"meta","scenario":"x","nodes":["A","B"]}` + "\n"
	for _, tt := range []struct{ name, lines, want string }{
		{"t goes back", `{"ev":"tick","t":5,"node":"A","lc":1}
{"ev":"tick","t":4,"node":"A","lc":2}`, "line 3: A's t goes back, from 5 to 4"},
		{"receive first", `{"ev":"recv","t":5,"node":"B","lc":3,"from":"A","type":"M","ts":1,"seq":1}
{"ev":"send","t":1,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":1}`, "line 3: send A->B seq 1 comes after its receive or drop"},
		{"receive earlier in t", `{"ev":"send","t":5,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":1}
{"ev":"recv","t":4,"node":"B","lc":3,"from":"A","type":"M","ts":1,"seq":1}`, "line 3: recv of A->B seq 1 at t 4, before its send at 5"},
		{"two sends", `{"ev":"send","t":1,"node":"A","lc":1,"to":"B","type":"M","ts":1}
{"ev":"send","t":2,"node":"A","lc":2,"to":"B","type":"M","ts":2}`, "line 3: send A->B seq 0 repeats one"},
		{"two receives", `{"ev":"send","t":1,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":1}
{"ev":"recv","t":2,"node":"B","lc":2,"from":"A","type":"M","ts":1,"seq":1}
{"ev":"drop","t":3,"node":"B","lc":2,"from":"A","type":"M","ts":1,"seq":1}`, "line 4: drop of A->B seq 1 repeats one"},
		{"duplicate first", `{"ev":"send","t":1,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":1}
{"ev":"recv","t":2,"node":"B","lc":2,"from":"A","type":"M","ts":1,"seq":1,"dup":true}`, "line 3: duplicate recv of A->B seq 1 before its first recv"},
	} {
		data := head + tt.lines + "\n"
		ix, err := NewIndex(strings.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if ix.Disorder != tt.want {
			t.Errorf("%s: disorder %q, want %q", tt.name, ix.Disorder, tt.want)
		}
		if err := ix.Walk(func(*Event) error { return nil }); err == nil {
			t.Errorf("%s: walked a trace in disorder", tt.name)
		}
		if tr, err := ix.Read(); err != nil || len(tr.Events) != ix.Events {
			t.Errorf("%s: read %v, %v", tt.name, tr, err)
		}
	}
	// Receives with no send and events with no node are kept for the
	// warnings, up to maxOdd.
	data := head + `{"ev":"recv","t":1,"node":"B","lc":3,"from":"A","type":"M","ts":1,"seq":7}
{"ev":"log","t":2,"lc":0,"text":"who?"}
`
	ix, err := NewIndex(strings.NewReader(data), int64(len(data)))
	if err != nil || ix.Disorder != "" || len(ix.Unmatched) != 1 || ix.Unmatched[0].Line != 2 || len(ix.Nodeless) != 1 || ix.Nodeless[0].Line != 3 {
		t.Fatalf("index %+v, %v", ix, err)
	}
}

// A duplicate's recv after the message's recv is in causal order, and a
// restarted node's sends, numbered from SeqBase(1), repeat no seq of its
// first incarnation's.
func TestIndexFaults(t *testing.T) {
	data := `{"ev":"meta","scenario":"x","nodes":["A","B"]}
{"ev":"send","t":1,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":1}
{"ev":"recv","t":2,"node":"B","lc":2,"from":"A","type":"M","ts":1,"seq":1}
{"ev":"recv","t":3,"node":"B","lc":3,"from":"A","type":"M","ts":1,"seq":1,"dup":true}
{"ev":"crash","t":4,"node":"A","lc":1}
{"ev":"restart","t":5,"node":"A","lc":0}
{"ev":"start","t":5,"node":"A","lc":0}
{"ev":"send","t":6,"node":"A","lc":1,"to":"B","type":"M","ts":1,"seq":4294967297}
{"ev":"drop","t":7,"node":"B","lc":3,"from":"A","type":"M","ts":1,"seq":4294967297,"reason":"loss"}
`
	ix, err := NewIndex(strings.NewReader(data), int64(len(data)))
	if err != nil || ix.Disorder != "" || len(ix.Unmatched) != 0 {
		t.Fatalf("index %+v, %v", ix, err)
	}
	if c := ix.Nodes["B"]; c.Recvs != 2 || c.Drops != 1 {
		t.Errorf("B: %+v", c)
	}
	var got []string
	if err := ix.Walk(func(e *Event) error {
		got = append(got, fmt.Sprintf("%s:%s:%v:%s", e.Node, e.Ev, e.Dup, e.Reason))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "A:send:false: B:recv:false: B:recv:true: A:crash:false: A:restart:false: A:start:false: A:send:false: B:drop:false:loss"
	if strings.Join(got, " ") != want {
		t.Errorf("walk %s\nwant %s", strings.Join(got, " "), want)
	}
	if SeqBase(1)+1 != 4294967297 || Incarnation(4294967297) != 1 || Incarnation(1) != 0 || Incarnation(SeqBase(2)) != 1 {
		t.Error("SeqBase and Incarnation disagree")
	}
}

func TestSeqSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		var s seqSet
		in := map[int64]bool{}
		for range 100 {
			x := int64(rng.IntN(60))
			s.add(x)
			in[x] = true
			for i := 1; i < len(s.r); i++ {
				if s.r[i-1][1]+1 >= s.r[i][0] {
					t.Fatalf("ranges %v touch", s.r)
				}
			}
		}
		for x := int64(-1); x < 62; x++ {
			if s.has(x) != in[x] {
				t.Fatalf("has(%d) = %v; ranges %v", x, s.has(x), s.r)
			}
		}
	}
}
