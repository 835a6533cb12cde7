package sim

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

var update = flag.Bool("update", false, "rewrite the golden traces in testdata/golden")

// load returns an embedded example ("seed") or a scenario of testdata
// ("testdata/tiny.lua"), with rounds set when rounds > 0.
func load(t testing.TB, name string, rounds int) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	if rounds > 0 {
		s.Rounds = rounds
	}
	return s
}

// libFor searches the scenario's folder, then the shipped scripts.
func libFor(s *scenario.Scenario) *node.Library { return node.NewLibrary(s.Dir) }

func runSeed(t testing.TB, s *scenario.Scenario, seed int64, opts Options) *Result {
	t.Helper()
	opts.Seed = seed
	r, err := Run(s, libFor(s), "test", opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func traceBytes(t testing.TB, tr *trace.Trace) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTrace(&b, tr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSameSeedSameTrace(t *testing.T) {
	for _, name := range []string{"seed", "testdata/tiny.lua", "testdata/lamport_reorder.lua", "testdata/jitter.lua"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name, 1)
			for seed := int64(1); seed <= 5; seed++ {
				a := runSeed(t, s, seed, Options{})
				b := runSeed(t, s, seed, Options{})
				if a.Outcome != Complete {
					t.Fatalf("seed %d: %s: %s", seed, a.Outcome, a.Detail())
				}
				if !bytes.Equal(traceBytes(t, a.Trace), traceBytes(t, b.Trace)) {
					t.Fatalf("seed %d: two runs wrote different traces", seed)
				}
			}
		})
	}
}

// A machine reused from schedule to schedule (as Explore does) writes the
// same trace as a fresh one.
func TestReusedMachineSameTrace(t *testing.T) {
	s := load(t, "seed", 1)
	w, err := newWorld(s, libFor(s), "test")
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(w, Options{})
	r := newRandom(0)
	for seed := int64(1); seed <= 5; seed++ {
		m.reset(seed)
		r.reseed(seed)
		out := m.run(r)
		got := traceBytes(t, m.result(out, false).Trace)
		want := traceBytes(t, runSeed(t, s, seed, Options{}).Trace)
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: the reused machine wrote a different trace", seed)
		}
	}
}

func TestDifferentSeedsDifferentSchedules(t *testing.T) {
	s := load(t, "seed", 1)
	schedules := map[uint64]int64{}
	traces := map[string]int64{}
	const n = 40
	for seed := int64(1); seed <= n; seed++ {
		r := runSeed(t, s, seed, Options{})
		schedules[r.Schedule] = seed
		traces[string(traceBytes(t, r.Trace))] = seed
	}
	// Two seeds may happen on one schedule, but not many.
	if len(schedules) < n*9/10 || len(traces) < n*9/10 {
		t.Fatalf("%d seeds gave %d distinct schedules and %d distinct traces", n, len(schedules), len(traces))
	}
}

// deliveries returns, per channel "from->to", the seq numbers in the
// order they were received.
func deliveries(tr *trace.Trace) map[string][]int64 {
	out := map[string][]int64{}
	for _, e := range tr.Events {
		if e.Ev == trace.Recv {
			k := e.From + "->" + e.Node
			out[k] = append(out[k], e.Seq)
		}
	}
	return out
}

func inOrder(seqs []int64) bool {
	for i, s := range seqs {
		if s != int64(i+1) {
			return false
		}
	}
	return true
}

