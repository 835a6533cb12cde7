package cluster

import (
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/scenario"
)

func TestMemAvailable(t *testing.T) {
	got, ok := memAvailable(strings.NewReader("MemTotal:       24589556 kB\nMemFree:        20000000 kB\nMemAvailable:   23152440 kB\n"))
	if !ok || got != 23152440<<10 {
		t.Fatalf("memAvailable = %d, %v", got, ok)
	}
	for _, bad := range []string{"", "MemAvailable: lots\n", "MemAvailable: 12 MB\n", "MemTotal: 1 kB\n"} {
		if v, ok := memAvailable(strings.NewReader(bad)); ok {
			t.Errorf("memAvailable(%q) = %d, want unreadable", bad, v)
		}
	}
}

// The largest scenario fits a 24 GB machine and is refused, in one line
// naming the file, by one with 2 GB to spare; the seed fits in 200 MB.
func TestFits(t *testing.T) {
	big, err := scenario.Load("../../examples/scale/largest.lua")
	if err != nil {
		t.Fatal(err)
	}
	if err := fits(big, 20<<30); err != nil {
		t.Errorf("largest on 20 GB: %v", err)
	}
	err = fits(big, 2<<30)
	var se *scenario.Error
	if !errors.As(err, &se) {
		t.Fatalf("largest on 2 GB: %v, want a scenario error", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "largest.lua") || !strings.Contains(msg, "1690 processes") || !strings.Contains(msg, "2.0 GB available") {
		t.Errorf("largest on 2 GB: %q", msg)
	}
	seed, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := fits(seed, 200<<20); err != nil {
		t.Errorf("seed on 200 MB: %v", err)
	}
}

// The estimate of the largest scenario is what it was measured to take
// (9.7 GB of the machine's memory), give or take a tenth.
func TestEstimateLargest(t *testing.T) {
	big, err := scenario.Load("../../examples/scale/largest.lua")
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(Estimate(big)) / (1 << 30); got < 8.7 || got > 10.7 {
		t.Errorf("largest: estimated %.1f GB, measured 9.7 GB", got)
	}
}
