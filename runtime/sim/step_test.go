package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/scenario"
)

func session(t testing.TB, s *scenario.Scenario, seed int64) *Session {
	t.Helper()
	ss, err := NewSession(SessionOptions{Scenario: s, Lib: libFor(s), Version: "test", Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Close)
	return ss
}

// snapshot is everything inspect can see of every node at the current
// step, and the events so far.
func snapshot(t *testing.T, ss *Session) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "step %d t %d events %d\n", ss.Pos(), ss.Now(), len(ss.Events()))
	for _, id := range ss.Nodes() {
		st, err := ss.State(id)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ss.Eval(id, "replies")
		if err != nil {
			t.Fatal(err)
		}
		status, _ := ss.Status(id)
		wait := status.Wait
		status.Wait = nil
		fmt.Fprintf(&b, "%s %s replies=%s %+v %+v\n", id, st, v, status, wait)
	}
	tr := ss.Trace()
	b.Write(traceBytes(t, tr))
	return b.String()
}

// The session's branch, left to the scheduler, is the schedule explore
// runs for the seed: the same trace, byte for byte.
func TestSessionFollowsTheSeed(t *testing.T) {
	for _, name := range []string{"seed", "exercises/eager_entry", "testdata/jitter.lua"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name, 1)
			want := runSeed(t, s, 3, Options{})
			ss := session(t, s, 3)
			steps, err := ss.Forward(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			out, ended := ss.AtEnd()
			if !ended || out != want.Outcome || len(steps) != want.Steps {
				t.Fatalf("ended %v %s after %d steps; explore: %s after %d", ended, out, len(steps), want.Outcome, want.Steps)
			}
			run, err := ss.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(traceBytes(t, run.Trace), traceBytes(t, want.Trace)) {
				t.Fatal("Finish's trace is not explore's")
			}
			// The live events are the run's, without the exits.
			live := ss.Trace()
			if n := len(live.Events); n != len(want.Trace.Events)-len(s.NodeIDs()) {
				t.Fatalf("%d live events, explore %d", n, len(want.Trace.Events))
			}
		})
	}
}

// Stepping forward then back returns exactly the same state: what
// inspect shows of every node, the clocks, the events.
func TestSessionForwardBackSameState(t *testing.T) {
	s := load(t, "exercises/eager_entry", 0)
	ss := session(t, s, 1)
	for _, k := range []int{0, 1, 7, 40, 41, 120} {
		if err := ss.Goto(k); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, ss)
		for _, n := range []int{1, 5, 33} {
			steps, err := ss.Forward(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := ss.Back(len(steps)); err != nil {
				t.Fatal(err)
			}
			if ss.Pos() != k {
				t.Fatalf("at %d after %d forward and back, want %d", ss.Pos(), n, k)
			}
			if after := snapshot(t, ss); after != before {
				t.Fatalf("step %d, %d forward and back: the state differs\nbefore:\n%s\nafter:\n%s", k, n, before, after)
			}
		}
	}
}

// An inspect expression that changes a node does not change the branch.
func TestSessionEvalDoesNotLeak(t *testing.T) {
	s := load(t, "exercises/eager_entry", 1)
	ss := session(t, s, 2)
	if err := ss.Goto(30); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ss)
	if _, err := ss.Eval("A1", "(function() replies = 99; deferred = {'X'} end)()"); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, ss); after != before {
		t.Fatalf("an inspect changed the state:\n%s\n%s", before, after)
	}
}

