package node

import (
	"fmt"
	"testing"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// contend makes every node request the critical section in every round,
// with no heavyweight holding it back: the hardest case for the algorithm.
const contend = `
local mutex = require(node.algorithm)
for round in node.rounds() do
  mutex.request()
  node.critical_section()
  mutex.release()
end
`

func TestAlgorithmsExcludeUnderContention(t *testing.T) {
	for _, algo := range []string{"lamport", "ricart_agrawala"} {
		for seed := int64(1); seed <= 30; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", algo, seed), func(t *testing.T) {
				lib := library(t, map[string]string{"contend.lua": contend})
				net := newNet(t, lib, group(4, algo), "contend", scenario.CS{Prints: 2, Interval: 1}, 3, seed)
				net.run(100000)
				if len(net.errs) > 0 {
					t.Fatal(net.errs)
				}
				entries := assertExclusive(t, net.events)
				for _, id := range net.ids {
					if entries[id] != 3 {
						t.Fatalf("%s entered %d times, want 3 (entries %v)", id, entries[id], entries)
					}
				}
				// Textbook message counts per entry.
				per := map[string]int{"lamport": 3 * 3, "ricart_agrawala": 2 * 3}[algo]
				sends := 0
				for _, e := range net.events {
					if e.Ev == trace.Send {
						sends++
					}
				}
				if sends != per*4*3 {
					t.Fatalf("%d messages for 12 entries, want %d", sends, per*4*3)
				}
			})
		}
	}
}

// seedSpecs is the seed's topology with n lightweights per group.
func seedSpecs(n int) ([]scenario.Node, []string) {
	s := &scenario.Scenario{Token: "token", Groups: []scenario.Group{
		{ID: "A", Algorithm: "lamport", Lightweights: n},
		{ID: "B", Algorithm: "ricart_agrawala", Lightweights: n},
	}}
	return s.Nodes(), []string{"A", "B"}
}

func TestSeedSystemInProcess(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		specs, _ := seedSpecs(3)
		net := newNet(t, library(t, nil), specs, "", scenario.CS{Prints: 3, Interval: 1}, 2, seed)
		net.run(100000)
		if len(net.errs) > 0 {
			t.Fatal(net.errs)
		}
		entries := assertExclusive(t, net.events)
		total := 0
		for _, c := range entries {
			total += c
		}
		if total != 12 {
			t.Fatalf("seed %d: %d entries, want 12: %v", seed, total, entries)
		}
		// A's lightweights all go before B's in each round.
		var order []string
		for _, e := range net.events {
			if e.Ev == trace.CSEnter {
				order = append(order, e.Node[:1])
			}
		}
		if got := fmt.Sprint(order); got != "[A A A B B B A A A B B B]" {
			t.Fatalf("seed %d: groups entered in order %s", seed, got)
		}
	}
}
