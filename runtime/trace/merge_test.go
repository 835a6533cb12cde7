package trace

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// execution makes a random run of n nodes with FIFO channels: each node's
// events in its order, every receive (or drop) after its send.
func execution(r *rand.Rand, n, steps int) map[string][]Event {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("N%d", i)
	}
	evs := map[string][]Event{}
	seq := map[[2]string]int64{}
	inbox := map[[2]string][]int64{} // channel -> seqs sent, not yet received
	recvs := 0
	for range steps {
		me := ids[r.Intn(n)]
		switch r.Intn(3) {
		case 0:
			to := ids[r.Intn(n)]
			if to == me {
				continue
			}
			ch := [2]string{me, to}
			seq[ch]++
			inbox[ch] = append(inbox[ch], seq[ch])
			evs[me] = append(evs[me], Event{Ev: Send, Node: me, To: to, Type: "M", Seq: seq[ch]})
		case 1:
			from := ids[r.Intn(n)]
			ch := [2]string{from, me}
			if len(inbox[ch]) == 0 {
				continue
			}
			s := inbox[ch][0]
			inbox[ch] = inbox[ch][1:]
			kind := Recv
			if r.Intn(10) == 0 {
				kind = Drop
			}
			evs[me] = append(evs[me], Event{Ev: kind, Node: me, From: from, Type: "M", Seq: s})
			if recvs++; kind == Recv && recvs%8 == 0 {
				// The network's duplicate, right behind its message (by a
				// count, so the run draws what it drew before faults).
				evs[me] = append(evs[me], Event{Ev: Recv, Node: me, From: from, Type: "M", Seq: s, Dup: true})
			}
		default:
			evs[me] = append(evs[me], Event{Ev: Tick, Node: me})
		}
	}
	for id, l := range evs {
		for i := range l {
			l[i].LC = int64(i + 1) // each event's place in its node's order
		}
		evs[id] = l
	}
	return evs
}

// feed adds the streams to a merger in a random interleaving of random
// chunks, ends each stream when it runs out, and returns what came out.
func feed(r *rand.Rand, streams map[string][]Event) (out []Event, left map[string]int, maxHeld int) {
	m := NewMerger(func(e *Event, line []byte) {
		if string(line) != e.Node+fmt.Sprint(e.LC) {
			panic("line does not go with its event")
		}
		out = append(out, *e)
	}, func(e *Event) {
		if left == nil {
			left = map[string]int{}
		}
		left[e.Node]++
	})
	var ids []string
	for id := range streams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	pos := map[string]int{}
	for len(ids) > 0 {
		k := r.Intn(len(ids))
		id := ids[k]
		for range 1 + r.Intn(8) {
			if pos[id] == len(streams[id]) {
				m.End(id)
				ids = append(ids[:k], ids[k+1:]...)
				break
			}
			e := streams[id][pos[id]]
			line := []byte(e.Node + fmt.Sprint(e.LC))
			m.Add(&e, line)
			e.Node, line[0] = "garbage", 'x' // the merger must have copied what it keeps
			pos[id]++
		}
		maxHeld = max(maxHeld, m.Held())
	}
	m.Finish()
	return out, left, maxHeld
}

// consistent checks that out keeps each node's order and has every
// receive after its send.
func consistent(t *testing.T, out []Event) {
	t.Helper()
	sent := map[msgKey]bool{}
	next := map[string]int64{}
	for i, e := range out {
		if e.LC != next[e.Node]+1 {
			t.Fatalf("event %d: %s's event %d after its %d", i, e.Node, e.LC, next[e.Node])
		}
		next[e.Node] = e.LC
		switch e.Ev {
		case Send:
			sent[keyOf(&e)] = true
		case Recv, Drop:
			if !sent[keyOf(&e)] {
				t.Fatalf("event %d: %s of %s #%d before its send", i, e.Ev, e.From, e.Seq)
			}
		}
	}
}

func TestMergerLetsEverythingThroughInOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for run := range 300 {
		streams := execution(r, 2+r.Intn(6), 400)
		out, left, _ := feed(r, streams)
		consistent(t, out)
		total := 0
		for _, l := range streams {
			total += len(l)
		}
		if len(out) != total || left != nil {
			t.Fatalf("run %d: %d of %d events through, %v left out", run, len(out), total, left)
		}
	}
}

