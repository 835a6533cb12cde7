package check

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"

	"mutexlab/runtime/trace"
)

// Feeding recorded traces in file order: an alert exactly when both nodes
// are known to be inside at once, never for sections that only lack a
// causal path.
func TestMonitorTraces(t *testing.T) {
	tests := []struct {
		file  string
		lines []int // lines whose event raises an alert
	}{
		{"clean_lamport.jsonl", nil},
		{"clean_ra.jsonl", nil},
		{"concurrent_no_overlap.jsonl", nil},
		// A1 enters at 30, A2 at 32; A2 prints at 33 and A1 at 34, which
		// shows both inside past 32.
		{"interleaved_prints.jsonl", []int{34}},
	}
	for _, tt := range tests {
		tr := readTrace(t, tt.file)
		m := NewMonitor(tr.Meta)
		var got []int
		for _, e := range tr.Events {
			if a := m.Observe(e); a != "" {
				got = append(got, e.Line)
				if want := "MUTUAL EXCLUSION VIOLATED: A1 and A2 are both in the critical section"; a != want {
					t.Errorf("%s: alert %q, want %q", tt.file, a, want)
				}
			}
		}
		if !slices.Equal(got, tt.lines) {
			t.Errorf("%s: alerts at lines %v, want %v", tt.file, got, tt.lines)
		}
	}
}

// Events of several processes arrive out of time order: a lagging exit
// must not raise a false alarm, a lagging entry must still be caught.
func TestMonitorLag(t *testing.T) {
	meta := trace.Meta{Nodes: []string{"A", "A1", "A2", "A3"}, Groups: map[string][]string{"A": {"A1", "A2", "A3"}}}
	e := func(ev, node string, t int64) trace.Event { return trace.Event{Ev: ev, Node: node, T: t} }
	tests := []struct {
		name   string
		events []trace.Event
		alerts []string // per event, "" for none
	}{
		{"exit arrives after the next entry", []trace.Event{
			e(trace.CSEnter, "A1", 10), e(trace.Print, "A1", 11),
			e(trace.CSEnter, "A2", 20), e(trace.CSExit, "A1", 15),
			e(trace.Print, "A2", 21), e(trace.CSExit, "A2", 22),
		}, []string{"", "", "", "", "", ""}},
		{"overlap seen at once", []trace.Event{
			e(trace.CSEnter, "A1", 10), e(trace.Print, "A1", 30),
			e(trace.CSEnter, "A2", 20), e(trace.Print, "A2", 21),
		}, []string{"", "", "", "A1 and A2"}},
		{"whole later section arrives first", []trace.Event{
			e(trace.CSEnter, "A2", 105), e(trace.Print, "A2", 106), e(trace.CSExit, "A2", 110),
			e(trace.CSEnter, "A1", 100), e(trace.Print, "A1", 102), e(trace.Print, "A1", 107),
		}, []string{"", "", "", "", "", "A1 and A2"}},
		{"lagging entry that ended before", []trace.Event{
			e(trace.CSEnter, "A2", 105), e(trace.CSExit, "A2", 110),
			e(trace.CSEnter, "A1", 100), e(trace.CSExit, "A1", 104),
		}, []string{"", "", "", ""}},
		{"three at once", []trace.Event{
			e(trace.CSEnter, "A1", 10), e(trace.CSEnter, "A2", 11), e(trace.CSEnter, "A3", 12),
			e(trace.Print, "A1", 13), e(trace.Print, "A2", 14), e(trace.Print, "A3", 15),
		}, []string{"", "", "", "", "A1 and A2", "A1 and A3\nA2 and A3"}},
		{"a node that stops inside", []trace.Event{
			e(trace.CSEnter, "A1", 10), e(trace.Exit, "A1", 12),
			e(trace.CSEnter, "A2", 20), e(trace.Print, "A2", 21),
		}, []string{"", "", "", ""}},
	}
	for _, tt := range tests {
		m := NewMonitor(meta)
		for i, ev := range tt.events {
			got := m.Observe(ev)
			want := tt.alerts[i]
			if want != "" {
				var lines []string
				for _, pair := range strings.Split(want, "\n") {
					lines = append(lines, "MUTUAL EXCLUSION VIOLATED: "+pair+" are both in the critical section")
				}
				want = strings.Join(lines, "\n")
			}
			if got != want {
				t.Errorf("%s: event %d (%s %s t=%d): alert %q, want %q", tt.name, i, ev.Node, ev.Ev, ev.T, got, want)
			}
		}
	}
}

