package node

import (
	"fmt"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// family are the shipped algorithms beyond the seed's two.
var family = []string{"suzuki_kasami", "maekawa", "raymond", "central", "naimi_trehel", "roucairol_carvalho"}

// groupOf returns count lightweights A1..Acount of one group running
// algorithm (count may pass 9: A10 sorts after A9 in node.members).
func groupOf(count int, algorithm string) []scenario.Node {
	var ids []string
	for i := 1; i <= count; i++ {
		ids = append(ids, fmt.Sprintf("A%d", i))
	}
	var specs []scenario.Node
	for _, id := range ids {
		var peers []string
		for _, p := range ids {
			if p != id {
				peers = append(peers, p)
			}
		}
		specs = append(specs, scenario.Node{ID: id, Group: "A", Role: scenario.Lightweight,
			Algorithm: algorithm, Peers: peers})
	}
	return specs
}

// Every lightweight asks again as soon as it leaves, with no heavyweight
// holding it back: the family still excludes, every process enters every
// round, and no run spends more messages than the textbook's bound
// (check.Textbook) allows.
func TestFamilyExcludesUnderContention(t *testing.T) {
	for _, algo := range family {
		tb, ok := check.TextbookOf(algo)
		if !ok {
			t.Fatalf("%s: no textbook", algo)
		}
		for _, size := range []int{1, 2, 3, 5, 12} {
			worst := 0.0
			for seed := int64(1); seed <= 20; seed++ {
				lib := library(t, map[string]string{"contend.lua": contend})
				net := newNet(t, lib, groupOf(size, algo), "contend", scenario.CS{Prints: 1, Interval: 1}, 3, seed)
				net.run(1000000)
				if len(net.errs) > 0 {
					t.Fatalf("%s N=%d seed %d: %v", algo, size, seed, net.errs)
				}
				entries := assertExclusive(t, net.events)
				for _, id := range net.ids {
					if entries[id] != 3 {
						t.Fatalf("%s N=%d seed %d: %s entered %d times, want 3", algo, size, seed, id, entries[id])
					}
				}
				sends := 0
				for _, e := range net.events {
					if e.Ev == trace.Send {
						sends++
					}
				}
				per := float64(sends) / float64(3*size)
				if per > tb.Bound(size) {
					t.Fatalf("%s N=%d seed %d: %.2f messages per entry, the bound is %v", algo, size, seed, per, tb.Bound(size))
				}
				worst = max(worst, per)
			}
			t.Logf("%s N=%d: worst %.2f messages per entry", algo, size, worst)
		}
	}
}

// node.members lists a lightweight's group by number, itself included,
// and a heavyweight's ring.
func TestMembers(t *testing.T) {
	lib := library(t, map[string]string{"members.lua": `node.log(table.concat(node.members, " "))`})
	net := newNet(t, lib, groupOf(12, "lamport"), "members", scenario.CS{}, 1, 1)
	net.run(100)
	want := "A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12"
	for _, id := range []string{"A1", "A10", "A12"} {
		if got := net.logs(id); len(got) != 1 || got[0] != want {
			t.Errorf("%s: node.members is %q, want %q", id, got, want)
		}
	}
	specs, _ := seedSpecs(1)
	net = newNet(t, lib, specs, "members", scenario.CS{}, 1, 1)
	net.run(100)
	if got := net.logs("B"); len(got) != 1 || got[0] != "A B" {
		t.Errorf("B: node.members is %q, want the ring \"A B\"", got)
	}
}
