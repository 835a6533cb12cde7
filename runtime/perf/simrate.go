package perf

import (
	"context"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// SimRate runs complete one-round seed schedules, seed after seed, for
// about d (at most max of them), on one goroutine, each judged by the
// checks, as `mutexlab explore --workers 1` runs them (sim.BenchSchedules:
// the machine and its nodes' Lua VMs reused from schedule to schedule):
// schedules per second per core.
func SimRate(version string, d time.Duration, maxRuns int) (float64, int, error) {
	s, err := scenario.Default()
	if err != nil {
		return 0, 0, err
	}
	s.Rounds = 1
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := sim.BenchSchedules(ctx, s, node.NewLibrary(), version, maxRuns)
	if err != nil {
		return 0, 0, err
	}
	return r.PerSecond, r.Runs, nil
}