// A node killed before its last events reached the launcher: the
// receives of its lost sends are cut, with everything after them on
// their nodes, and the rest goes through.
func TestMergerCutsWhatWaitsForALostSend(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	cuts := 0
	for run := range 300 {
		streams := execution(r, 2+r.Intn(6), 400)
		victim := "N0"
		lost := len(streams[victim]) - r.Intn(len(streams[victim])+1)
		streams[victim] = streams[victim][:lost]
		out, left, _ := feed(r, streams)
		consistent(t, out)
		total := 0
		for _, l := range streams {
			total += len(l)
		}
		n := 0
		for _, c := range left {
			n += c
		}
		if len(out)+n != total {
			t.Fatalf("run %d: %d through + %d left out != %d", run, len(out), n, total)
		}
		if want := largestCut(streams); len(out) != want {
			t.Fatalf("run %d: %d events through, the largest consistent cut has %d", run, len(out), want)
		}
		if n > 0 {
			cuts++
		}
	}
	if cuts == 0 {
		t.Fatal("no run lost a send that was received: the test tests nothing")
	}
}

// largestCut is the size of the largest consistent cut of the streams:
// each node's events up to its first receive whose send is not in the
// cut, repeated until nothing changes.
func largestCut(streams map[string][]Event) int {
	end := map[string]int{}
	for id, l := range streams {
		end[id] = len(l)
	}
	for changed := true; changed; {
		changed = false
		sent := map[msgKey]bool{}
		for id, l := range streams {
			for _, e := range l[:end[id]] {
				if e.Ev == Send {
					sent[keyOf(&e)] = true
				}
			}
		}
		for id, l := range streams {
			for i, e := range l[:end[id]] {
				if (e.Ev == Recv || e.Ev == Drop) && !sent[keyOf(&e)] {
					end[id], changed = i, true
					break
				}
			}
		}
	}
	n := 0
	for _, k := range end {
		n += k
	}
	return n
}

// A crashed node's stream ends and opens again when it restarts: the
// restarted node's events go through, and the old incarnation's sends
// that were received still let their receives through.
func TestMergerReopen(t *testing.T) {
	var out []string
	m := NewMerger(func(e *Event, _ []byte) { out = append(out, e.Node+":"+e.Ev) }, func(e *Event) { out = append(out, "left:"+e.Node+":"+e.Ev) })
	add := func(e Event) { m.Add(&e, nil) }
	add(Event{Ev: Recv, Node: "B", From: "A", Seq: 1}) // waits for A's send
	add(Event{Ev: Send, Node: "A", To: "B", Seq: 1})
	add(Event{Ev: Crash, Node: "A"})
	m.End("A")
	m.Reopen("A")
	add(Event{Ev: Restart, Node: "A"})
	add(Event{Ev: Recv, Node: "B", From: "A", Seq: SeqBase(1) + 1}) // waits for the new incarnation's send
	add(Event{Ev: Send, Node: "A", To: "B", Seq: SeqBase(1) + 1})
	add(Event{Ev: Recv, Node: "B", From: "A", Seq: SeqBase(1) + 1, Dup: true})
	m.End("A")
	m.End("B")
	m.Finish()
	want := "A:send B:recv A:crash A:restart A:send B:recv B:recv"
	if got := strings.Join(out, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Memory is bounded by what is in flight, not by the length of the run.
func TestMergerMemoryIsBounded(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	streams := execution(r, 6, 200000)
	out, left, maxHeld := feed(r, streams)
	consistent(t, out)
	if left != nil {
		t.Fatalf("left out %v", left)
	}
	if maxHeld > 2000 {
		t.Errorf("held up to %d events of %d", maxHeld, len(out))
	}
	t.Logf("%d events, at most %d held", len(out), maxHeld)
}

func BenchmarkMerger(b *testing.B) {
	r := rand.New(rand.NewSource(4))
	streams := execution(r, 8, 100000)
	var all []Event
	for _, l := range streams {
		all = append(all, l...)
	}
	line := []byte(`{"ev":"tick"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := NewMerger(func(*Event, []byte) {}, func(*Event) {})
		// Each node's events in its order, nodes in turn: the sends a
		// receive needs may come later, as from a lagging connection.
		pos := map[string]int{}
		for done := 0; done < len(streams); {
			done = 0
			for id, l := range streams {
				if pos[id] == len(l) {
					done++
					continue
				}
				e := l[pos[id]]
				m.Add(&e, line)
				pos[id]++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(all)), "ns/event")
}
