package check

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// sameReport checks the trace in data whole (Run) and walking it
// (RunIndex) with each of opts, and fails on the first difference in the
// JSON or the printed report. It returns whether the trace was walked
// (not read whole because it is not in causal order).
func sameReport(t testing.TB, name string, data []byte, opts ...Options) bool {
	t.Helper()
	tr, err := trace.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ix, err := trace.NewIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: index: %v", name, err)
	}
	for i, o := range opts {
		// Forget the sections every node has heard the end of early, or
		// late.
		pruneFrom = []int{64, 1, 2, 5}[i%4]
		want, got := Run(tr, o), mustRunIndex(t, ix, o)
		wj, _ := want.JSON()
		gj, _ := got.JSON()
		var wp, gp bytes.Buffer
		want.Print(&wp, false)
		got.Print(&gp, false)
		if !bytes.Equal(wj, gj) || wp.String() != gp.String() {
			t.Fatalf("%s with %+v: walking the trace gives another report\n--- whole:\n%s\n--- walked:\n%s\n%s",
				name, o, wp.String(), gp.String(), firstDiff(string(wj), string(gj)))
		}
	}
	pruneFrom = 64
	return ix.Disorder == ""
}

func mustRunIndex(t testing.TB, ix *trace.Index, o Options) *Report {
	t.Helper()
	r, err := RunIndex(ix, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("JSON line %d:\n  whole:  %s\n  walked: %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("JSON lengths %d and %d lines", len(al), len(bl))
}

var someOptions = []Options{{}, {MaxEvidence: 1}, {MaxEvidence: 2}, {MaxEvidence: 3}, {MaxEvidence: 1 << 30}, {Interrupted: true}}

// Every trace in testdata gets the same report walked as whole.
func TestStreamSameOnTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	if len(files) < 15 {
		t.Fatalf("only %d traces in testdata", len(files))
	}
	walked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if sameReport(t, f, data, someOptions...) {
			walked++
		}
	}
	// shuffled.jsonl is out of order on purpose; the others are walked.
	if walked < len(files)-3 {
		t.Fatalf("only %d of %d traces were walked", walked, len(files))
	}
}

func encode(tr *trace.Trace) []byte {
	var b bytes.Buffer
	w := trace.NewWriter(&b)
	w.WriteMeta(tr.Meta)
	for _, e := range tr.Events {
		w.Record(e)
	}
	return b.Bytes()
}

// Random traces with no regard for mutual exclusion: many pairs of
// concurrent sections, out-of-order entries, capped evidence.
func TestStreamSameOnRandomTraces(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	for round := range rounds {
		tr := randomTrace(rng, 2+rng.IntN(5), 50+rng.IntN(400))
		if !sameReport(t, fmt.Sprintf("random %d", round), encode(tr), someOptions...) {
			t.Fatalf("random %d: not walked", round)
		}
	}
}

// Wild traces: every kind of event and every finding the checks make.
func TestStreamSameOnWildTraces(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	rounds := 400
	if testing.Short() {
		rounds = 80
	}
	walked := 0
	for round := range rounds {
		tr := wildTrace(rng, round)
		if sameReport(t, fmt.Sprintf("wild %d", round), encode(tr), someOptions...) {
			walked++
		}
	}
	if walked < rounds*9/10 {
		t.Fatalf("only %d of %d wild traces were walked", walked, rounds)
	}
}

