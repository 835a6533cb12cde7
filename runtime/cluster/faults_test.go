package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// A scenario's fault plan carried out by real node processes: each test
// runs the seed's system with a plan to its end and reads the trace.

// faultyRun runs the seed scenario, one round, changed by plan, to its
// end, and returns how it ended, its trace and its events' lines.
func faultyRun(t *testing.T, plan func(s *scenario.Scenario)) (Outcome, *trace.Trace) {
	t.Helper()
	s, err := scenario.Resolve("seed")
	if err != nil {
		t.Fatal(err)
	}
	s.Rounds, s.Speed = 1, 20
	s.CS = scenario.CS{Prints: 2, Interval: 0.5}
	plan(s)
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Start(Options{Scenario: s, Binary: bin, Trace: f, StallAfter: 500 * time.Millisecond,
		OnStderr: func(id, line string) { t.Logf("%s stderr: %s", id, line) }})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(60 * time.Second):
		st := c.Steering()
		c.mu.Lock()
		why := fmt.Sprintf("steering %+v, in flight %v, finished %d, plan ahead %v, stopping %v", st, c.inflight, c.finished, c.planAhead(), c.stopping)
		c.mu.Unlock()
		c.Stop("stopped")
		t.Fatalf("the run did not end within 60 s: %s", why)
	}
	tr := readTrace(t, path)
	data, _ := os.ReadFile(path)
	ix, err := trace.NewIndex(strings.NewReader(string(data)), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Disorder != "" || len(ix.Unmatched) > 0 {
		t.Fatalf("the trace is not in causal order: %s (unmatched %v)", ix.Disorder, ix.Unmatched)
	}
	return c.Outcome(), tr
}

