package netns

import (
	"slices"
	"testing"
	"time"
)

// The scenario's delay and jitter ([0, jitter) on top of the delay) as
// netem's (delay ± jitter, uniform).
func TestNetemArgs(t *testing.T) {
	for _, tt := range []struct {
		sh   Shaping
		want []string
	}{
		{Shaping{Delay: 5 * time.Millisecond}, []string{"delay", "5000us"}},
		{Shaping{Delay: 5 * time.Millisecond, Jitter: 2 * time.Millisecond}, []string{"delay", "6000us", "1000us", "distribution", "uniform"}},
		{Shaping{Jitter: 300 * time.Microsecond}, []string{"delay", "150us", "150us", "distribution", "uniform"}},
	} {
		if got := netemArgs(tt.sh); !slices.Equal(got, tt.want) {
			t.Errorf("netemArgs(%+v) = %v, want %v", tt.sh, got, tt.want)
		}
	}
}

// Names fit Linux's 15-byte interface names for any pid, and the sweep
// recognises exactly what this package names.
func TestNames(t *testing.T) {
	const pid = 4194304 // the largest pid_max
	for _, name := range []string{bridgeName(pid), vethHost(pid, "Z"), vethNode(pid, "Z")} {
		if len(name) > 15 {
			t.Errorf("%s: %d bytes, an interface name takes 15", name, len(name))
		}
		if !staleLink.MatchString(name) {
			t.Errorf("the sweep would not recognise %s", name)
		}
	}
	if !staleNS.MatchString(nsName(pid, "A")) {
		t.Errorf("the sweep would not recognise %s", nsName(pid, "A"))
	}
	for _, other := range []string{"mlx", "mlx12", "mlxb", "mlx12-AB", "eth0", "mlx12x", "mlx12An0"} {
		if staleLink.MatchString(other) || staleNS.MatchString(other) {
			t.Errorf("the sweep would take %s", other)
		}
	}
	if dead("1") {
		t.Error("pid 1 taken for dead")
	}
}
