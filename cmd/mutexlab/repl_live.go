package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/cluster"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// liveRun is one launch of the system from the REPL: the processes, the
// trace they produce, and how the user is steering them. It outlives its
// processes, so that status, trace, check and diagram still work once the
// run is over.
type liveRun struct {
	c     *cluster.Cluster
	scen  *scenario.Scenario
	ids   []string
	tr    *liveTrace
	begin time.Time
	path  string // --trace FILE, or ""

	ended chan struct{} // closed once the run is over and its summary posted

	mu      sync.Mutex
	outcome cluster.Outcome
	sum     summary
}

// running reports whether the processes are still up.
func (lr *liveRun) running() bool {
	select {
	case <-lr.ended:
		return false
	default:
		return true
	}
}

// describeSteering is one line per kind of steering in force, as the
// cluster records it.
func (lr *liveRun) describeSteering() []string {
	st := lr.c.Steering()
	all := len(lr.ids) * (len(lr.ids) - 1)
	// Most links are named by the few that are not: "all links but A1->A2".
	links := func(ls []cluster.Link) string {
		set := map[cluster.Link]bool{}
		for _, l := range ls {
			set[l] = true
		}
		most := len(set) > all/2
		var out []string
		for _, l := range lr.c.Links() {
			if set[l] != most {
				out = append(out, l.String())
			}
		}
		switch {
		case !most:
			return strings.Join(out, " ")
		case len(out) == 0:
			return "all links"
		}
		return "all links but " + strings.Join(out, " ")
	}
	var lines []string
	if len(st.Held) > 0 {
		lines = append(lines, "held:   "+links(st.Held))
	}
	if len(st.Cut) > 0 {
		lines = append(lines, "cut:    "+links(st.Cut))
	}
	if len(st.Delays) > 0 {
		// One line per delay, in the order first met.
		by := map[float64][]cluster.Link{}
		var order []float64
		for _, d := range st.Delays {
			if _, ok := by[d.Seconds]; !ok {
				order = append(order, d.Seconds)
			}
			by[d.Seconds] = append(by[d.Seconds], d.Link)
		}
		for _, secs := range order {
			lines = append(lines, fmt.Sprintf("delay:  %s by %gs", links(by[secs]), secs))
		}
	}
	if len(st.Paused) > 0 {
		lines = append(lines, "paused: "+strings.Join(st.Paused, " "))
	}
	if len(st.Killed) > 0 {
		lines = append(lines, "killed: "+strings.Join(st.Killed, " "))
	}
	return lines
}

// live returns the nodes of ids whose process has not exited.
func (lr *liveRun) live(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !lr.tr.exited(id) {
			out = append(out, id)
		}
	}
	return out
}

// liveTrace keeps a run's events in memory (and, with --trace, on disk
// through the batch run's recorder) and watches them with the checker's
// live monitor. Events may arrive before the run's header is known; they
// wait in early until start.
type liveTrace struct {
	mu      sync.Mutex
	rec     *recorder
	mon     *check.Monitor
	ready   bool
	early   []trace.Event
	exits   map[string]string // node -> exit text
	changed chan struct{}     // closed and replaced on every event
}

func newLiveTrace(rec *recorder) *liveTrace {
	return &liveTrace{rec: rec, exits: map[string]string{}, changed: make(chan struct{})}
}

// start sets the header and records what came before it. It returns the
// monitor's alerts, if any.
func (t *liveTrace) start(meta trace.Meta) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rec.start(meta)
	t.mon = check.NewMonitor(meta)
	t.ready = true
	var alerts []string
	for _, e := range t.early {
		if a := t.add(e); a != "" {
			alerts = append(alerts, a)
		}
	}
	t.early = nil
	return alerts
}

// record takes one event; it returns the monitor's alert or "".
func (t *liveTrace) record(e trace.Event) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Ev == trace.Exit {
		t.exits[e.Node] = e.Text
	}
	defer t.wake()
	if !t.ready {
		t.early = append(t.early, e)
		return ""
	}
	return t.add(e)
}

func (t *liveTrace) add(e trace.Event) string {
	t.rec.Record(e)
	return t.mon.Observe(e)
}

func (t *liveTrace) wake() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *liveTrace) exited(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.exits[id]
	return ok
}

// snapshot returns the trace so far; the events are a copy.
func (t *liveTrace) snapshot() *trace.Trace {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.rec.trace()
	tr.Events = append(slices.Clone(tr.Events), t.early...)
	return tr
}

// wait blocks until cond holds for the events so far, ctx ends or the
// timeout passes. cond runs under the trace's lock: keep it short.
func (t *liveTrace) wait(ctx context.Context, timeout time.Duration, cond func([]trace.Event) bool) bool {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		ok := cond(t.rec.events)
		ch := t.changed
		t.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-deadline:
			return false
		}
	}
}

// close closes the trace file, if any.
func (t *liveTrace) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rec.close()
}

// normalExit are the exit texts of a node stopped by the launcher; any
// other exit is news.
var normalExit = map[string]bool{"stopped": true, "interrupted": true, "stalled": true, "error": true}

// onEvent is the cluster's OnEvent for lr: it records the event and turns
// what the user must hear about into notices.
func (r *repl) onEvent(lr *liveRun, e trace.Event) {
	if alert := lr.tr.record(e); alert != "" {
		r.con.notice(r.con.style(alert, color.FgRed, color.Bold))
	}
	switch e.Ev {
	case trace.Log:
		r.con.nodeLine(e.Node, e.Node+": "+e.Text)
	case trace.Error:
		r.con.notice(r.con.style(e.Node+": "+e.Text, color.FgRed))
	case trace.Exit:
		if !normalExit[e.Text] {
			r.con.notice(r.con.style(e.Node+" exited: "+e.Text, color.FgRed))
		}
	}
}

// watch waits for the end of lr's run, then posts its summary.
func (r *repl) watch(lr *liveRun) {
	<-lr.c.Done()
	out := lr.c.Outcome()
	if err := lr.tr.close(); err != nil {
		r.con.notice(fmt.Sprintf("writing %s: %v", lr.path, err))
	}
	sum := summarize(lr.tr.snapshot(), out, time.Since(lr.begin))
	sum.Trace = lr.path
	lr.mu.Lock()
	lr.outcome, lr.sum = out, sum
	lr.mu.Unlock()
	var b strings.Builder
	sum.print(&b, lr.ids)
	if out.Failed != "" {
		b.WriteString("  " + out.Err + "\n")
	}
	r.con.notice(strings.TrimLeft(b.String(), "\n"))
	close(lr.ended)
}
