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
