package sim

import (
	"context"
	"runtime/debug"
	"testing"
	"time"

	"mutexlab/runtime/check"
)

// BenchmarkSeedRound measures complete one-round schedules of the seed
// scenario (8 processes, 6 critical sections of 10 lines, ~100 steps)
// on one goroutine, the machine reused from run to run as Explore does:
//
//	go test ./runtime/sim -run - -bench SeedRound -cpu 1
//
// "plain" is the simulation alone; "checked" adds the checker, which
// explore runs on every schedule; "explore" is what `mutexlab explore`
// does per schedule and per core (checked, with the garbage collector
// set to GOGC=400 as the command sets it). runs/cpu-s divides by the
// process's CPU time (user and system, the collector's included) rather
// than the wall clock, which a loaded machine stretches.
func BenchmarkSeedRound(b *testing.B) {
	for _, bc := range []struct {
		name    string
		checked bool
		gc      int
	}{
		{"plain", false, 100},
		{"checked", true, 100},
		{"explore", true, 400},
	} {
		b.Run(bc.name, func(b *testing.B) {
			defer debug.SetGCPercent(debug.SetGCPercent(bc.gc))
			s := load(b, "seed", 1)
			w, err := newWorld(s, libFor(s), "bench")
			if err != nil {
				b.Fatal(err)
			}
			m := newMachine(w, Options{})
			r := newRandom(0)
			b.ReportAllocs()
			seed := int64(0)
			cpu0 := cpuTime()
			for b.Loop() {
				seed++
				m.reset(seed)
				r.reseed(seed)
				out := m.run(r)
				if out != Complete {
					b.Fatalf("seed %d: %s", seed, out)
				}
				if bc.checked && check.Run(m.result(out, false).Trace, check.Options{}).Failed() {
					b.Fatalf("seed %d failed its checks", seed)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "runs/cpu-s")
			}
		})
	}
}

// BenchSchedules runs and judges the schedules asked for, and refuses a
// scenario whose schedules fail (its figure would not be explore's).
func TestBenchSchedules(t *testing.T) {
	s := load(t, "seed", 0)
	r, err := BenchSchedules(context.Background(), s, libFor(s), "test", 20)
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 20 || !(r.PerSecond > 0) || r.Elapsed <= 0 || r.StepsPerRun < 50 {
		t.Fatalf("%+v", r)
	}
	if s.Rounds != 0 {
		t.Fatalf("BenchSchedules changed the scenario's rounds to %d", s.Rounds)
	}
	// Bounded by time: the schedules run until the context is done.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r, err = BenchSchedules(ctx, s, libFor(s), "test", 1_000_000_000)
	if err != nil || r.Runs <= 0 || r.Runs >= 1_000_000_000 || !(r.PerSecond > 0) {
		t.Fatalf("bounded by 50 ms: %+v, %v", r, err)
	}
	bad := load(t, "exercises/eager_entry", 1)
	if _, err := BenchSchedules(context.Background(), bad, libFor(bad), "test", 50); err == nil {
		t.Fatal("a failing exercise was benchmarked")
	}
}
