package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// faulty is the seed's system (two groups of three) with a fault plan and
// a network written in Lua, as a scenario file has them.
func faulty(t testing.TB, faults, network string) *scenario.Scenario {
	t.Helper()
	src := fmt.Sprintf(`return {
  name = "faulty",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  faults = { %s },
  network = { delay = 0.01, %s },
}`, faults, network)
	s, err := scenario.Parse("faulty.lua", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// causal fails unless the trace is in causal order as the index
// judges it.
func causal(t testing.TB, tr *trace.Trace) {
	t.Helper()
	data := traceBytes(t, tr)
	ix, err := trace.NewIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Disorder != "" || len(ix.Unmatched) > 0 {
		t.Fatalf("trace not in causal order: %s (%d unmatched)", ix.Disorder, len(ix.Unmatched))
	}
}

// of returns node id's events.
func of(tr *trace.Trace, id string) []trace.Event {
	var out []trace.Event
	for _, e := range tr.Events {
		if e.Node == id {
			out = append(out, e)
		}
	}
	return out
}

func kinds(evs []trace.Event) string {
	var b []string
	for _, e := range evs {
		b = append(b, e.Ev)
	}
	return strings.Join(b, " ")
}

// A crash at a time stops the node for good: after its crash event only
// drops (reason crashed) name it, its peers go on, the same seed writes
// the same trace, and the trace is in causal order.
func TestSimCrashAtTime(t *testing.T) {
	s := faulty(t, `{ crash = "B3", at = 0.05 }`, "")
	a := runSeed(t, s, 1, Options{})
	b := runSeed(t, s, 1, Options{})
	if !bytes.Equal(traceBytes(t, a.Trace), traceBytes(t, b.Trace)) {
		t.Fatal("two runs of one seed wrote different traces")
	}
	causal(t, a.Trace)
	evs := of(a.Trace, "B3")
	k := -1
	for i, e := range evs {
		if e.Ev == trace.Crash {
			k = i
			if e.T != scenario.Nanos(0.05, 1) {
				t.Errorf("crash at t %d, want %d", e.T, scenario.Nanos(0.05, 1))
			}
		}
	}
	if k < 0 {
		t.Fatalf("no crash: %s", kinds(evs))
	}
	for _, e := range evs[k+1:] {
		if e.Ev != trace.Drop || e.Reason != trace.ReasonCrashed {
			t.Fatalf("after its crash B3 %s: %s", e.Ev, kinds(evs[k:]))
		}
	}
	if len(evs[k+1:]) == 0 {
		t.Error("nothing sent to B3 after its crash was dropped")
	}
	// B waits for B3 with the token: the ring stops, and the run stalls.
	if a.Outcome != Stalled {
		t.Errorf("%s, want stalled", a.Outcome)
	}
}

// A crash after an event comes right after it: nothing of the node
// between the two, whatever the rest of its step would have done.
func TestSimCrashAfterEvent(t *testing.T) {
	for _, after := range []string{"cs_enter", "send", "recv", "cs_exit"} {
		t.Run(after, func(t *testing.T) {
			s := faulty(t, fmt.Sprintf(`{ crash = "A2", after = %q, count = 2 }`, after), "")
			r := runSeed(t, s, 2, Options{})
			causal(t, r.Trace)
			evs := of(r.Trace, "A2")
			seen := 0
			for i, e := range evs {
				if e.Ev == after {
					seen++
				}
				if e.Ev == trace.Crash {
					if seen != 2 || evs[i-1].Ev != after || e.LC != evs[i-1].LC {
						t.Fatalf("crash after %d %s, the event before it %s lc %d (crash lc %d)", seen, after, evs[i-1].Ev, evs[i-1].LC, e.LC)
					}
					return
				}
			}
			t.Fatalf("no crash: %s", kinds(evs))
		})
	}
}

// A restarted node starts fresh: a restart then a start, its clock from 0,
// its sends numbered from its new incarnation's base. (A, the token's
// first holder, grants its lightweights the critical section as it
// starts: the restarted A does it again.)
func TestSimRestart(t *testing.T) {
	s := faulty(t, `{ crash = "A", after = "send" }, { restart = "A", at = 0.005 }`, "")
	r := runSeed(t, s, 1, Options{})
	causal(t, r.Trace)
	evs := of(r.Trace, "A")
	k := -1
	for i, e := range evs {
		if e.Ev == trace.Restart {
			k = i
			break
		}
	}
	if k < 2 || evs[k-1].Ev != trace.Crash || evs[k-2].Ev != trace.Send || evs[k+1].Ev != trace.Start || evs[k].LC != 0 {
		t.Fatalf("no send, crash, restart, start: %s", kinds(evs))
	}
	if evs[k].T != scenario.Nanos(0.005, 1) {
		t.Errorf("restart at %d", evs[k].T)
	}
	sends := 0
	for _, e := range evs[k:] {
		if e.Ev == trace.Send {
			sends++
			if trace.Incarnation(e.Seq) != 1 {
				t.Fatalf("restarted A sends seq %d", e.Seq)
			}
		}
	}
	if sends == 0 {
		t.Errorf("the restarted A sent nothing: %s", kinds(evs[k:]))
	}
}

// A paused node does nothing between its pause and its resume; messages
// to it wait and are delivered after, in order.
func TestSimPause(t *testing.T) {
	s := faulty(t, `{ pause = "B", at = 0.01, duration = 0.5 }`, "")
	r := runSeed(t, s, 1, Options{})
	causal(t, r.Trace)
	evs := of(r.Trace, "B")
	var p, q int64 = -1, -1
	for _, e := range evs {
		switch {
		case e.Ev == trace.Pause:
			p = e.T
		case e.Ev == trace.Resume:
			q = e.T
		case p >= 0 && q < 0:
			t.Fatalf("B %s while paused", e.Ev)
		}
	}
	if p != scenario.Nanos(0.01, 1) || q != p+scenario.Nanos(0.5, 1) {
		t.Fatalf("pause at %d, resume at %d", p, q)
	}
	if r.Outcome != Complete {
		t.Fatalf("%s: %s", r.Outcome, r.Detail())
	}
}

// A cut drops what is sent over it (reason cut) until it heals; a
// partition cuts every link between its sides, both ways.
func TestSimCutAndPartition(t *testing.T) {
	s := faulty(t, `{ cut = "A1<->A2", at = 0, duration = 0.3 }, { partition = { {"A"}, {"B"} }, at = 0.1, duration = 0.2 }`, "")
	r := runSeed(t, s, 1, Options{})
	causal(t, r.Trace)
	cuts, heals, drops := 0, 0, 0
	for _, e := range r.Trace.Events {
		switch e.Ev {
		case trace.Cut:
			cuts++
			if e.Node != e.To {
				t.Fatalf("cut %s->%s recorded on %s", e.From, e.To, e.Node)
			}
		case trace.Heal:
			heals++
		case trace.Drop:
			if e.Reason != trace.ReasonCut {
				t.Fatalf("drop for %q", e.Reason)
			}
			drops++
		}
	}
	if cuts != 2+2*16 || heals != cuts {
		t.Errorf("%d cuts, %d heals; want %d of each", cuts, heals, 2+2*16)
	}
	if drops == 0 {
		t.Error("nothing was dropped on the cut links")
	}
}

// Loss and duplicate: lost messages are drops (reason loss), copies are
// dup recvs right behind their message; the trace stays in causal order.
func TestSimLossAndDuplicate(t *testing.T) {
	s := faulty(t, "", "loss = 0.2, duplicate = 0.3")
	lost, dups := 0, 0
	for seed := int64(1); seed <= 5; seed++ {
		r := runSeed(t, s, seed, Options{})
		causal(t, r.Trace)
		last := map[[2]string]int64{}
		for _, e := range r.Trace.Events {
			k := [2]string{e.From, e.Node}
			switch {
			case e.Ev == trace.Drop:
				if e.Reason != trace.ReasonLoss {
					t.Fatalf("drop for %q", e.Reason)
				}
				lost++
				last[k] = -1
			case e.Ev == trace.Recv && e.Dup:
				if last[k] != e.Seq {
					t.Fatalf("dup recv of %s->%s seq %d after seq %d", e.From, e.Node, e.Seq, last[k])
				}
				dups++
			case e.Ev == trace.Recv:
				last[k] = e.Seq
			}
		}
	}
	if lost == 0 || dups == 0 {
		t.Errorf("%d lost, %d duplicated over 5 seeds", lost, dups)
	}
}

// The replay of a simulated run with faults repeats it: the same events
// of every node, faults included.
func TestReplayFaults(t *testing.T) {
	for _, tc := range []struct{ faults, network string }{
		{`{ crash = "B3", at = 0.05 }`, ""},
		{`{ crash = "A2", after = "cs_enter" }, { restart = "A2", at = 0.8 }`, ""},
		{`{ pause = "B", at = 0.01, duration = 0.5 }, { cut = "A1<->A2", at = 0, duration = 0.3 }`, ""},
		{`{ partition = { {"A"}, {"B"} }, at = 0.1, duration = 0.2 }`, "loss = 0.1, duplicate = 0.2"},
	} {
		t.Run(tc.faults+tc.network, func(t *testing.T) {
			s := faulty(t, tc.faults, tc.network)
			orig := runSeed(t, s, 4, Options{})
			res, err := Replay(orig.Trace, ReplayOptions{Lib: libFor(s), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Divergence != nil {
				t.Fatalf("diverged: %s", res.Divergence)
			}
			for _, id := range s.NodeIDs() {
				a, b := of(orig.Trace, id), of(res.Trace, id)
				if len(a) != len(b) {
					t.Fatalf("%s: %d events, replay %d\n%s\n%s", id, len(a), len(b), kinds(a), kinds(b))
				}
				for i := range a {
					if !sameEvent(&a[i], &b[i]) || a[i].Reason != b[i].Reason || a[i].Dup != b[i].Dup {
						t.Fatalf("%s's event %d: %s, replay %s", id, i+1, describe(&a[i]), describe(&b[i]))
					}
				}
			}
			causal(t, res.Trace)
		})
	}
}

// A debug session over a plan with faults follows the seed's schedule,
// and going back and forward again gives the same events.
func TestSessionFaults(t *testing.T) {
	s := faulty(t, `{ crash = "A2", after = "cs_enter" }, { restart = "A2", at = 0.8 }, { pause = "B", at = 0.01, duration = 0.5 }`, "loss = 0.1, duplicate = 0.2")
	want := runSeed(t, s, 3, Options{})
	ss := session(t, s, 3)
	if _, err := ss.Forward(1 << 20); err != nil {
		t.Fatal(err)
	}
	run, err := ss.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(traceBytes(t, run.Trace), traceBytes(t, want.Trace)) {
		t.Fatalf("Finish's trace is not explore's: %s", firstDiff(traceBytes(t, run.Trace), traceBytes(t, want.Trace)))
	}
	end := traceBytes(t, ss.Trace())
	for _, k := range []int{0, 5, 40} {
		if err := ss.Goto(k); err != nil {
			t.Fatal(err)
		}
		if _, err := ss.Forward(1 << 20); err != nil {
			t.Fatal(err)
		}
		if got := traceBytes(t, ss.Trace()); !bytes.Equal(got, end) {
			t.Fatalf("back to %d and forward: %s", k, firstDiff(got, end))
		}
	}
	if st, err := ss.Status("A2"); err != nil || st.State == "crashed" {
		t.Errorf("A2 at the end: %+v, %v (restarted)", st, err)
	}
}

// The faults explore chooses are a function of the seed: the same seed
// chooses the same, a loss point drops the Nth message of its link, and
// a schedule run again with its seed repeats its faults.
func TestChosenFaults(t *testing.T) {
	s := load(t, "seed", 2)
	a := ChooseFaults(s, 7, 3, nil, nil)
	b := ChooseFaults(s, 7, 3, nil, nil)
	if len(a) == 0 || len(a) > 3 || PointsText(a) != PointsText(b) {
		t.Fatalf("seed 7: %s, then %s", PointsText(a), PointsText(b))
	}
	kinds := map[string]bool{}
	for seed := int64(0); seed < 200; seed++ {
		for _, p := range ChooseFaults(s, seed, 2, []string{PointLoss}, []string{"A1", "A2", "A3"}) {
			kinds[p.Kind] = true
			if p.Kind != PointLoss || p.Nth < 1 || p.From[0] != 'A' || p.To[0] != 'A' || len(p.From) != 2 || len(p.To) != 2 {
				t.Fatalf("seed %d chose %s", seed, p)
			}
		}
	}
	if len(kinds) != 1 {
		t.Fatalf("kinds %v", kinds)
	}
	// A fixed loss point: the 1st message A->A1 (A's first CS_GRANT).
	r := runSeed(t, s, 1, Options{Points: []FaultPoint{{Kind: PointLoss, From: "A", To: "A1", Nth: 1}}})
	var first *trace.Event
	for i, e := range r.Trace.Events {
		if e.Node == "A1" && (e.Ev == trace.Recv || e.Ev == trace.Drop) && e.From == "A" {
			first = &r.Trace.Events[i]
			break
		}
	}
	if first == nil || first.Ev != trace.Drop || first.Reason != trace.ReasonLoss || first.Seq != 1 {
		t.Fatalf("A1's first message from A: %+v", first)
	}
	// Chosen per schedule: Run with the seed repeats what Explore ran.
	res, err := Explore(t.Context(), ExploreOptions{Scenario: s, Lib: libFor(s), Version: "test", Runs: 30, Seed: 1, Faults: 2, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Failure
	if f == nil || len(f.Faults) == 0 {
		t.Fatalf("30 schedules with up to 2 faults each found nothing: %+v", res)
	}
	again := runSeed(t, s, f.Seed, Options{Faults: 2})
	if !bytes.Equal(traceBytes(t, again.Trace), traceBytes(t, f.Trace)) {
		t.Fatal("the failing schedule's seed does not repeat it")
	}
}

// A machine reused from schedule to schedule (its node VMs renewed) runs
// a plan with crashes and restarts as a fresh one does: a crashed node's
// VM and a restarted node's are not renewed.
func TestReusedMachineFaults(t *testing.T) {
	s := faulty(t, `{ crash = "A", after = "send" }, { restart = "A", at = 0.005 }, { crash = "B2", after = "cs_enter" }`, "duplicate = 0.1")
	w, err := newWorld(s, libFor(s), "test")
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(w, Options{})
	for seed := int64(1); seed <= 4; seed++ {
		m.reset(seed)
		out := m.run(newRandom(seed))
		got := traceBytes(t, m.result(out, true).Trace)
		want := traceBytes(t, runSeed(t, s, seed, Options{}).Trace)
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: the reused machine's trace differs: %s", seed, firstDiff(got, want))
		}
	}
	if m.renewed == 0 {
		t.Error("no node was renewed: the test tests nothing")
	}
}