// Ended sections are forgotten once every node has moved past them.
func TestMonitorForgets(t *testing.T) {
	meta := trace.Meta{Nodes: []string{"A", "A1", "A2"}, Groups: map[string][]string{"A": {"A1", "A2"}}}
	m := NewMonitor(meta)
	tt := int64(0)
	for i := 0; i < 1000; i++ {
		for _, n := range []string{"A1", "A2"} {
			for _, ev := range []string{trace.CSEnter, trace.Print, trace.CSExit} {
				tt++
				if a := m.Observe(trace.Event{Ev: ev, Node: n, T: tt}); a != "" {
					t.Fatalf("alert %q", a)
				}
			}
		}
	}
	if len(m.closed) > minPruneAt || len(m.pending) > 0 {
		t.Fatalf("kept %d sections and %d pairs", len(m.closed), len(m.pending))
	}
}

func TestMonitorConcurrent(t *testing.T) {
	meta := trace.Meta{Nodes: []string{"A1", "A2", "A3", "A4"}}
	m := NewMonitor(meta)
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		wg.Add(1)
		go func(node string) {
			defer wg.Done()
			for j := int64(0); j < 200; j++ {
				m.Observe(trace.Event{Ev: trace.CSEnter, Node: node, T: 3 * j})
				m.Observe(trace.Event{Ev: trace.CSExit, Node: node, T: 3*j + 1})
			}
		}(fmt.Sprintf("A%d", i))
	}
	wg.Wait()
}

// A long run of correct critical sections, with each node's events
// arriving late by a different amount: the monitor raises nothing and its
// memory stays bounded by the nodes, not by the length of the run.
func TestMonitorMemoryIsBounded(t *testing.T) {
	nodes := []string{"A1", "A2", "A3", "B1", "B2", "B3"}
	meta := trace.Meta{Nodes: []string{"A", "B", "A1", "A2", "A3", "B1", "B2", "B3"},
		Groups: map[string][]string{"A": nodes[:3], "B": nodes[3:]}}
	m := NewMonitor(meta)
	// Sections one after another in time; each node's events are queued
	// and handed over when its connection delivers, so a node's entry
	// often arrives after later sections of others.
	queues := map[string][]trace.Event{}
	flush := func(id string) {
		for _, e := range queues[id] {
			if a := m.Observe(e); a != "" {
				t.Fatalf("false alarm at t=%d: %s", e.T, a)
			}
		}
		queues[id] = queues[id][:0]
	}
	r := rand.New(rand.NewSource(1))
	events, maxPending, maxKept := 0, 0, 0
	for i := int64(0); events < 1_000_000; i++ {
		id := nodes[i%int64(len(nodes))]
		at := i * 10
		for k, ev := range []string{trace.CSEnter, trace.Print, trace.CSExit, trace.Send} {
			queues[id] = append(queues[id], trace.Event{Ev: ev, Node: id, T: at + int64(k)})
			events++
			// A random node's connection delivers what it has.
			flush(nodes[r.Intn(len(nodes))])
			maxPending = max(maxPending, len(m.pending))
			maxKept = max(maxKept, len(m.closed))
		}
	}
	if maxPending > 64 || maxKept > 2*maxClosed {
		t.Errorf("after %d events: up to %d pairs pending and %d sections kept", events, maxPending, maxKept)
	}
	t.Logf("%d events: at most %d pairs pending, %d ended sections kept", events, maxPending, maxKept)
}

// BenchmarkMonitorLargest observes events of a run of 26 groups of 64
// (1,664 lightweights), one group's sections at a time while the others
// wait without a word, as under the token: the cost of an event must not
// grow with the number of nodes.
func BenchmarkMonitorLargest(b *testing.B) {
	meta := trace.Meta{Groups: map[string][]string{}}
	for g := 'A'; g <= 'Z'; g++ {
		meta.Nodes = append(meta.Nodes, string(g))
	}
	for g := 'A'; g <= 'Z'; g++ {
		for i := 1; i <= 64; i++ {
			id := fmt.Sprintf("%c%d", g, i)
			meta.Nodes = append(meta.Nodes, id)
			meta.Groups[string(g)] = append(meta.Groups[string(g)], id)
		}
	}
	m := NewMonitor(meta)
	var tt int64
	for _, hw := range meta.Nodes[:26] {
		for _, id := range meta.Groups[hw] {
			tt++
			m.Observe(trace.Event{Ev: trace.Block, Node: id, T: tt})
		}
	}
	kids := meta.Groups["A"]
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := kids[i/3%len(kids)]
		tt++
		m.Observe(trace.Event{Ev: []string{trace.CSEnter, trace.Send, trace.CSExit}[i%3], Node: id, T: tt})
	}
}
