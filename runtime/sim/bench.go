package sim

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
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
// schedules (seeds 1, 2, ...) of one round unless s sets its rounds,
// each judged by the checks, on one goroutine, with the collector set as
// explore sets it. The figure is `mutexlab bench`'s sim_runs_per_s, and
// BenchmarkSeedRound/explore measures the same. A schedule that fails
// is an error: the figure would not be that of clean schedules.
func BenchSchedules(ctx context.Context, s *scenario.Scenario, lib *node.Library, runs int) (BenchResult, error) {
	if runs <= 0 {
		return BenchResult{}, fmt.Errorf("sim bench: %d runs: expected a number > 0", runs)
	}
	sc := *s
	if sc.Rounds == 0 {
		sc.Rounds = 1
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	res, err := Explore(ctx, ExploreOptions{Scenario: &sc, Lib: lib, Version: "bench", Runs: runs, Seed: 1, Workers: 1})
	if err != nil {
		return BenchResult{}, err
	}
	if f := res.Failure; f != nil {
		return BenchResult{}, fmt.Errorf("sim bench: schedule %d (seed %d) of %s failed: %s", f.Index, f.Seed, s.Name, f.Outcome)
	}
	if res.Canceled {
		return BenchResult{}, ctx.Err()
	}
	out := BenchResult{Runs: res.Runs, Elapsed: res.Elapsed, StepsPerRun: float64(res.Steps) / float64(max(res.Runs, 1))}
	if res.Elapsed > 0 {
		out.PerSecond = float64(res.Runs) / res.Elapsed.Seconds()
	}
	return out, nil
}
