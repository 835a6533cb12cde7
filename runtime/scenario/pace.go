package scenario

import (
	"hash/fnv"
	"math"
	"time"
)

// NodeSeed is the seed of node id's random stream in a run of scenario
// seed seed: its math.random and, in a real run, the jitter its driver
// draws. Launched nodes, nodes started by hand and the simulator all
// derive it here, so that every node has a stream of its own (A1 and B1
// differ) that the same seed repeats (docs/scenario.md).
func NodeSeed(seed int64, id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	// splitmix64's finalizer over the id's hash and the seed.
	x := h.Sum64() ^ uint64(seed)*0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return int64(x)
}

// Nanos converts scenario seconds (a sleep, a critical section's
// interval, a link's delay or jitter) into nanoseconds of the run: divided
// by the speed. speed is a validated scenario's, > 0: the default of 1 is
// applied where a scenario is loaded, nowhere else.
// A result past what an int64 holds (not reachable with validated
// values: MaxSeconds / MinSpeed) is capped, never wrapped around.
func Nanos(seconds, speed float64) int64 {
	ns := seconds / speed * float64(time.Second)
	if !(ns < math.MaxInt64) {
		if math.IsNaN(ns) {
			return 0
		}
		return math.MaxInt64
	}
	return int64(ns)
}

// MaxSeconds is the longest interval, delay or sleep: a day (more is
// surely a typo); MinSpeed and MaxSpeed bound the speed, so that every
// interval divided by it is a time the run can wait for, from a
// microsecond to a thousand days (docs/scenario.md).
const (
	MaxSeconds = 86400
	MinSpeed   = 0.001
	MaxSpeed   = 1e6
)
