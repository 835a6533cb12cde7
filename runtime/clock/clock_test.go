package clock

import "testing"

func TestLamportClock(t *testing.T) {
	var c LamportClock
	if c.Now() != 0 {
		t.Fatalf("zero clock reads %d", c.Now())
	}
	steps := []struct {
		name string
		do   func() int64
		want int64
	}{
		{"tick", c.Tick, 1},
		{"send", c.Send, 2},
		{"recv older", func() int64 { return c.Recv(1) }, 3},
		{"recv equal", func() int64 { return c.Recv(3) }, 4},
		{"recv newer", func() int64 { return c.Recv(10) }, 11},
		{"send after jump", c.Send, 12},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: got %d, want %d", s.name, got, s.want)
		}
		if c.Now() != s.want {
			t.Fatalf("%s: Now() = %d, want %d", s.name, c.Now(), s.want)
		}
	}
}

func TestRecvAlwaysExceedsTimestamp(t *testing.T) {
	for _, start := range []int64{0, 5, 100} {
		for _, ts := range []int64{0, 4, 5, 6, 1000} {
			c := LamportClock{t: start}
			if got := c.Recv(ts); got <= ts || got <= start {
				t.Errorf("start %d, Recv(%d) = %d: must exceed both", start, ts, got)
			}
		}
	}
}
