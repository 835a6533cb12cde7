package perf

import (
	"context"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// SimRate is the simulator's one-round seed schedules per second on one
// core, each judged by the checks, as `mutexlab explore --workers 1`
// runs them (sim.BenchSchedules): a few schedules to size the run, then
// about d's worth.
func SimRate(d time.Duration) (float64, int, error) {
	s, err := scenario.Default()
	if err != nil {
		return 0, 0, err
	}
	lib := node.NewLibrary()
	probe, err := sim.BenchSchedules(context.Background(), s, lib, 20)
	if err != nil {
		return 0, 0, err
	}
	res, err := sim.BenchSchedules(context.Background(), s, lib, max(20, int(probe.PerSecond*d.Seconds())))
	if err != nil {
		return 0, 0, err
	}
	return res.PerSecond, res.Runs, nil
}
