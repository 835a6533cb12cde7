package diagram

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"mutexlab/runtime/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// smallTrace is testdata/small.jsonl: five processes, one round, and a
// mutual-exclusion violation (A2 enters while A1 is inside).
func smallTrace(t testing.TB) *trace.Trace {
	t.Helper()
	tr, err := trace.ReadFile(filepath.Join("testdata", "small.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// smallViolation is what the checker reports for small.jsonl: the two
// cs_enter events (lines 23 and 25).
var smallViolation = Violation{
	Nodes: []string{"A1", "A2"},
	Lines: []int{23, 25},
	Text:  "mutual exclusion: A1 (round 1) and A2 (round 1) are in the critical section at once; A2's cs_enter does not happen after A1's cs_exit",
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); first difference at byte %d:\n got: %q\nwant: %q",
			name, firstDiff(got, want), excerpt(got, firstDiff(got, want)), excerpt(want, firstDiff(got, want)))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func excerpt(b []byte, at int) string {
	lo, hi := max(0, at-40), min(len(b), at+80)
	return string(b[lo:hi])
}

// genTrace makes a seed-like trace of n events: heavyweights A and B with
// three lightweights each, messages with random delays over FIFO channels
// (some broadcast, some still in flight at the end), critical sections
// with prints, waits. Lamport clocks and seq numbers are kept the way the
// runtime keeps them.
func genTrace(n int, seed uint64) *trace.Trace {
	rng := rand.New(rand.NewPCG(seed, 1))
	groups := map[string][]string{"A": {"A1", "A2", "A3"}, "B": {"B1", "B2", "B3"}}
	nodes := []string{"A", "B", "A1", "A2", "A3", "B1", "B2", "B3"}
	tr := &trace.Trace{Meta: trace.Meta{
		Ev: "meta", Scenario: "generated", Nodes: nodes, Groups: groups, Token: "token",
		Algorithms: map[string]string{"A": "lamport", "B": "ricart_agrawala"},
		CS:         trace.CS{Prints: 3, Interval: 0.001}, Mode: "sim", Version: "test",
	}}
	clock := map[string]int64{}
	seq := map[[2]string]int64{}
	type flight struct {
		from, typ string
		ts, seq   int64
		at        int64
	}
	queue := map[[2]string][]flight{} // FIFO per channel
	var now int64
	emit := func(e trace.Event) {
		e.T = now
		e.LC = clock[e.Node]
		e.Line = len(tr.Events) + 2
		tr.Events = append(tr.Events, e)
	}
	for _, id := range nodes {
		emit(trace.Event{Ev: trace.Start, Node: id, PID: 1000 + len(tr.Events)})
	}
	types := []string{"REQUEST", "REPLY", "RELEASE", "TOKEN", "CS_GRANT", "DONE", "PING"}
	round := map[string]int{}
	for len(tr.Events) < n {
		now += int64(rng.IntN(200_000)) + 1
		id := nodes[rng.IntN(len(nodes))]
		switch r := rng.IntN(10); {
		case r < 4: // deliver the oldest due message of some channel to id
			for _, from := range nodes {
				c := [2]string{from, id}
				if q := queue[c]; len(q) > 0 && q[0].at <= now {
					f := q[0]
					queue[c] = q[1:]
					if rng.IntN(50) == 0 {
						emit(trace.Event{Ev: trace.Drop, Node: id, From: from, Type: f.typ, TS: f.ts, Seq: f.seq})
					} else {
						clock[id] = max(clock[id], f.ts) + 1
						emit(trace.Event{Ev: trace.Recv, Node: id, From: from, Type: f.typ, TS: f.ts, Seq: f.seq})
					}
					break
				}
			}
		case r < 7: // send, sometimes a broadcast
			clock[id]++
			typ := types[rng.IntN(len(types))]
			for k := rng.IntN(3); k >= 0; k-- {
				to := nodes[rng.IntN(len(nodes))]
				if to == id {
					continue
				}
				c := [2]string{id, to}
				seq[c]++
				var payload []byte
				if rng.IntN(4) == 0 {
					payload = fmt.Appendf(nil, `{"round":%d}`, round[id])
				}
				emit(trace.Event{Ev: trace.Send, Node: id, To: to, Type: typ, TS: clock[id], Seq: seq[c], Payload: payload})
				queue[c] = append(queue[c], flight{id, typ, clock[id], seq[c], now + int64(rng.IntN(2_000_000))})
			}
		case r < 8: // a critical section
			round[id]++
			emit(trace.Event{Ev: trace.CSEnter, Node: id, Round: round[id]})
			for range 3 {
				now += 1000
				emit(trace.Event{Ev: trace.Print, Node: id, Text: "I'm lightweight process " + id})
			}
			emit(trace.Event{Ev: trace.CSExit, Node: id, Round: round[id]})
		case r < 9:
			emit(trace.Event{Ev: trace.Block, Node: id, On: "receive CS_GRANT"})
			now += 500
			emit(trace.Event{Ev: trace.Unblock, Node: id})
		default:
			clock[id]++
			emit(trace.Event{Ev: trace.Tick, Node: id})
		}
	}
	return tr
}
