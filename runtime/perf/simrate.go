package perf

import (
	"fmt"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// SimRate runs complete one-round seed schedules, seed after seed, for
// about d (at most max of them), on one goroutine: schedules per second
// per core.
func SimRate(version string, d time.Duration, maxRuns int) (float64, int, error) {
	s, err := scenario.Default()
	if err != nil {
		return 0, 0, err
	}
	s.Rounds = 1
	lib := node.NewLibrary()
	start := time.Now()
	runs := 0
	for runs < maxRuns && (runs == 0 || time.Since(start) < d) {
		res, err := sim.Run(s, lib, version, sim.Options{Seed: int64(runs + 1)})
		if err != nil {
			return 0, 0, err
		}
		if res.Outcome != sim.Complete {
			return 0, 0, fmt.Errorf("seed schedule %d did not complete: %s", runs+1, res.Outcome)
		}
		runs++
	}
	return float64(runs) / time.Since(start).Seconds(), runs, nil
}
