package sim

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/luabox"
	"mutexlab/runtime/trace"
)

// A wait_until reason function that loops forever stops its node with
// its file:line, within the simulator's default (counted) budget.
func TestEndlessReasonStopsNode(t *testing.T) {
	s := load(t, "testdata/looping_reason.lua", 0)
	r := runSeed(t, s, 1, Options{})
	want := fmt.Sprintf("testdata/algorithms/endless_reason.lua:9: ran more than %d Lua steps without blocking (an endless loop? wait with node.wait_until)", luabox.DefaultSteps)
	if r.Outcome != Failed || r.Detail() != want {
		t.Fatalf("%s: %s\nwant %s", r.Outcome, r.Detail(), want)
	}
	var ends []string
	for _, e := range r.Trace.Events {
		if e.Ev == trace.Error || e.Ev == trace.Exit && e.Text == "error" {
			ends = append(ends, e.Node+" "+string(e.Ev)+" "+e.Text)
		}
	}
	if len(ends) != 2 || ends[0] != ends[1][:3]+"error "+want || !strings.HasSuffix(ends[1], "exit error") {
		t.Fatalf("error and exit events: %q", ends)
	}
}

// schedule is what a test keeps of one schedule: its verdict and a hash
// of its trace's bytes.
type schedule struct {
	verdict string
	trace   [32]byte
}

func verdict(out Outcome, detail string, rep *check.Report) string {
	v := out.String()
	if detail != "" {
		v += ": " + detail
	}
	for _, r := range rep.Results {
		v += fmt.Sprintf("; %s %s", r.Check, r.Status)
	}
	return v
}

// alone runs each seed of 1..n on its own.
func alone(t *testing.T, name string, n int) map[int64]schedule {
	t.Helper()
	s := load(t, name, 0)
	out := map[int64]schedule{}
	for seed := int64(1); seed <= int64(n); seed++ {
		r := runSeed(t, s, seed, Options{})
		out[seed] = schedule{verdict(r.Outcome, r.Detail(), check.Run(r.Trace, check.Options{})),
			sha256.Sum256(traceBytes(t, r.Trace))}
	}
	return out
}

// explored runs a random walk of seeds 1..n on workers, keeping every
// schedule it judged.
func explored(t *testing.T, name string, n, workers int) (*ExploreResult, map[int64]schedule) {
	t.Helper()
	var mu sync.Mutex
	seen := map[int64]schedule{}
	s := load(t, name, 0)
	res := explore(t, s, ExploreOptions{Runs: n, Seed: 1, Workers: workers, Judge: func(tr *trace.Trace) *check.Report {
		rep := check.Run(tr, check.Options{})
		h := sha256.Sum256(traceBytes(t, tr))
		mu.Lock()
		seen[tr.Meta.Seed] = schedule{trace: h}
		mu.Unlock()
		return rep
	}})
	return res, seen
}

// The simulator's verdict is independent of the workers and of the load:
// the Lua budget is counted in instructions, so a schedule that runs a
// handler near the budget passes or fails by its seed alone. With a
// budget that some of 200 schedules exceed, a walk on 1 worker and on 50
// finds the same first failure, with the same trace, as running each
// seed alone; with the default budget all 200 pass and every trace is
// byte-identical.
func TestVerdictIndependentOfWorkers(t *testing.T) {
	const n = 200
	const name = "testdata/busy.lua"
	t.Run("near the budget", func(t *testing.T) {
		defer func(b luabox.Budget) { luaBudget = b }(luaBudget)
		luaBudget = luabox.Budget{Steps: 1300}
		ref := alone(t, name, n)
		first := int64(0)
		for seed := int64(1); seed <= n; seed++ {
			if !strings.HasPrefix(ref[seed].verdict, "complete") {
				first = seed
				break
			}
		}
		if first == 0 || first == 1 {
			t.Fatalf("the budget should fail some schedules but not the first: first failure %d", first)
		}
		want := "script error: testdata/algorithms/lamport_busy.lua:7: ran more than 1300 Lua steps without blocking"
		if !strings.HasPrefix(ref[first].verdict, want) {
			t.Fatalf("seed %d: %s\nwant %s...", first, ref[first].verdict, want)
		}
		for _, w := range []int{1, 50} {
			res, seen := explored(t, name, n, w)
			f := res.Failure
			if f == nil || f.Seed != first || f.Index != int(first) || res.Passed != int(first)-1 {
				t.Fatalf("workers %d: failure %+v after %d passed, want seed %d", w, f, res.Passed, first)
			}
			if got := verdict(f.Outcome, f.Detail, f.Report); got != ref[first].verdict {
				t.Fatalf("workers %d: verdict %s\nwant %s", w, got, ref[first].verdict)
			}
			if sha256.Sum256(traceBytes(t, f.Trace)) != ref[first].trace {
				t.Fatalf("workers %d: the failing trace differs from the seed's run alone", w)
			}
			for seed, sc := range seen {
				if sc.trace != ref[seed].trace {
					t.Fatalf("workers %d: seed %d's trace differs from its run alone", w, seed)
				}
			}
		}
	})
	t.Run("default budget", func(t *testing.T) {
		ref := alone(t, name, n)
		for _, w := range []int{1, 50} {
			res, seen := explored(t, name, n, w)
			if res.Failure != nil || res.Passed != n || len(seen) != n {
				t.Fatalf("workers %d: %d passed, %d judged, failure %+v", w, res.Passed, len(seen), res.Failure)
			}
			for seed, sc := range seen {
				if sc.trace != ref[seed].trace || !strings.HasPrefix(ref[seed].verdict, "complete") {
					t.Fatalf("workers %d: seed %d: trace differs from its run alone (%s)", w, seed, ref[seed].verdict)
				}
			}
		}
	})
}
