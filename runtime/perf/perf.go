// Package perf measures the runtime against the limits it runs on: a raw
// JSON-lines ping-pong between two OS processes (the limit), the same
// ping-pong between two node processes running Lua, one seed round and
// its critical path, CS entries per second under saturation, the launch
// and the memory of node processes and of the launcher, and the
// simulator's schedules per second. `mutexlab bench` prints these figures
// side by side; the Go benchmarks of this package (perf_test.go) measure
// each of them for benchstat.
//
// Every measurement starts real processes of a mutexlab binary (Binary):
// the raw ping-pong's peer is that binary in its hidden echo mode, the
// nodes are launched by runtime/cluster. Timings of node processes are
// read from their trace (the run's shared clock), not from the launcher,
// so the launcher's own latency is not counted.
package perf

import (
	"math"
	"slices"
	"time"
)

// Stats is a figure over repeated trials: the median and the spread.
type Stats struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"trials"`
}

// Summarize returns the median, least and greatest of xs.
func Summarize(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Stats{Median: median(s), Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// median of sorted xs.
func median(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MedianDuration is the median of ds, in microseconds.
func MedianDuration(ds []time.Duration) float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d) / 1e3
	}
	slices.Sort(xs)
	return median(xs)
}
