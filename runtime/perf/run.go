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
	// Startup is from the call to cluster.Start until every process is
	// connected to the launcher (Start returns just before the start
	// barrier lifts).
	Startup time.Duration
	// RSS is each node process's peak resident set size in bytes: the
	// kernel's high-water mark (VmHWM), sampled every rssEvery while the
	// run goes. (A child's rusage will not do: Linux counts the parent's
	// peak in it, the memory it was forked from.)
	RSS map[string]int64
	// Private is the greatest of each node's sampled private memory
	// (RssAnon): what the node costs beyond the binary's pages, which
	// every node process shares.
	Private map[string]int64
}

// rssEvery is how often a run's node processes' memory is sampled.
const rssEvery = 5 * time.Millisecond

// Observer reads a run's merged trace as it is written, event by event
// (the event's Payload is valid only during the call). The bench keeps no
// copy of the trace, as a real launcher keeps none: its own work stays
// that of `mutexlab run`.
type Observer interface{ Observe(e *trace.Event) }

// Launch runs the scenario in file with binary's node processes until it
// completes (an error if it does not within limit, or fails), showing
// every event to each observer.
func Launch(binary, file string, limit time.Duration, obs ...Observer) (*Run, error) {
	s, err := scenario.Load(file)
	if err != nil {
		return nil, err
	}
	r := &Run{}
	t0 := time.Now()
	c, err := cluster.Start(cluster.Options{
		Scenario: s, Binary: binary, Version: "bench", Trace: io.Discard,
		OnEvent: func(e trace.Event) {
			for _, o := range obs {
				o.Observe(&e)
			}
		},
		OnStderr: func(id, line string) { fmt.Fprintln(os.Stderr, line) },
	})
	if err != nil {
		return nil, err
	}
	r.Startup = time.Since(t0)
	r.RSS, r.Private = map[string]int64{}, map[string]int64{}
	pids := c.PIDs()
	sample := func() {
		for id, pid := range pids {
			v := readFields(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:", "RssAnon:")
			r.RSS[id] = max(r.RSS[id], v[0])
			r.Private[id] = max(r.Private[id], v[1])
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

// Pings collects the round trips the pinger measured on its own clock:
// from each PING it sent to the PONG that answered it, the first Skip
// left out (warm-up).
type Pings struct {
	Pinger string
	Skip   int
	RTTs   []time.Duration
	sentAt int64
	out    bool // a PING is out
	k      int
}

// Observe implements Observer.
func (p *Pings) Observe(e *trace.Event) {
	if e.Node != p.Pinger {
		return
	}
	switch {
	case e.Ev == trace.Send && e.Type == "PING":
		p.sentAt, p.out = e.T, true
	case e.Ev == trace.Recv && e.Type == "PONG" && p.out:
		if p.k >= p.Skip {
			p.RTTs = append(p.RTTs, time.Duration(e.T-p.sentAt))
		}
		p.k++
		p.out = false
	}
}

// PingRTTs is Pings over a whole trace.
func PingRTTs(evs []trace.Event, pinger string, skip int) []time.Duration {
	p := &Pings{Pinger: pinger, Skip: skip}
	for i := range evs {
		p.Observe(&evs[i])
	}
	return p.RTTs
}

// Path follows the longest happened-before chain of messages through a
// trace in causal order (a receive after its send).
type Path struct {
	depth       map[string]int // per node: the longest chain that reached it
	sent        map[msgKey]int // messages in flight: the chain they carry
	first, last int64
	started     bool
}

type msgKey struct {
	from, to string
	seq      int64
}

// Observe implements Observer.
func (p *Path) Observe(e *trace.Event) {
	if p.depth == nil {
		p.depth, p.sent = map[string]int{}, map[msgKey]int{}
	}
	switch e.Ev {
	case trace.Send:
		p.sent[msgKey{e.Node, e.To, e.Seq}] = p.depth[e.Node]
		if !p.started || e.T < p.first {
			p.first, p.started = e.T, true
		}
	case trace.Recv:
		k := msgKey{e.From, e.Node, e.Seq}
		if d, ok := p.sent[k]; ok {
			delete(p.sent, k)
			if d+1 > p.depth[e.Node] {
				p.depth[e.Node] = d + 1
			}
		}
		p.last = max(p.last, e.T)
	}
}

// Result returns the number of messages on the longest chain and the
// span from the first send to the last receive.
func (p *Path) Result() (hops int, span time.Duration) {
	for _, d := range p.depth {
		hops = max(hops, d)
	}
	if p.started && p.last >= p.first {
		span = time.Duration(p.last - p.first)
	}
	return hops, span
}

// CriticalPath is Path over a whole trace.
func CriticalPath(evs []trace.Event) (hops int, span time.Duration) {
	var p Path
	for i := range evs {
		p.Observe(&evs[i])
	}
	return p.Result()
}

// Saturation is what a saturated run shows: critical sections entered,
// messages sent, and the span from the first send to the last exit.
type Saturation struct {
	Entries     int
	Messages    int
	Span        time.Duration
	first, last int64
	started     bool
}

// Observe implements Observer.
func (s *Saturation) Observe(e *trace.Event) {
	switch e.Ev {
	case trace.Send:
		s.Messages++
		if !s.started || e.T < s.first {
			s.first, s.started = e.T, true
		}
	case trace.CSEnter:
		s.Entries++
	case trace.CSExit:
		s.last = max(s.last, e.T)
	}
	if s.started && s.last > s.first {
		s.Span = time.Duration(s.last - s.first)
	}
}

// Saturate is Saturation over a whole trace.
func Saturate(evs []trace.Event) Saturation {
	var s Saturation
	for i := range evs {
		s.Observe(&evs[i])
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
