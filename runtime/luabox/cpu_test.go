package luabox

import "testing"

// BenchmarkProcessCPU is the CPU clock's cost (about 1.3 µs on the 2-core
// machine): why the guard reads it only in stretches that outlast the
// probe, never at Arm.
func BenchmarkProcessCPU(b *testing.B) {
	for b.Loop() {
		processCPU()
	}
}
