package scenario

import (
	"reflect"
	"testing"
)

// The largest valid scenario (26 groups of 64): loading it, its topology
// and every node's address are linear in the number of processes.

func BenchmarkLoadLargest(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../../examples/scale/largest.lua"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFixedAddressesLargest(b *testing.B) {
	s, err := Load("../../examples/scale/largest.lua")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, id := range s.NodeIDs() {
			if _, err := s.FixedAddress(id); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFindLargest(b *testing.B) {
	s, err := Load("../../examples/scale/largest.lua")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := s.Find("Z64"); !ok {
			b.Fatal("no Z64")
		}
	}
}

// Find builds one node without the others: it must agree with Nodes()
// on every node, and find nothing for a name close to one.
func TestFindAgreesWithNodes(t *testing.T) {
	s, err := Load("../../examples/scale/largest.lua")
	if err != nil {
		t.Fatal(err)
	}
	nodes := s.Nodes()
	if len(nodes) != 1690 {
		t.Fatalf("%d nodes, want 1690", len(nodes))
	}
	ids := s.NodeIDs()
	for i, want := range nodes {
		if ids[i] != want.ID {
			t.Fatalf("NodeIDs()[%d] = %s, Nodes()[%d] = %s", i, ids[i], i, want.ID)
		}
		got, ok := s.Find(want.ID)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("Find(%s) = %+v, %v; want %+v", want.ID, got, ok, want)
		}
	}
	for _, id := range []string{"", "A0", "A01", "A65", "AA", "A1x", "a1", "A+1"} {
		if n, ok := s.Find(id); ok {
			t.Errorf("Find(%q) = %s, want none", id, n.ID)
		}
	}
}