// A branch taken with Choose, saved and replayed, reproduces itself byte
// for byte, whether the step chosen was due or later (time passes to it);
// going back before the choice and forward again takes the same steps.
func TestSessionBranchReplays(t *testing.T) {
	s := load(t, "exercises/eager_entry", 1)
	ss := session(t, s, 1)
	tried := 0
	for _, at := range []int{3, 20, 47} {
		if err := ss.Goto(at); err != nil {
			t.Fatal(err)
		}
		en, err := ss.Enabled()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range en {
			t.Run(fmt.Sprintf("step %d %s", at, c.Name), func(t *testing.T) {
				tried++
				if err := ss.Goto(at); err != nil {
					t.Fatal(err)
				}
				st, err := ss.Choose(c.Name)
				if err != nil {
					t.Fatal(err)
				}
				if st.Name != c.Name || !st.Chosen || st.Index != at+1 {
					t.Fatalf("chose %+v, want %s at step %d", st, c.Name, at+1)
				}
				// Earlier choices (before at) stay on the branch.
				if b := ss.Branch(); len(b) == 0 || b[len(b)-1].Step != at+1 || b[len(b)-1].Name != c.Name {
					t.Fatalf("branch %+v", b)
				}
				if _, err := ss.Forward(10); err != nil {
					t.Fatal(err)
				}
				run, err := ss.Finish()
				if err != nil {
					t.Fatal(err)
				}
				saved := traceBytes(t, run.Trace)
				res, err := Replay(run.Trace, ReplayOptions{Lib: libFor(s), Version: "test"})
				if err != nil {
					t.Fatal(err)
				}
				if res.Divergence != nil {
					t.Fatalf("the replay diverges: %s", res.Divergence)
				}
				if got := traceBytes(t, res.Trace); !bytes.Equal(got, saved) {
					t.Fatalf("the replay differs from the saved branch:\n%s", firstDiff(saved, got))
				}
				if err := ss.Goto(0); err != nil {
					t.Fatal(err)
				}
				if err := ss.Goto(run.Steps); err != nil {
					t.Fatal(err)
				}
				if again, _ := ss.Finish(); !bytes.Equal(traceBytes(t, again.Trace), saved) {
					t.Fatal("the branch ran differently the second time")
				}
				// A session opened on the saved trace steps through it.
				rs, _, err := ReplaySession(run.Trace, ReplayOptions{Lib: libFor(s), Version: "test"})
				if err != nil {
					t.Fatal(err)
				}
				defer rs.Close()
				if err := rs.Goto(1 << 20); err != nil {
					t.Fatal(err)
				}
				fin, _ := rs.Finish()
				if got := traceBytes(t, fin.Trace); !bytes.Equal(got, saved) {
					t.Fatalf("the replay session differs from the saved branch:\n%s", firstDiff(saved, got))
				}
			})
		}
	}
	if tried < 6 {
		t.Fatalf("only %d choices tried", tried)
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, %d lines", len(al), len(bl))
}

// The violation's step: the event the checker cites was recorded by a
// step the session can go to.
func TestSessionStepOf(t *testing.T) {
	s := load(t, "exercises/eager_entry", 1)
	ss := session(t, s, 1)
	run, err := ss.Finish()
	if err != nil {
		t.Fatal(err)
	}
	rep := check.Run(run.Trace, check.Options{})
	if !rep.Failed() {
		t.Fatal("eager_entry seed 1 passes")
	}
	for i, e := range run.Trace.Events {
		k := run.StepOf(i)
		if err := ss.Goto(k); err != nil {
			t.Fatal(err)
		}
		evs := ss.Events()
		if len(evs) <= i || evs[i].Line != e.Line || (k > 0 && len(evs) > 0 && run.First[k-1] > i) {
			t.Fatalf("event %d (line %d): step %d has %d events", i, e.Line, k, len(evs))
		}
		if k > 0 {
			ss.Back(1)
			if len(ss.Events()) > i {
				t.Fatalf("event %d is recorded before its step %d", i, k)
			}
		}
		if i > 60 {
			break
		}
	}
}

// The state recorded on each event is what State shows after the step.
func TestSessionRecordsState(t *testing.T) {
	s := load(t, "exercises/eager_entry", 1)
	ss, err := NewSession(SessionOptions{Scenario: s, Lib: libFor(s), Version: "test", Seed: 1, State: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	steps, _ := ss.Forward(50)
	last := steps[len(steps)-1]
	e := last.Events[len(last.Events)-1]
	if e.State == nil {
		t.Fatalf("no state on %+v", e)
	}
	st, _ := ss.State(e.Node)
	for k, v := range e.State {
		if !strings.Contains(st, k+" = "+v) {
			t.Fatalf("%s = %s is not in %s", k, v, st)
		}
	}
}

// BenchmarkSessionBack measures back 1 and step 1 at the end of a run of
// about a thousand events (the seed, five rounds), without and with the
// nodes' state recorded on every event (--state):
//
//	go test ./runtime/sim -run - -bench SessionBack -cpu 1
func BenchmarkSessionBack(b *testing.B) {
	for _, state := range []bool{false, true} {
		name := "plain"
		if state {
			name = "state"
		}
		b.Run(name, func(b *testing.B) { benchSession(b, state) })
	}
}

func benchSession(b *testing.B, state bool) {
	s := load(b, "seed", 5)
	ss, err := NewSession(SessionOptions{Scenario: s, Lib: libFor(s), Version: "bench", Seed: 1, State: state})
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	if err := ss.Goto(1 << 20); err != nil {
		b.Fatal(err)
	}
	end := ss.Pos()
	b.Logf("%d steps, %d events", end, len(ss.Events()))
	b.Run("back", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if err := ss.Goto(end); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := ss.Back(1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("step", func(b *testing.B) {
		// Step through the run's last 200 steps, going back (untimed)
		// when the end comes.
		from := end - 200
		if err := ss.Goto(from); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if ss.Pos() == end {
				b.StopTimer()
				if err := ss.Goto(from); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			if _, err := ss.Forward(1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
