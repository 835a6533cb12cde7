package check_test

import (
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// BenchmarkRunSeed judges one-round schedules of the seed scenario, as
// explore judges each schedule (check.Run on the whole trace):
//
//	go test ./runtime/check -run - -bench RunSeed
func BenchmarkRunSeed(b *testing.B) {
	s, err := scenario.Resolve("seed")
	if err != nil {
		b.Fatal(err)
	}
	s.Rounds = 1
	var traces []*trace.Trace
	for seed := range int64(32) {
		res, err := sim.Run(s, node.NewLibrary(s.Dir), "bench", sim.Options{Seed: seed})
		if err != nil {
			b.Fatal(err)
		}
		traces = append(traces, res.Trace)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if check.Run(traces[i%len(traces)], check.Options{}).Failed() {
			b.Fatalf("seed %d failed its checks", i%len(traces))
		}
		i++
	}
}