func TestFIFOUnlessReorder(t *testing.T) {
	// With jitter every message has a delay of its own: FIFO has to
	// hold later messages back.
	for _, name := range []string{"seed", "testdata/jitter.lua"} {
		t.Run("fifo "+name, func(t *testing.T) {
			s := load(t, name, 2)
			for seed := int64(1); seed <= 50; seed++ {
				for ch, seqs := range deliveries(runSeed(t, s, seed, Options{}).Trace) {
					if !inOrder(seqs) {
						t.Fatalf("seed %d: channel %s delivered %v", seed, ch, seqs)
					}
				}
			}
		})
	}
	t.Run("reorder", func(t *testing.T) {
		s := load(t, "seed", 2)
		s.Network.Reorder = true
		for seed := int64(1); seed <= 50; seed++ {
			for ch, seqs := range deliveries(runSeed(t, s, seed, Options{}).Trace) {
				if !inOrder(seqs) {
					t.Logf("seed %d: channel %s delivered %v", seed, ch, seqs)
					return
				}
			}
		}
		t.Fatal("network.reorder is set, but no channel delivered out of order in 50 schedules")
	})
}

// Delays and jitter are honored in virtual time: every message arrives no
// earlier than delay/speed after its send and no later than
// (delay+jitter)/speed, since the scheduler delivers a due message
// before any later timer fires.
func TestDelayInVirtualTime(t *testing.T) {
	s := load(t, "testdata/jitter.lua", 1)
	s.Speed = 4
	lo := int64(s.Network.Delay / s.Speed * 1e9)
	hi := int64((s.Network.Delay + s.Network.Jitter) / s.Speed * 1e9)
	for seed := int64(1); seed <= 10; seed++ {
		tr := runSeed(t, s, seed, Options{}).Trace
		sent := map[string]int64{}
		for _, e := range tr.Events {
			switch e.Ev {
			case trace.Send:
				sent[fmt.Sprint(e.Node, e.To, e.Seq)] = e.T
			case trace.Recv:
				d := e.T - sent[fmt.Sprint(e.From, e.Node, e.Seq)]
				if d < lo || d > hi {
					t.Fatalf("seed %d, line %d: %s->%s seq %d took %d ns, want %d..%d", seed, e.Line, e.From, e.Node, e.Seq, d, lo, hi)
				}
			}
		}
	}
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		want     Outcome
		check    string // a check that must fail, or ""
	}{
		{"seed", Complete, ""},
		{"testdata/greedy.lua", Stalled, check.Liveness},
		{"testdata/chatty.lua", TooLong, check.Liveness},
		{"testdata/eager.lua", Complete, check.MutualExclusion},
		{"testdata/crash.lua", Failed, check.Liveness},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			s := load(t, tc.scenario, 1)
			r := runSeed(t, s, 1, Options{MaxSteps: 2000})
			if r.Outcome != tc.want {
				t.Fatalf("outcome %s (%s), want %s", r.Outcome, r.Detail(), tc.want)
			}
			rep := check.Run(r.Trace, check.Options{})
			if tc.check == "" {
				if rep.Failed() {
					var b bytes.Buffer
					rep.Print(&b, false)
					t.Fatalf("checks failed:\n%s", &b)
				}
				return
			}
			if res := rep.Result(tc.check); res == nil || res.Status != check.Fail {
				t.Fatalf("check %q did not fail", tc.check)
			}
		})
	}
}

// The trace of a schedule is part of the contract: a seed printed by
// explore must replay the same run in a later version. The golden files
// are rewritten with -update.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		seed     int64
		file     string
	}{
		{"testdata/tiny.lua", 7, "tiny-seed7.jsonl"},
		{"testdata/lamport_reorder.lua", 6, "lamport_reorder-seed6.jsonl"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := load(t, tc.scenario, 0)
			tr := runSeed(t, s, tc.seed, Options{}).Trace
			// Where the files are differs from machine to machine, and
			// the scripts' hashes with every edit: the schedule does not.
			if tr.Meta.File == "" || len(tr.Meta.Scripts) == 0 {
				t.Errorf("the header records no scenario file or scripts: %+v", tr.Meta)
			}
			tr.Meta.File, tr.Meta.Scripts = "", nil
			got := traceBytes(t, tr)
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("the schedule of seed %d changed; if that is intended, run go test -update and say so", tc.seed)
			}
		})
	}
}
