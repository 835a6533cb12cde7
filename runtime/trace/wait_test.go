package trace

import (
	"strings"
	"testing"
)

func msgs(typ string, from ...string) *Wait { return &Wait{Kind: WaitMessages, Type: typ, From: from} }

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name    string
		blocked []Blocked
		gone    map[string]string
		want    string
	}{
		{"a cycle of two, one more waiting behind",
			[]Blocked{{Node: "A", Wait: &Wait{Kind: WaitReceive, Type: "DONE"}}, {Node: "A1", Wait: msgs("REPLY", "A2")}, {Node: "A2", Wait: msgs("REPLY", "A1")}}, nil,
			"deadlock A1 → A2 → A1: A1 waits for REPLY from A2; A2 waits for REPLY from A1; A waits behind it"},
		{"the whole strongly connected part is named",
			[]Blocked{{Node: "A1", Wait: msgs("REPLY", "A2", "A3")}, {Node: "A2", Wait: msgs("REPLY", "A1", "A3")}, {Node: "A3", Wait: msgs("REPLY", "A1", "A2")}}, nil,
			"deadlock A1 → A2 → A1: A1 waits for REPLY from A2,A3; A2 waits for REPLY from A1,A3; A3 waits for REPLY from A1,A2"},
		{"labels are shown, never read",
			[]Blocked{{Node: "X", Wait: &Wait{Kind: WaitMessages, Type: "FORK", From: []string{"Y"}, Label: "from Z"}}, {Node: "Y", Wait: msgs("FORK", "X")}}, nil,
			"deadlock X → Y → X: X waits for FORK from Y (from Z); Y waits for FORK from X"},
		{"no cycle: waits on the dead",
			[]Blocked{{Node: "A2", Wait: msgs("RELEASE", "A1")}, {Node: "A3", Wait: &Wait{Kind: WaitPredicate, Label: "the moon"}}}, map[string]string{"A1": "killed"},
			"A2 waits for RELEASE from A1, but A1 (killed) has ended; A3 waits for the moon"},
		{"a predicate names nobody", []Blocked{{Node: "A1", Wait: &Wait{Kind: WaitPredicate}}}, nil, "A1 waits for a condition"},
	}
	for _, tt := range tests {
		if got := Analyze(tt.blocked, tt.gone).String(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestEnd(t *testing.T) {
	ev := func(node, kind string, mod func(*Event)) Event {
		e := Event{Ev: kind, Node: node}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	block := func(w *Wait) func(*Event) { return func(e *Event) { e.Wait = w; e.On = w.On() } }
	send := func(to string, seq int64) func(*Event) {
		return func(e *Event) { e.To, e.Seq, e.Type = to, seq, "PING" }
	}
	recv := func(from string, seq int64) func(*Event) {
		return func(e *Event) { e.From, e.Seq, e.Type = from, seq, "PING" }
	}
	nodes := []string{"A1", "A2"}

	// A receive written before its send still matches it: nothing in flight.
	e := End(nodes, []Event{
		ev("A2", Recv, recv("A1", 1)), ev("A1", Send, send("A2", 1)),
		ev("A1", Block, block(msgs("REPLY", "A2"))), ev("A2", Block, block(msgs("REPLY", "A1"))),
	}, nil)
	if e.Stall == nil || len(e.Stall.Cycle) != 2 {
		t.Fatalf("want a deadlock of two, got %+v", e.Stall)
	}
	if e.States["A1"].Block != 2 || e.States["A2"].Phase != PhaseBlocked {
		t.Errorf("states: %+v %+v", e.States["A1"], e.States["A2"])
	}

	// A message in flight to a blocked node: no stall yet.
	e = End(nodes, []Event{
		ev("A1", Send, send("A2", 1)),
		ev("A1", Block, block(msgs("REPLY", "A2"))), ev("A2", Block, block(msgs("REPLY", "A1"))),
	}, nil)
	if e.Stall != nil || e.InFlight["A2"] != 1 {
		t.Errorf("in flight: stall %v, in flight %v", e.Stall, e.InFlight)
	}

	// Stopped with the run: still counted as what it was doing; killed: dead.
	e = End(nodes, []Event{
		ev("A1", CSEnter, nil), ev("A1", Exit, func(e *Event) { e.Text = ExitKilled }),
		ev("A2", Block, block(msgs("RELEASE", "A1"))), ev("A2", Exit, func(e *Event) { e.Text = ExitInterrupted }),
	}, nil)
	if e.Stall == nil || !strings.Contains(e.Stall.String(), "A2 waits for RELEASE from A1, but A1 (killed) has ended") {
		t.Errorf("killed in CS: %v", e.Stall)
	}
	if e.States["A1"].Phase != PhaseDead || e.States["A2"].Phase != PhaseEnded || e.States["A2"].Live() != PhaseBlocked {
		t.Errorf("phases: %+v %+v", e.States["A1"], e.States["A2"])
	}

	// An old trace's block has only its text: a label, no peers.
	old := Event{Ev: Block, Node: "A1", On: "wait_until REPLY from A2"}
	if w := WaitOf(&old); w.Kind != WaitPredicate || len(w.From) != 0 || w.Label != old.On {
		t.Errorf("old block: %+v", w)
	}
}