// wildTrace builds a trace in causal order of a system of groups and a
// token ring whose nodes do anything the trace format allows, at random:
// sends and receives (a few lost, some never sent), grants, requests
// with payload timestamps, critical sections with the right and wrong
// prints, sections never left, prints outside, blocks, finishes, errors,
// exits and events after them, clocks that go back.
func wildTrace(rng *rand.Rand, round int) *trace.Trace {
	groups := 1 + rng.IntN(3)
	algs := []string{"lamport", "ricart_agrawala", "roucairol_carvalho", "maekawa", "nobody"}
	tokens := []string{"token", "token", "suzuki_kasami", "whatever"}
	meta := trace.Meta{Scenario: fmt.Sprintf("wild%d", round), Algorithms: map[string]string{}, Groups: map[string][]string{},
		Token: tokens[rng.IntN(len(tokens))], CS: trace.CS{Prints: rng.IntN(3)}, Rounds: rng.IntN(3)}
	var heavy, all []string
	for g := range groups {
		hw := string(rune('A' + g))
		heavy = append(heavy, hw)
		meta.Algorithms[hw] = algs[rng.IntN(len(algs))]
		for i := range 1 + rng.IntN(4) {
			meta.Groups[hw] = append(meta.Groups[hw], fmt.Sprintf("%s%d", hw, i+1))
		}
	}
	meta.Nodes = append(meta.Nodes, heavy...)
	for _, hw := range heavy {
		meta.Nodes = append(meta.Nodes, meta.Groups[hw]...)
	}
	all = append(all, meta.Nodes...)
	if rng.IntN(5) == 0 {
		all = append(all, "X9") // a node the header does not name
	}
	tr := &trace.Trace{Meta: meta}
	lc := map[string]int64{}
	seq := map[[2]string]int64{}
	type msg struct {
		typ     string
		ts, seq int64
	}
	wire := map[[2]string][]msg{}
	inside := map[string]bool{}
	t := int64(0)
	add := func(e trace.Event) {
		t += int64(rng.IntN(3))
		e.T = t
		tr.Events = append(tr.Events, e)
	}
	types := []string{"REQUEST", "REPLY", "RELEASE", "CS_GRANT", "DONE", "TOKEN", "HELLO"}
	steps := 30 + rng.IntN(400)
	for range steps {
		me := all[rng.IntN(len(all))]
		other := all[rng.IntN(len(all))]
		tick := func() int64 {
			if rng.IntN(40) == 0 {
				lc[me] -= 2 // the clock goes back
			} else {
				lc[me]++
			}
			return lc[me]
		}
		switch k := rng.IntN(20); {
		case k < 6 && other != me:
			typ := types[rng.IntN(len(types))]
			ch := [2]string{me, other}
			seq[ch]++
			ts := tick()
			e := trace.Event{Ev: trace.Send, Node: me, LC: ts, To: other, Type: typ, TS: ts, Seq: seq[ch]}
			if typ == "REQUEST" && rng.IntN(2) == 0 {
				e.Payload = []byte(fmt.Sprintf(`{"ts":%d}`, ts-int64(rng.IntN(3))))
			}
			wire[ch] = append(wire[ch], msg{typ, ts, seq[ch]})
			add(e)
		case k < 11:
			ch := [2]string{other, me}
			if len(wire[ch]) == 0 {
				if rng.IntN(30) == 0 { // a receive whose send is not in the trace
					add(trace.Event{Ev: trace.Recv, Node: me, LC: tick(), From: other, Type: "REPLY", TS: 1, Seq: 1000 + int64(rng.IntN(1000))})
				}
				continue
			}
			m := wire[ch][0]
			wire[ch] = wire[ch][1:]
			ev := trace.Recv
			if rng.IntN(15) == 0 {
				ev = trace.Drop
			}
			l := max(lc[me], m.ts) + 1
			if rng.IntN(30) == 0 {
				l = m.ts // not past the ts
			}
			lc[me] = l
			add(trace.Event{Ev: ev, Node: me, LC: l, From: other, Type: m.typ, TS: m.ts, Seq: m.seq})
		case k < 13:
			text := "I'm lightweight process " + me
			if rng.IntN(10) == 0 {
				text = "I'm lightweight process " + other
			}
			add(trace.Event{Ev: trace.Print, Node: me, LC: lc[me], Text: text})
		case k < 16:
			if inside[me] && rng.IntN(8) > 0 {
				inside[me] = false
				add(trace.Event{Ev: trace.CSExit, Node: me, LC: tick(), Round: 1})
			} else if !inside[me] && rng.IntN(12) == 0 {
				add(trace.Event{Ev: trace.CSExit, Node: me, LC: tick()}) // leaves what it did not enter
			} else {
				inside[me] = true
				add(trace.Event{Ev: trace.CSEnter, Node: me, LC: tick(), Round: 1})
			}
		case k == 16:
			add(trace.Event{Ev: trace.Block, Node: me, LC: lc[me], Wait: &trace.Wait{Kind: trace.WaitReceive, Type: "REPLY", From: []string{other}}})
		case k == 17:
			if rng.IntN(2) == 0 {
				add(trace.Event{Ev: trace.Unblock, Node: me, LC: lc[me]})
			} else {
				add(trace.Event{Ev: trace.Finish, Node: me, LC: lc[me]})
			}
		case k == 18 && rng.IntN(6) == 0:
			add(trace.Event{Ev: trace.Error, Node: me, LC: lc[me], Text: "x.lua:3: boom"})
		case k == 19 && rng.IntN(6) == 0:
			texts := []string{"stopped", "killed", "interrupted", "done"}
			add(trace.Event{Ev: trace.Exit, Node: me, LC: lc[me], Text: texts[rng.IntN(len(texts))]})
		default:
			add(trace.Event{Ev: trace.Tick, Node: me, LC: tick()})
		}
	}
	if rng.IntN(10) == 0 {
		add(trace.Event{Ev: trace.Log, LC: 0, Text: "nobody's"}) // names no node
	}
	return tr
}

