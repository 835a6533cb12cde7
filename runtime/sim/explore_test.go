package sim

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/scenario"
)

func explore(t testing.TB, s *scenario.Scenario, opts ExploreOptions) *ExploreResult {
	t.Helper()
	opts.Scenario, opts.Lib, opts.Version = s, libFor(s), "test"
	res, err := Explore(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func describeFailure(f *Failure) string {
	var b bytes.Buffer
	b.WriteString(f.Outcome.String() + " " + f.Detail + "\n")
	f.Report.Print(&b, false)
	return b.String()
}

// The shipped algorithms run clean; the 10,000 schedules are a
// documented command (README):
//
//	mutexlab explore --runs 10000
//	mutexlab explore three_groups --runs 10000
func TestShippedAlgorithmsClean(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		runs     int
		lag      bool
	}{
		{"seed", 300, false},
		{"seed", 100, true},
		{"testdata/jitter.lua", 100, false},
		{"three_groups", 30, false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			res := explore(t, load(t, tc.scenario, 1), ExploreOptions{Runs: tc.runs, Seed: 1, Lag: tc.lag})
			if res.Failure != nil {
				t.Fatalf("schedule %d (seed %d) failed: %s", res.Failure.Index, res.Failure.Seed, describeFailure(res.Failure))
			}
			if res.Runs != tc.runs || res.Passed != tc.runs {
				t.Fatalf("ran %d, passed %d, want %d", res.Runs, res.Passed, tc.runs)
			}
			if res.Distinct < tc.runs/2 {
				t.Errorf("only %d distinct schedules in %d", res.Distinct, tc.runs)
			}
		})
	}
}

func TestExploreFindsBugs(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		outcome  Outcome
		check    string
	}{
		{"testdata/eager.lua", Complete, check.MutualExclusion},
		{"testdata/greedy.lua", Stalled, check.Liveness},
		{"testdata/chatty.lua", TooLong, ""},
		{"testdata/crash.lua", Failed, check.Liveness},
		{"testdata/lamport_reorder.lua", Complete, check.MutualExclusion},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			res := explore(t, load(t, tc.scenario, 0), ExploreOptions{Runs: 1000, Seed: 1, MaxSteps: 5000})
			f := res.Failure
			if f == nil {
				t.Fatalf("no failure in %d schedules", res.Runs)
			}
			if f.Outcome != tc.outcome {
				t.Fatalf("outcome %s, want %s: %s", f.Outcome, tc.outcome, describeFailure(f))
			}
			if tc.check != "" {
				if r := f.Report.Result(tc.check); r == nil || r.Status != check.Fail {
					t.Fatalf("check %q passed: %s", tc.check, describeFailure(f))
				}
			}
			// The failure replays from its seed alone.
			again := runSeed(t, load(t, tc.scenario, 0), f.Seed, Options{MaxSteps: 5000})
			if !bytes.Equal(traceBytes(t, again.Trace), traceBytes(t, f.Trace)) {
				t.Fatalf("seed %d does not replay the failing schedule", f.Seed)
			}
		})
	}
}

// Every exercise in examples/exercises is found within 1,000 schedules.
func TestExercisesFound(t *testing.T) {
	var names []string
	for _, name := range scenario.Embedded() {
		if strings.HasPrefix(name, "exercises/") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Skip("no exercises")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			res := explore(t, load(t, name, 0), ExploreOptions{Runs: 1000, Seed: 1})
			if res.Failure == nil {
				t.Fatalf("every one of %d schedules passed", res.Runs)
			}
			t.Logf("found at schedule %d: %s", res.Failure.Index, firstFailed(res.Failure))
		})
	}
}

func firstFailed(f *Failure) string {
	var names []string
	for _, r := range f.Report.Results {
		if r.Status == check.Fail {
			names = append(names, r.Check)
		}
	}
	return f.Outcome.String() + "; " + strings.Join(names, ", ")
}

// The result does not depend on the number of workers: the earliest
// failing seed wins, and the counts cover the schedules before it.
func TestExploreWorkersAgree(t *testing.T) {
	for _, name := range []string{"testdata/lamport_reorder.lua", "seed"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name, 0)
			if s.Rounds == 0 {
				s.Rounds = 1
			}
			var results []*ExploreResult
			for _, w := range []int{1, 2, 5} {
				results = append(results, explore(t, s, ExploreOptions{Runs: 60, Seed: 1, Workers: w}))
			}
			for _, r := range results[1:] {
				a, b := results[0], r
				if a.Runs != b.Runs || a.Passed != b.Passed || a.Distinct != b.Distinct || a.Steps != b.Steps && a.Failure == nil {
					t.Fatalf("results differ: %+v vs %+v", a, b)
				}
				if (a.Failure == nil) != (b.Failure == nil) || a.Failure != nil && a.Failure.Seed != b.Failure.Seed {
					t.Fatalf("failures differ: %+v vs %+v", a.Failure, b.Failure)
				}
			}
		})
	}
}

