package repl

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/cluster"
	"mutexlab/runtime/runview"
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

	ended   chan struct{} // closed once the run is over and its summary posted
	stalled chan struct{} // closed when the run stalls and is frozen for inspection
	stall   *trace.Stall  // set before stalled is closed

	mu      sync.Mutex
	outcome cluster.Outcome
	sum     runview.Summary
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

// liveTrace is what the REPL holds of a run's trace: the file the
// launcher writes (the --trace file, or a temporary one that lives until
// the next run or the end of the session) and a bounded index fed by the
// events as they pass: each node's last known state, who has exited, the
// summary's counts and the live mutual exclusion monitor. Views that need
// the events themselves read the file.
type liveTrace struct {
	file  *runview.TraceFile
	tally *runview.Tally
	c     *cluster.Cluster // set once the run has started

	mu      sync.Mutex
	mon     *check.Monitor
	known   *lastKnown
	exits   map[string]string // node -> exit text
	changed chan struct{}     // closed and replaced on every event
}

func newLiveTrace(file *runview.TraceFile, s *scenario.Scenario, version string) *liveTrace {
	return &liveTrace{file: file, tally: runview.NewTally(), mon: check.NewMonitor(s.Meta(nil, "tcp", version)),
		known: newLastKnown(s), exits: map[string]string{}, changed: make(chan struct{})}
}

// record takes one event; it returns the monitor's alert or "".
func (t *liveTrace) record(e trace.Event) string {
	t.tally.Observe(e)
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Ev == trace.Exit {
		t.exits[e.Node] = e.Text
	}
	t.known.observe(e)
	close(t.changed)
	t.changed = make(chan struct{})
	return t.mon.Observe(e)
}

func (t *liveTrace) exited(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.exits[id]
	return ok
}

// rows is the status table as the trace last told it.
func (t *liveTrace) rows() []statusRow {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.known.rows()
}

// waitExit waits until id's exit is in the trace, ctx ends or the timeout
// passes.
func (t *liveTrace) waitExit(ctx context.Context, id string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		_, ok := t.exits[id]
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

// open returns the trace so far, to be read: the file up to what the
// launcher has flushed, whole lines only.
func (t *liveTrace) open() (io.ReadCloser, error) {
	n, err := t.c.FlushTrace()
	if err != nil {
		return nil, fmt.Errorf("the trace %s: %v", t.file.Path, err)
	}
	f, err := os.Open(t.file.Path)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, 0, n), f}, nil
}

// index indexes the trace so far, for the views that go through all of
// it in time order without holding it (check, timeline, the size of a
// diagram); done closes it.
func (t *liveTrace) index() (ix *trace.Index, done func(), err error) {
	n, err := t.c.FlushTrace()
	if err != nil {
		return nil, nil, fmt.Errorf("the trace %s: %v", t.file.Path, err)
	}
	f, err := os.Open(t.file.Path)
	if err != nil {
		return nil, nil, err
	}
	if ix, err = trace.NewIndex(f, n); err != nil {
		f.Close()
		return nil, nil, err
	}
	return ix, func() { f.Close() }, nil
}

// read reads the trace so far into memory, for the views that need all
// of it (check, diagram, timeline): a copy for the command, not kept.
func (t *liveTrace) read() (*trace.Trace, error) {
	f, err := t.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return trace.Read(f)
}

// scan hands the events so far to fn one at a time, in bounded memory.
// The event is valid only during the call.
func (t *liveTrace) scan(fn func(*trace.Event)) error {
	f, err := t.open()
	if err != nil {
		return err
	}
	defer f.Close()
	sc, err := trace.NewScanner(f)
	if err != nil {
		return err
	}
	for sc.Scan() {
		fn(sc.Event())
	}
	return sc.Err()
}

// close closes the trace file once the run is over; the trace stays.
func (t *liveTrace) close() error { return t.file.Close() }

// discard removes the trace if it was temporary: the next run replaces it.
func (t *liveTrace) discard() { t.file.Discard() }

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
	if err := lr.tr.close(); err != nil && out.TraceErr == "" {
		out.TraceErr = err.Error()
	}
	sum := runview.Summarize(lr.c.Meta(), lr.tr.tally, out, time.Since(lr.begin))
	sum.Trace = lr.path
	lr.mu.Lock()
	lr.outcome, lr.sum = out, sum
	lr.mu.Unlock()
	var b strings.Builder
	sum.Print(&b, lr.ids)
	if out.Failed != "" {
		b.WriteString("  " + out.Err + "\n")
	}
	if out.TraceErr != "" {
		b.WriteString(fmt.Sprintf("  writing the trace %s: %s\n", lr.tr.file.Path, out.TraceErr))
	}
	if w := runview.DescribeCut(out.Cut, lr.ids); w != "" {
		b.WriteString("  warning: " + w + "\n")
	}
	r.con.notice(strings.TrimLeft(b.String(), "\n"))
	close(lr.ended)
}
