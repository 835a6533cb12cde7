package sim

import (
	"context"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/scenario"
)

// The exercises' counterexamples shrink to a schedule a student can read
// on one screen, failing the same way, and a shrunk schedule replays from
// its trace. The sizes are the README's table ("The simulator").
func TestShrinkExercises(t *testing.T) {
	readme := map[string][2]Size{
		"exercises/after_you":    {{49, 9}, {28, 4}},
		"exercises/eager_entry":  {{465, 114}, {44, 7}},
		"exercises/own_clock":    {{569, 150}, {42, 8}},
		"exercises/right_now":    {{528, 132}, {54, 9}},
		"exercises/ring_of_four": {{226, 44}, {54, 6}},
		"exercises/no_inquire":   {{81, 17}, {28, 4}},
	}
	for _, name := range scenario.Embedded() {
		if !strings.HasPrefix(name, "exercises/") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			s := load(t, name, 0)
			res := explore(t, s, ExploreOptions{Runs: 1000, Seed: 1})
			f := res.Failure
			if f == nil {
				t.Fatal("no failure")
			}
			sh, err := Shrink(context.Background(), f, ShrinkOptions{Lib: libFor(s), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			g := sh.Failure
			t.Logf("first: seed %d, %d events, %d messages; shortest: %d events, %d messages (rounds %d, groups %v, prints %d, cut %d; %d runs)",
				f.Seed, f.Size.Events, f.Size.Messages, g.Size.Events, g.Size.Messages, g.Scenario.Rounds, g.Scenario.Groups, g.Scenario.CS.Prints, g.Cut, sh.Runs)
			if want := readme[name]; f.Size != want[0] || g.Size != want[1] {
				t.Errorf("first %+v, shortest %+v; the README says %+v, %+v", f.Size, g.Size, want[0], want[1])
			}
			if failureKind(g.Outcome, g.Report) != failureKind(f.Outcome, f.Report) {
				t.Errorf("the shortest fails as %q, the first as %q", failureKind(g.Outcome, g.Report), failureKind(f.Outcome, f.Report))
			}
			// One screen: the timeline of the shortest has a row per event.
			if g.Size.Events > 60 || g.Size.Events > f.Size.Events {
				t.Errorf("shortest %d events, first %d: want at most 60 and no more than the first", g.Size.Events, f.Size.Events)
			}
			// It replays from its trace alone, the same way.
			rp, err := Replay(g.Trace, ReplayOptions{Lib: libFor(s), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			rep := check.Run(rp.Trace, check.Options{})
			if rp.Divergence != nil || !rep.Failed() || rep.Roots()[0].Check != g.Report.Roots()[0].Check {
				t.Errorf("replay of the shortest: %v, %s\n%s", rp.Divergence, rp.Outcome, describeFailure(&Failure{Outcome: rp.Outcome, Report: rep}))
			}
		})
	}
}