func TestExploreProgressAndCancel(t *testing.T) {
	s := load(t, "seed", 1)
	ctx, cancel := context.WithCancel(context.Background())
	var last Progress
	calls := 0
	res, err := Explore(ctx, ExploreOptions{Scenario: s, Lib: libFor(s), Runs: 1_000_000, Seed: 1, Workers: 2,
		Progress: func(p Progress) {
			calls++
			last = p
			if p.Done >= 20 {
				cancel()
			}
		}, ProgressEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Canceled || res.Runs < 20 || res.Runs >= 1_000_000 {
		t.Fatalf("canceled %v after %d runs", res.Canceled, res.Runs)
	}
	if calls == 0 || last.Done != res.Runs || last.Total != 1_000_000 {
		t.Fatalf("%d progress calls, last %+v, result %d runs", calls, last, res.Runs)
	}
}

// runDFS enumerates every schedule of s with the given dfs and returns
// their identities, in the order found.
func runDFS(t *testing.T, s *scenario.Scenario, d *dfs, limit int) (schedules []uint64, pruned int) {
	t.Helper()
	w, err := newWorld(s, libFor(s), "test")
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(w, Options{})
	for range limit {
		m.reset(0)
		d.begin()
		out := m.run(d)
		if d.diverged {
			t.Fatal("a prefix did not repeat")
		}
		if out == Pruned {
			pruned++
		} else {
			schedules = append(schedules, m.schedule())
		}
		if !d.backtrack() {
			return schedules, pruned
		}
	}
	t.Fatalf("more than %d runs", limit)
	return nil, 0
}

// The sleep sets leave out only reorderings of independent steps: the
// reduced search finds exactly the node histories the full one finds,
// each once.
func TestExhaustiveReduction(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reorder bool
	}{{"fifo", false}, {"reorder", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, "testdata/tiny.lua", 0)
			s.CS.Prints = 1
			s.Network.Reorder = tc.reorder
			reduced, pruned := runDFS(t, s, &dfs{}, 100_000)
			full, _ := runDFS(t, s, &dfs{full: true}, 1_000_000)
			distinct := func(list []uint64) []uint64 {
				out := slices.Clone(list)
				slices.Sort(out)
				return slices.Compact(out)
			}
			if len(distinct(reduced)) != len(reduced) {
				t.Errorf("the reduced search ran %d schedules, only %d distinct", len(reduced), len(distinct(reduced)))
			}
			if !slices.Equal(distinct(reduced), distinct(full)) {
				t.Fatalf("reduced search: %d distinct schedules; full search: %d distinct in %d interleavings",
					len(distinct(reduced)), len(distinct(full)), len(full))
			}
			t.Logf("%d distinct schedules; %d runs pruned; the full search ran %d interleavings", len(reduced), pruned, len(full))
		})
	}
}

func TestExhaustive(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		lag      bool
	}{
		{"testdata/tiny.lua", false},
		{"testdata/tiny.lua", true},
		{"testdata/tiny_ra.lua", false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			res := explore(t, load(t, tc.scenario, 0), ExploreOptions{Exhaustive: true, Lag: tc.lag})
			if res.Failure != nil {
				t.Fatalf("schedule %d failed: %s", res.Failure.Index, describeFailure(res.Failure))
			}
			if !res.Exhausted || res.Distinct != res.Runs || res.Runs < 2 {
				t.Fatalf("exhausted %v, %d runs, %d distinct", res.Exhausted, res.Runs, res.Distinct)
			}
			t.Logf("%d distinct schedules, %d pruned", res.Distinct, res.Pruned)
		})
	}
	t.Run("cap", func(t *testing.T) {
		res := explore(t, load(t, "testdata/tiny_ra.lua", 0), ExploreOptions{Exhaustive: true, Runs: 10})
		if res.Exhausted || res.Runs != 10 {
			t.Fatalf("exhausted %v after %d runs, want a stop at 10", res.Exhausted, res.Runs)
		}
	})
	t.Run("bug", func(t *testing.T) {
		res := explore(t, load(t, "testdata/eager.lua", 0), ExploreOptions{Exhaustive: true})
		if res.Failure == nil {
			t.Fatal("no failure")
		}
	})
}

// Keep the testdata folder honest: every scenario in it loads.
func TestTestdataScenariosLoad(t *testing.T) {
	err := fs.WalkDir(os.DirFS("testdata"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".lua") || strings.HasPrefix(p, "algorithms/") {
			return err
		}
		_, err = scenario.Load(filepath.Join("testdata", p))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