// kinds lists node id's events of the given kinds, in order, as
// "kind" or "kind:detail".
func kinds(tr *trace.Trace, id string, want ...string) []string {
	var out []string
	for _, e := range tr.Events {
		if e.Node != id {
			continue
		}
		for _, k := range want {
			if e.Ev == k {
				s := e.Ev
				if e.Reason != "" {
					s += ":" + e.Reason
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// A lightweight crashed right after its first cs_enter: its crash is the
// last event of its own, the messages to it are dropped on its behalf
// (reason crashed), it is no failure of the run, and the others stall
// waiting for it.
func TestFaultCrashAfterCSEnter(t *testing.T) {
	out, tr := faultyRun(t, func(s *scenario.Scenario) {
		s.Faults = []scenario.Fault{{Kind: scenario.Crash, Node: "A1", After: "cs_enter", Count: 1}}
	})
	if out.Failed != "" {
		t.Fatalf("the run failed: %s", out.Err)
	}
	var a1 []trace.Event
	for _, e := range tr.Events {
		if e.Node == "A1" {
			a1 = append(a1, e)
		}
	}
	i := len(a1) - 1
	for i >= 0 && a1[i].Ev == trace.Drop {
		if a1[i].Reason != trace.ReasonCrashed {
			t.Fatalf("A1's drop after its crash: %+v", a1[i])
		}
		i--
	}
	if i < 1 || a1[i].Ev != trace.Crash || a1[i-1].Ev != trace.CSEnter {
		t.Fatalf("A1 did not crash right after its cs_enter: %v", kinds(tr, "A1", trace.CSEnter, trace.Crash, trace.Print, trace.Exit))
	}
	if !out.Stalled || !strings.Contains(out.WaitFor, "A1 (crashed at ") {
		t.Fatalf("outcome %+v: want a stall that names A1 crashed", out)
	}
}

// A heavyweight crashed at a time and restarted later: a fresh process
// on its address records restart then start, numbers its sends from its
// incarnation's base, and the run is no failure.
func TestFaultCrashAndRestart(t *testing.T) {
	out, tr := faultyRun(t, func(s *scenario.Scenario) {
		s.Faults = []scenario.Fault{
			{Kind: scenario.Crash, Node: "B3", At: 0.5},
			{Kind: scenario.Restart, Node: "B3", At: 2},
		}
	})
	if out.Failed != "" {
		t.Fatalf("the run failed: %s", out.Err)
	}
	got := strings.Join(kinds(tr, "B3", trace.Start, trace.Crash, trace.Restart), " ")
	if got != "start crash restart start" {
		t.Fatalf("B3's life: %s", got)
	}
	restarted := false
	sentAfter := false
	for _, e := range tr.Events {
		if e.Node == "B3" && e.Ev == trace.Restart {
			restarted = true
		}
		if restarted && e.Node == "B3" && e.Ev == trace.Send {
			sentAfter = true
			if trace.Incarnation(e.Seq) != 1 {
				t.Fatalf("restarted B3 sent seq %d, want incarnation 1's", e.Seq)
			}
		}
	}
	if !sentAfter {
		t.Fatal("the restarted B3 sent nothing")
	}
	// What B3 receives after its restart is numbered on from where the
	// channel was: nothing came before, so from 1.
	got = strings.Join(kinds(tr, "B3", trace.Restart, trace.Recv), " ")
	if !strings.HasPrefix(got, "restart recv") {
		t.Fatalf("B3 received nothing after its restart: %s", got)
	}
	for _, e := range tr.Events {
		if e.Node == "B3" && e.Ev == trace.Recv && e.From == "B" && e.Seq != 1 {
			t.Fatalf("B3's first message from B numbered %d", e.Seq)
		}
	}
}

// Loss and duplicates on every link: drops for "loss", recvs with dup,
// the trace consistent (faultyRun checks it).
func TestFaultLossAndDuplicate(t *testing.T) {
	_, tr := faultyRun(t, func(s *scenario.Scenario) {
		s.Network.Loss, s.Network.Duplicate = 0.1, 0.2
	})
	lost, dups := 0, 0
	for _, e := range tr.Events {
		switch {
		case e.Ev == trace.Drop && e.Reason == trace.ReasonLoss:
			lost++
		case e.Ev == trace.Recv && e.Dup:
			dups++
		}
	}
	if lost == 0 || dups == 0 {
		t.Fatalf("%d lost, %d duplicated", lost, dups)
	}
}

// A pause stops the process for its duration (pause, resume); a cut of
// both ways of a link records a cut and a heal on each receiver; the run
// completes.
func TestFaultPauseAndCut(t *testing.T) {
	out, tr := faultyRun(t, func(s *scenario.Scenario) {
		s.Faults = []scenario.Fault{
			{Kind: scenario.Pause, Node: "A2", At: 0.2, Duration: 1},
			{Kind: scenario.Cut, From: "B1", To: "B2", Both: true, At: 0.1, Duration: 0.5},
		}
	})
	if !out.Complete {
		t.Fatalf("outcome %+v, want complete", out)
	}
	if got := fmt.Sprint(kinds(tr, "A2", trace.Pause, trace.Resume)); got != "[pause resume]" {
		t.Fatalf("A2: %s", got)
	}
	var pause, resume int64
	for _, e := range tr.Events {
		if e.Node == "A2" && e.Ev == trace.Pause {
			pause = e.T
		}
		if e.Node == "A2" && e.Ev == trace.Resume {
			resume = e.T
		}
	}
	if d := resume - pause; d < scenario.Nanos(1, 20) {
		t.Fatalf("A2 paused for %v, want at least %v", time.Duration(d), time.Duration(scenario.Nanos(1, 20)))
	}
	for _, id := range []string{"B1", "B2"} {
		if got := fmt.Sprint(kinds(tr, id, trace.Cut, trace.Heal)); got != "[cut heal]" {
			t.Fatalf("%s: %s", id, got)
		}
	}
}

// A lightweight crashed at once: what is sent to it (its grant, its
// peers' requests) is dropped on its behalf, reason crashed, after the
// crash and in each channel's order.
func TestFaultDropsForTheCrashed(t *testing.T) {
	_, tr := faultyRun(t, func(s *scenario.Scenario) {
		s.Faults = []scenario.Fault{{Kind: scenario.Crash, Node: "A3", At: 0}}
	})
	crashed := false
	var drops []string
	last := map[string]int64{}
	for _, e := range tr.Events {
		if e.Node != "A3" {
			continue
		}
		switch {
		case e.Ev == trace.Crash:
			crashed = true
		case e.Ev == trace.Drop:
			if !crashed || e.Reason != trace.ReasonCrashed {
				t.Fatalf("A3's drop %+v (crashed %v)", e, crashed)
			}
			if e.Seq != last[e.From]+1 {
				t.Fatalf("drop of %s seq %d after %d", e.From, e.Seq, last[e.From])
			}
			last[e.From] = e.Seq
			drops = append(drops, e.From+":"+e.Type)
		case e.Ev != trace.Start:
			t.Fatalf("A3 recorded %s", e.Ev)
		}
	}
	if !strings.Contains(strings.Join(drops, " "), "A:CS_GRANT") {
		t.Fatalf("A3's drops: %v; want A's CS_GRANT among them", drops)
	}
}

// While a pause of the plan holds a node's process stopped, a command to
// it (the REPL's status, resume, ...) is answered at once with why, not
// after the control connection's timeout.
func TestFaultPausedNodeSaysWhy(t *testing.T) {
	s, err := scenario.Resolve("seed")
	if err != nil {
		t.Fatal(err)
	}
	s.Rounds, s.Speed = 1, 20
	s.Faults = []scenario.Fault{{Kind: scenario.Pause, Node: "A2", At: 0, Duration: 1200}} // 60 s at speed 20
	c, err := Start(Options{Scenario: s, Binary: bin, Trace: io.Discard, StallAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Stop("stopped")
		<-c.Done()
	}()
	stopped := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.sigstopped["A2"]
		return ok
	}
	for deadline := time.Now().Add(30 * time.Second); !stopped(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("A2 was never paused by the plan")
		}
	}
	ctx := context.Background()
	if _, err := c.Status(ctx, "A2"); err == nil || !strings.Contains(err.Error(), "A2 is paused by the scenario's fault plan") {
		t.Fatalf("Status(A2) while the plan pauses it: %v", err)
	}
	if err := c.Resume(ctx, "A2"); err == nil || !strings.Contains(err.Error(), "fault plan") {
		t.Fatalf("Resume(A2) while the plan pauses it: %v", err)
	}
	if _, err := c.Status(ctx, "A1"); err != nil {
		t.Fatalf("Status(A1), not paused: %v", err)
	}
}
