package check_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"mutexlab/examples"
	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// Simulated runs of every example and every exercise, whole and cut
// short, with and without the network's lag: the same report walked as
// whole, passing and failing.
func TestStreamSameOnSimulatedRuns(t *testing.T) {
	names := []string{}
	examplesLua, _ := fs.Glob(examples.FS, "*.lua")
	for _, f := range examplesLua {
		names = append(names, strings.TrimSuffix(f, ".lua"))
	}
	exercises, _ := fs.Glob(examples.FS, "exercises/*/scenario.lua")
	for _, f := range exercises {
		names = append(names, strings.TrimSuffix(f, "/scenario.lua"))
	}
	if len(names) < 12 {
		t.Fatalf("only %d scenarios: %v", len(names), names)
	}
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	failed := 0
	for _, name := range names {
		for seed := range int64(seeds) {
			s, err := scenario.Resolve(name)
			if err != nil {
				t.Fatal(err)
			}
			s.Rounds = 2
			if seed == 0 {
				s.Rounds = 20 // long enough to forget sections on the way
			}
			opts := sim.Options{Seed: seed, Lag: seed%2 == 1}
			if seed%3 == 2 {
				opts.Cut = 40 + int(seed)*13 // interrupted part way
			}
			res, err := sim.Run(s, node.NewLibrary(s.Dir), "test", opts)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var b bytes.Buffer
			if err := sim.WriteTrace(&b, res.Trace); err != nil {
				t.Fatal(err)
			}
			label := fmt.Sprintf("%s seed %d (%s)", name, seed, res.Outcome)
			if !check.SameReport(t, label, b.Bytes(), check.SomeOptions...) {
				t.Fatalf("%s: a simulated trace was not walked", label)
			}
			if check.Run(res.Trace, check.Options{}).Failed() {
				failed++
			}
		}
	}
	if failed == 0 {
		t.Fatal("no simulated run failed a check: the exercises should")
	}
}

// Walking a run holds what is concurrent in it, not what is long: the
// seed run six times as long holds as much at once (sections a node has
// not yet heard the end of, messages in flight, entries and findings
// waiting, events held back by the walk).
func TestStreamHoldsWhatIsConcurrent(t *testing.T) {
	peaks := func(name string, rounds int) (map[string]int, int) {
		s, err := scenario.Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		s.Rounds = rounds
		res, err := sim.Run(s, node.NewLibrary(s.Dir), "test", sim.Options{Seed: 1, Lag: true, MaxSteps: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := sim.WriteTrace(&b, res.Trace); err != nil {
			t.Fatal(err)
		}
		ix, err := trace.NewIndex(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := check.Peaks(ix)
		if err != nil {
			t.Fatal(err)
		}
		return p, ix.Events
	}
	for _, name := range []string{"seed", "three_groups", "exercises/eager_entry"} {
		short, n1 := peaks(name, 10)
		long, n2 := peaks(name, 60)
		t.Logf("%s: %d events %v; %d events %v", name, n1, short, n2, long)
		for k, v := range long {
			if v > 2*short[k]+16 {
				t.Errorf("%s: %s held at once: %d over %d events, %d over %d", name, k, short[k], n1, v, n2)
			}
		}
	}
}

// Simulated runs with faults (crashes, a crash in the critical section
// and a restart, a pause, cut links, a partition, loss and duplicates):
// the same report walked as whole, and the liveness check names what the
// others wait for when they wait for a crashed node.
func TestStreamSameOnFaultyRuns(t *testing.T) {
	plans := []struct {
		name      string
		faults    []scenario.Fault
		loss, dup float64
	}{
		{"crash", []scenario.Fault{{Kind: scenario.Crash, Node: "A2", At: 0.3}}, 0, 0},
		{"crash in cs, restart", []scenario.Fault{{Kind: scenario.Crash, Node: "B1", After: "cs_enter", Count: 1}, {Kind: scenario.Restart, Node: "B1", At: 2}}, 0, 0},
		{"crash heavyweight", []scenario.Fault{{Kind: scenario.Crash, Node: "B", After: "recv", Count: 3}}, 0, 0},
		{"pause, cut", []scenario.Fault{{Kind: scenario.Pause, Node: "A1", At: 0.1, Duration: 1}, {Kind: scenario.Cut, From: "A2", To: "A3", Both: true, At: 0.2, Duration: 0.5}}, 0, 0},
		{"partition", []scenario.Fault{{Kind: scenario.Partition, Sides: [][]string{{"A"}, {"B"}}, At: 0.05, Duration: 0.3}}, 0, 0},
		{"loss, duplicate", nil, 0.1, 0.1},
	}
	names := []string{"seed", "suzuki_kasami", "maekawa", "raymond", "central", "naimi_trehel", "roucairol_carvalho"}
	seeds := int64(3)
	if testing.Short() {
		seeds = 1
	}
	named := 0
	for _, name := range names {
		for _, p := range plans {
			for seed := range seeds {
				s, err := scenario.Resolve(name)
				if err != nil {
					t.Fatal(err)
				}
				s.Rounds, s.CS = 2, scenario.CS{Prints: 2, Interval: 0.1}
				s.Faults, s.Network.Loss, s.Network.Duplicate = p.faults, p.loss, p.dup
				if err := s.Validate(); err != nil {
					t.Fatalf("%s %s: %v", name, p.name, err)
				}
				res, err := sim.Run(s, node.NewLibrary(s.Dir), "test", sim.Options{Seed: seed, Lag: seed%2 == 1})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var b bytes.Buffer
				if err := sim.WriteTrace(&b, res.Trace); err != nil {
					t.Fatal(err)
				}
				label := fmt.Sprintf("%s, %s, seed %d (%s)", name, p.name, seed, res.Outcome)
				if !check.SameReport(t, label, b.Bytes(), check.SomeOptions...) {
					t.Fatalf("%s: a simulated trace was not walked", label)
				}
				r := check.Run(res.Trace, check.Options{})
				for _, c := range r.Results {
					if c.Check == check.Liveness && strings.Contains(c.Summary, "crashed at") {
						named++
					}
				}
			}
		}
	}
	if named == 0 {
		t.Error("no stall named a crashed node")
	}
}
