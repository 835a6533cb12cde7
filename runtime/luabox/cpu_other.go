//go:build !linux

package luabox

import "time"

// processCPU: no CPU clock here; the wall-clock limit is the wall clock's.
func processCPU() (time.Duration, bool) { return 0, false }
