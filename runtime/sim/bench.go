package sim

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// BenchResult is what BenchSchedules measured.
type BenchResult struct {
	Runs    int           `json:"runs"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// PerSecond is the schedules run and judged per second on one core.
	PerSecond float64 `json:"runs_per_s"`
	// StepsPerRun is the mean number of steps of a schedule.
	StepsPerRun float64 `json:"steps_per_run"`
}

// BenchSchedules measures how many schedules of s one core runs and
// judges per second, as `mutexlab explore --workers 1` does: runs
// schedules (seeds 1, 2, ...) of one round unless s sets its rounds, or
// as many as run until ctx is done, each judged by the checks, on one
// goroutine, with the collector set as explore sets it. The figure is
// `mutexlab bench`'s sim_runs_per_s (perf.SimRate), and
// BenchmarkSeedRound/explore measures the same. A schedule that fails
// is an error: the figure would not be that of clean schedules.
func BenchSchedules(ctx context.Context, s *scenario.Scenario, lib *node.Library, version string, runs int) (BenchResult, error) {
	if runs <= 0 {
		return BenchResult{}, fmt.Errorf("sim bench: %d runs: expected a number > 0", runs)
	}
	sc := *s
	if sc.Rounds == 0 {
		sc.Rounds = 1
	}
	w, err := newWorld(&sc, lib, version)
	if err != nil {
		return BenchResult{}, err
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	// One worker of a random walk (Explore), without the per-schedule
	// record of the walk.
	x := &explorer{w: w, opts: ExploreOptions{Judge: func(t *trace.Trace) *check.Report { return check.Run(t, check.Options{}) }}}
	m := newMachine(w, x.machineOptions(1))
	r := newRandom(1)
	var out BenchResult
	var steps int
	start := time.Now()
	for out.Runs < runs && ctx.Err() == nil {
		seed := int64(out.Runs + 1)
		m.reset(seed)
		r.reseed(seed)
		o := m.run(r)
		steps += m.steps
		out.Runs++
		if f := x.judge(m, o); f != nil {
			why := "it failed its checks"
			if o != Complete {
				why = "it ended " + o.String()
			}
			return BenchResult{}, fmt.Errorf("sim bench: schedule %d (seed %d) of %s: %s (mutexlab explore shows why)", out.Runs, seed, s.Name, why)
		}
	}
	out.Elapsed = time.Since(start)
	if out.Runs == 0 {
		return BenchResult{}, ctx.Err()
	}
	out.PerSecond = float64(out.Runs) / out.Elapsed.Seconds()
	out.StepsPerRun = float64(steps) / float64(out.Runs)
	return out, nil
}
