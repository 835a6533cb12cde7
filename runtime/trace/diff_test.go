package trace_test

import (
	"testing"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// eagerEntry runs the eager_entry exercise on seed 1 in the simulator:
// with the exercise's broken ricart_agrawala, or with the shipped one.
func eagerEntry(t *testing.T, fixed bool) *trace.Trace {
	t.Helper()
	s, err := scenario.Resolve("exercises/eager_entry")
	if err != nil {
		t.Fatal(err)
	}
	lib := node.NewLibrary(s.Dir)
	if fixed {
		lib = node.NewLibrary() // the shipped scripts only
	}
	res, err := sim.Run(s, lib, "test", sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res.Trace
}

// A run compared with itself is the same schedule: nothing differs.
func TestCompareSame(t *testing.T) {
	a := eagerEntry(t, false)
	d, err := trace.Compare(a, a)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Same() || d.Delivery != nil || d.Entry != nil || d.CSFirst != -1 {
		t.Fatalf("a run differs from itself: %+v", d)
	}
	for _, n := range d.Nodes {
		if !n.Equal() || n.Count[0] == 0 {
			t.Errorf("%s: %+v", n.Node, n)
		}
	}
	for _, m := range d.Messages {
		if m.Count[0] != m.Count[1] {
			t.Errorf("%s: %v", m.Type, m.Count)
		}
	}
}

// The broken eager_entry against the fixed one on the same seed: the
// first wrong entry is named, A1's first, made a REPLY early.
func TestCompareFixedAndBroken(t *testing.T) {
	broken, fixed := eagerEntry(t, false), eagerEntry(t, true)
	d, err := trace.Compare(broken, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if d.Same() {
		t.Fatal("the broken and the fixed runs are the same schedule")
	}
	e := d.Entry
	if e == nil || e.Node != "A1" || e.Round != 1 || e.Enter[0] == nil || e.Enter[1] == nil || e.Index[0] >= e.Index[1] {
		t.Fatalf("first wrong entry: %+v", e)
	}
	// In the broken run A1 enters on its first REPLY; in the fixed one
	// after its second.
	replies := func(tr *trace.Trace, upTo int) int {
		n := 0
		for _, ev := range tr.Events {
			if ev.Line >= upTo {
				break
			}
			if ev.Node == "A1" && ev.Ev == trace.Recv && ev.Type == "REPLY" {
				n++
			}
		}
		return n
	}
	if a, b := replies(broken, e.Enter[0].Line), replies(fixed, e.Enter[1].Line); a != 1 || b != 2 {
		t.Errorf("A1 enters after %d REPLYs broken, %d fixed; want 1 and 2", a, b)
	}
	if f := d.First; f == nil || f.Diff[0] == nil || f.Diff[1] == nil {
		t.Errorf("first difference: %+v", f)
	}
}

func TestCompareTopology(t *testing.T) {
	a := eagerEntry(t, false)
	b := *a
	b.Meta.Nodes = b.Meta.Nodes[:4]
	if _, err := trace.Compare(a, &b); err == nil {
		t.Error("runs of different topologies compared")
	}
}
