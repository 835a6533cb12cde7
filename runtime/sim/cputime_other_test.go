//go:build !unix

package sim

import "time"

// cpuTime cannot be read here: the benchmarks report no runs/cpu-s.
func cpuTime() time.Duration { return 0 }
