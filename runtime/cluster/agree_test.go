package cluster

import (
	"fmt"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// verdict is what a run's checks say, check by check, and how it ended:
// what must be the same for the same plan in a real run and in the
// simulator.
func verdict(tr *trace.Trace, stalled bool) string {
	r := check.Run(tr, check.Options{})
	var parts []string
	for _, res := range r.Results {
		parts = append(parts, fmt.Sprintf("%s:%s", res.Check, res.Status))
	}
	end := "complete"
	if stalled {
		end = "stalled"
	}
	return end + " " + strings.Join(parts, " ")
}

// For a handful of plans, real node processes over TCP and the
// simulator give the same verdict: the same checks pass and fail, and the
// run ends the same way.
func TestFaultsRealAndSimulatedAgree(t *testing.T) {
	plans := []struct {
		name  string
		shows string // an event the fault leaves in both traces (shows)
		plan  func(s *scenario.Scenario)
	}{
		{"crash a lightweight", "crash", func(s *scenario.Scenario) {
			// Long critical sections: A2 crashes while it waits for A1's,
			// however slowly the processes start.
			s.CS.Interval = 2
			s.Faults = []scenario.Fault{{Kind: scenario.Crash, Node: "A2", At: 1}}
		}},
		{"crash after cs_enter", "crash", func(s *scenario.Scenario) {
			s.Faults = []scenario.Fault{{Kind: scenario.Crash, Node: "B1", After: "cs_enter", Count: 1}}
		}},
		// The token's link: its messages, and so what the seed's draws
		// lose, are the same whatever the interleaving (a loss between
		// lamport's lightweights depends on who asked first).
		{"loss", "drop:loss", func(s *scenario.Scenario) {
			s.Network.Links = map[string]scenario.Link{"A->B": {Loss: 0.9}}
		}},
		{"duplicate", "recv:dup", func(s *scenario.Scenario) {
			s.Network.Links = map[string]scenario.Link{"A->A1": {Duplicate: 0.9}}
		}},
		{"cut for good", "cut", func(s *scenario.Scenario) {
			s.Faults = []scenario.Fault{{Kind: scenario.Cut, From: "B2", To: "B3", Both: true, At: 0.2}}
		}},
		{"pause", "resume", func(s *scenario.Scenario) {
			s.Faults = []scenario.Fault{{Kind: scenario.Pause, Node: "A3", At: 0.2, Duration: 1}}
		}},
		{"crash and restart", "restart", func(s *scenario.Scenario) {
			s.Faults = []scenario.Fault{
				{Kind: scenario.Crash, Node: "B3", At: 0.3},
				{Kind: scenario.Restart, Node: "B3", At: 2},
			}
		}},
	}
	for _, p := range plans {
		t.Run(p.name, func(t *testing.T) {
			out, tr := faultyRun(t, p.plan)
			if out.Failed != "" {
				t.Fatalf("the real run failed: %s", out.Err)
			}
			real := verdict(tr, out.Stalled)
			if !shows(tr, p.shows) {
				t.Fatalf("no %s in the real run's trace", p.shows)
			}

			s, err := scenario.Resolve("seed")
			if err != nil {
				t.Fatal(err)
			}
			s.Rounds, s.Speed = 1, 20
			s.CS = scenario.CS{Prints: 2, Interval: 0.5}
			p.plan(s)
			res, err := sim.Run(s, node.NewLibrary(s.Dir), "test", sim.Options{Seed: s.Seed})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != sim.Complete && res.Outcome != sim.Stalled {
				t.Fatalf("the simulated run: %s %s", res.Outcome, res.Detail())
			}
			if !shows(res.Trace, p.shows) {
				t.Fatalf("no %s in the simulated run's trace", p.shows)
			}
			simulated := verdict(res.Trace, res.Outcome == sim.Stalled)
			if real != simulated {
				t.Fatalf("verdicts differ\nreal:      %s\nsimulated: %s", real, simulated)
			}
			t.Logf("both: %s", real)
		})
	}
}

// shows reports whether tr has an event of kind, or "drop:loss" (a drop
// for loss), "recv:dup" (a duplicate's recv).
func shows(tr *trace.Trace, kind string) bool {
	for _, e := range tr.Events {
		k := e.Ev
		switch {
		case e.Ev == trace.Drop && e.Reason != "":
			k += ":" + e.Reason
		case e.Dup:
			k += ":dup"
		}
		if k == kind {
			return true
		}
	}
	return false
}