// Messages and the ring as the role scripts send them, the token going
// round, so that the messages and order checks pass and fail on counts.
func TestStreamSameOnTokenRings(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for round := range 100 {
		tr := ringTrace(rng)
		if !sameReport(t, fmt.Sprintf("ring %d", round), encode(tr), someOptions...) {
			t.Fatalf("ring %d: not walked", round)
		}
	}
}

// ringTrace is a token ring of heavyweights, each granting its
// lightweights in turn, with now and then a pass out of order or a
// message too many.
func ringTrace(rng *rand.Rand) *trace.Trace {
	n := 2 + rng.IntN(3)
	meta := trace.Meta{Scenario: "ring", Token: "token", Algorithms: map[string]string{}, Groups: map[string][]string{}, CS: trace.CS{Prints: 1}, Rounds: 1 + rng.IntN(2)}
	var heavy []string
	for g := range n {
		hw := string(rune('A' + g))
		heavy = append(heavy, hw)
		meta.Algorithms[hw] = "lamport"
		for i := range 1 + rng.IntN(3) {
			meta.Groups[hw] = append(meta.Groups[hw], fmt.Sprintf("%s%d", hw, i+1))
		}
	}
	meta.Nodes = append(meta.Nodes, heavy...)
	for _, hw := range heavy {
		meta.Nodes = append(meta.Nodes, meta.Groups[hw]...)
	}
	tr := &trace.Trace{Meta: meta}
	lc := map[string]int64{}
	seq := map[[2]string]int64{}
	t := int64(0)
	send := func(from, to, typ string) (int64, int64) {
		lc[from]++
		ch := [2]string{from, to}
		seq[ch]++
		t++
		tr.Events = append(tr.Events, trace.Event{Ev: trace.Send, T: t, Node: from, LC: lc[from], To: to, Type: typ, TS: lc[from], Seq: seq[ch]})
		return lc[from], seq[ch]
	}
	recv := func(to, from, typ string, ts, s int64) {
		lc[to] = max(lc[to], ts) + 1
		t++
		tr.Events = append(tr.Events, trace.Event{Ev: trace.Recv, T: t, Node: to, LC: lc[to], From: from, Type: typ, TS: ts, Seq: s})
	}
	local := func(node, ev string) {
		lc[node]++
		t++
		e := trace.Event{Ev: ev, T: t, Node: node, LC: lc[node], Round: 1}
		if ev == trace.Print {
			e.Text = "I'm lightweight process " + node
		}
		tr.Events = append(tr.Events, e)
	}
	holder := 0
	for range 2 + rng.IntN(6) {
		hw := heavy[holder]
		for _, lw := range meta.Groups[hw] {
			ts, s := send(hw, lw, "CS_GRANT")
			if rng.IntN(10) == 0 {
				send(hw, lw, "CS_GRANT") // one too many, never received
			}
			recv(lw, hw, "CS_GRANT", ts, s)
			local(lw, trace.CSEnter)
			local(lw, trace.Print)
			local(lw, trace.CSExit)
			ts, s = send(lw, hw, "DONE")
			recv(hw, lw, "DONE", ts, s)
		}
		next := (holder + 1) % n
		if rng.IntN(8) == 0 {
			next = rng.IntN(n) // out of ring order
		}
		if next != holder {
			ts, s := send(hw, heavy[next], "TOKEN")
			recv(heavy[next], hw, "TOKEN", ts, s)
		}
		holder = next
	}
	for _, id := range meta.Nodes {
		if rng.IntN(2) == 0 {
			local(id, trace.Finish)
		}
	}
	return tr
}
