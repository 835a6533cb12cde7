package perf

import (
	"fmt"
	"io"
	"os"
	"time"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Run is one launched run, as the bench reads it.
type Run struct {
	Events []trace.Event // the merged trace, payloads dropped
	// Startup is from the call to cluster.Start until every process is
	// connected to the launcher (Start returns just before the start
	// barrier lifts).
	Startup time.Duration
	// RSS is each node process's peak resident set size in bytes: the
	// kernel's high-water mark (VmHWM), sampled every rssEvery while the
	// run goes. (A child's rusage will not do: Linux counts the parent's
	// peak in it, the memory it was forked from.)
	RSS map[string]int64
}

// rssEvery is how often a run's node processes' memory is sampled.
const rssEvery = 5 * time.Millisecond

// Launch runs the scenario in file with binary's node processes until it
// completes (an error if it does not within limit, or fails).
func Launch(binary, file string, limit time.Duration) (*Run, error) {
	s, err := scenario.Load(file)
	if err != nil {
		return nil, err
	}
	r := &Run{}
	t0 := time.Now()
	c, err := cluster.Start(cluster.Options{
		Scenario: s, Binary: binary, Version: "bench", Trace: io.Discard,
		OnEvent: func(e trace.Event) {
			e.Payload = nil // valid only during the call
			r.Events = append(r.Events, e)
		},
		OnStderr: func(id, line string) { fmt.Fprintln(os.Stderr, line) },
	})
	if err != nil {
		return nil, err
	}
	r.Startup = time.Since(t0)
	r.RSS = map[string]int64{}
	pids := c.PIDs()
	sample := func() {
		for id, pid := range pids {
			if v := readKB(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:"); v > r.RSS[id] {
				r.RSS[id] = v
			}
		}
	}
	sample()
	tick := time.NewTicker(rssEvery)
	defer tick.Stop()
	timeout := time.After(limit)
wait:
	for {
		select {
		case <-c.Done():
			break wait
		case <-tick.C:
			sample()
		case <-timeout:
			c.Stop("stopped")
			return nil, fmt.Errorf("%s: not complete within %v", s.Name, limit)
		}
	}
	out := c.Outcome()
	if !out.Complete {
		why := out.Err
		if why == "" {
			why = out.WaitFor
		}
		return nil, fmt.Errorf("%s did not complete: %s", s.Name, why)
	}
	return r, nil
}

// PingRTTs returns the round trips the ring's first heavyweight (A)
// measured on its own clock: from each PING it sent to the PONG that
// answered it, the first skip left out (warm-up).
func PingRTTs(evs []trace.Event, pinger string, skip int) []time.Duration {
	var out []time.Duration
	var sentAt int64 = -1
	k := 0
	for _, e := range evs {
		if e.Node != pinger {
			continue
		}
		switch {
		case e.Ev == trace.Send && e.Type == "PING":
			sentAt = e.T
		case e.Ev == trace.Recv && e.Type == "PONG" && sentAt >= 0:
			if k >= skip {
				out = append(out, time.Duration(e.T-sentAt))
			}
			k++
			sentAt = -1
		}
	}
	return out
}

// CriticalPath returns the number of messages on the longest
// happened-before chain of messages in evs (a trace in causal order: a
// receive after its send), and the span from the first send to the last
// receive.
func CriticalPath(evs []trace.Event) (hops int, span time.Duration) {
	type key struct {
		from, to string
		seq      int64
	}
	depth := map[string]int{} // per node: the longest chain that reached it
	sent := map[key]int{}
	first, last := int64(-1), int64(-1)
	for _, e := range evs {
		switch e.Ev {
		case trace.Send:
			sent[key{e.Node, e.To, e.Seq}] = depth[e.Node]
			if first < 0 || e.T < first {
				first = e.T
			}
		case trace.Recv:
			if d, ok := sent[key{e.From, e.Node, e.Seq}]; ok && d+1 > depth[e.Node] {
				depth[e.Node] = d + 1
			}
			last = max(last, e.T)
		}
	}
	for _, d := range depth {
		hops = max(hops, d)
	}
	if first >= 0 && last >= first {
		span = time.Duration(last - first)
	}
	return hops, span
}

// Saturation is what a saturated run shows: critical sections entered,
// messages sent, and the span from the first send to the last exit.
type Saturation struct {
	Entries  int
	Messages int
	Span     time.Duration
}

// Saturate reads a run whose lightweights enter as often as they can.
func Saturate(evs []trace.Event) Saturation {
	var s Saturation
	first, last := int64(-1), int64(-1)
	for _, e := range evs {
		switch e.Ev {
		case trace.Send:
			s.Messages++
			if first < 0 || e.T < first {
				first = e.T
			}
		case trace.CSEnter:
			s.Entries++
		case trace.CSExit:
			last = max(last, e.T)
		}
	}
	if first >= 0 && last > first {
		s.Span = time.Duration(last - first)
	}
	return s
}

// MaxRSS is the largest value of m.
func MaxRSS(m map[string]int64) int64 {
	var x int64
	for _, v := range m {
		x = max(x, v)
	}
	return x
}
