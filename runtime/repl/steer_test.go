package repl

import (
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// recvs counts the deliveries on link from->to so far.
func recvs(t *testing.T, s *session, from, to string) int {
	n := 0
	for _, e := range events(t, s) {
		if e.Ev == trace.Recv && e.From == from && e.Node == to {
			n++
		}
	}
	return n
}

// allRecvs counts every delivery so far.
func allRecvs(t *testing.T, s *session) int {
	n := 0
	for _, e := range events(t, s) {
		if e.Ev == trace.Recv {
			n++
		}
	}
	return n
}

// waitPending waits until `pending` lists want.
func waitPending(t *testing.T, s *session, want string) string {
	t.Helper()
	var out string
	waitUntil(t, "pending to list "+want, func() bool {
		out = s.must("pending")
		return strings.Contains(out, want)
	})
	return out
}

// Stepping: started with every link held nothing is delivered, and each
// deliver moves exactly one message, which trace then shows.
func TestStepping(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --hold --rounds 1 --speed 100", "every link is held")
	// A holds the token and grants its three lightweights at once; the
	// grants wait on their links.
	for _, id := range []string{"A1", "A2", "A3"} {
		waitPending(t, s, "A->"+id+" (held): 1 [CS_GRANT]")
	}
	if n := allRecvs(t, s); n != 0 {
		t.Fatalf("%d messages delivered with every link held", n)
	}
	s.must("status", "held:   all links")

	s.must("deliver A->A1", "delivered 1 message(s) on A->A1")
	waitEvent(t, s, func(e trace.Event) bool { return e.Ev == trace.Recv && e.Node == "A1" })
	// A1 now requests: Lamport broadcasts REQUEST to A2 and A3.
	waitPending(t, s, "A1->A2 (held): 1 [REQUEST]")
	if n := allRecvs(t, s); n != 1 {
		t.Fatalf("one deliver moved %d messages", n)
	}
	s.must("deliver A1->A2", "delivered 1 message(s) on A1->A2")
	waitEvent(t, s, func(e trace.Event) bool { return e.Ev == trace.Recv && e.Node == "A2" && e.From == "A1" })
	if n, m := recvs(t, s, "A1", "A2"), allRecvs(t, s); n != 1 || m != 2 {
		t.Fatalf("after two delivers: %d on A1->A2, %d in all; want 1 and 2", n, m)
	}
	s.must("trace 3 A2", "A2  lc", "recv REQUEST from A1 (ts ")
	s.must("deliver A1->A2", "nothing waits on A1->A2")

	// Letting go, the run completes and the checks pass.
	s.must("release all", "released every link")
	s.waitEnded()
	s.must("check", "mutual exclusion  PASS", "liveness          PASS")
}

func TestLinkCommandErrors(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	for _, tc := range []struct{ line, want string }{
		{"hold", "usage: hold LINK|all"},
		{"hold A1-A2", `bad link "A1-A2": want FROM->TO`},
		{"hold A1->", `bad link "A1->"`},
		{"hold A1->Z9", `unknown node "Z9" (nodes: A B A1 A2 A3 B1 B2 B3)`},
		{"hold Q->A1", `unknown node "Q"`},
		{"hold A1->A1", "a link joins two different nodes"},
		{"release A1-A2", "bad link"},
		{"deliver", "usage: deliver LINK [N]"},
		{"deliver A1->A2 x", `count "x": want a whole number ≥ 1`},
		{"deliver A1->A2 0", `count "0"`},
		{"deliver A1->A2", "A1->A2 is not held: its messages flow anyway"},
		{"drop A1->A2 -1", `count "-1"`},
		{"drop A9->A2", "unknown node"},
		{"delay A1->A2", "usage: delay LINK|all DURATION|off"},
		{"delay A1->A2 soon", `duration "soon"`},
		{"partition", "usage: partition NODES [NODES]"},
		{"partition A1,Z9 A3", `unknown node "Z9"`},
		{"partition A1 A1", "A1 is on both sides"},
		{"partition A,B,A1,A2,A3,B1,B2,B3", "the other side is empty"},
		{"heal A1->A1", "a link joins two different nodes"},
		{"heal a b", "usage: heal [LINK]"},
		{"pending now", "usage: pending"},
	} {
		s.fails(tc.line, tc.want)
	}
}

func TestHoldReleaseOneLink(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.must("hold A1->A2", "holding A1->A2")
	s.must("status", "held:   A1->A2")
	if !s.r.cur.c.Steering().Active() {
		t.Error("a held link does not count as steering")
	}
	s.must("hold all")
	s.must("release A1->A2", "released A1->A2")
	s.must("status", "held:   all links but A1->A2")
	s.must("release all")
	out := s.must("status")
	if strings.Contains(out, "held:") {
		t.Errorf("status still shows held links:\n%s", out)
	}
	if s.r.cur.c.Steering().Active() {
		t.Error("steering is still on after the release")
	}
}

func TestPauseResume(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.fails("pause", "usage: pause NODE|all")
	s.fails("pause Z9", `unknown node "Z9"`)
	s.must("pause A1", "paused A1")
	s.must("status", "paused (", "paused: A1")
	s.must("resume A1", "resumed A1")
	s.must("pause all", "paused A B A1 A2 A3 B1 B2 B3")
	s.must("resume all", "resumed A B A1 A2 A3 B1 B2 B3")
	out := s.must("status")
	if strings.Contains(out, "paused") {
		t.Errorf("status still shows paused nodes:\n%s", out)
	}
}

func TestKill(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	pid := s.pids()["B2"]
	s.fails("kill", "usage: kill NODE")
	s.fails("kill Z9", `unknown node "Z9"`)
	out := s.must("kill B2", "B2 (pid ", "killed; the others go on without it", "B2 exited: killed")
	if !strings.Contains(out, "now waiting: ") && !strings.Contains(out, "nobody waits yet") {
		t.Errorf("kill does not say who waits:\n%s", out)
	}
	assertGone(t, map[string]int{"B2": pid})
	if !s.r.running() {
		t.Fatal("killing one node ended the run")
	}
	s.must("status", "exited (killed)", "killed: B2")
	s.fails("kill B2", "B2 has exited")
	s.fails("inspect B2 node.id", "B2 has exited")
	s.fails("deliver A1->B2", "B2 has exited")
	s.must("hold all", "holding every link")
	s.must("stop", "run seed: interrupted")
}

func TestDropDelayPartitionHeal(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.must("drop A1->A2", "the next 1 message(s) on A1->A2 will be lost")
	s.must("drop B->A 2", "the next 2 message(s) on B->A will be lost")
	s.must("delay all 10ms", "every link delays its messages by 10ms")
	s.must("delay A1->A2 0.05", "A1->A2 delays its messages by 0.05")
	s.must("status", "delay:  all links but A1->A2 by 0.01s", "delay:  A1->A2 by 0.05s")
	s.must("delay all off", "every link has the scenario's delay again")
	if out := s.must("status"); strings.Contains(out, "delay:") {
		t.Errorf("status still shows delays after delay all off:\n%s", out)
	}
	s.must("partition A1,A2 A3", "partitioned A1,A2 | A3: 4 links cut")
	s.must("status", "cut:    A1->A3 A2->A3 A3->A1 A3->A2")
	s.must("heal A3->A1", "healed A3->A1")
	s.must("status", "cut:    A1->A3 A2->A3 A3->A2")
	s.must("partition B1", "partitioned B1 | A,B,A1,A2,A3,B2,B3: 14 links cut")
	s.must("heal", "healed every link")
	out := s.must("status")
	if strings.Contains(out, "cut:") {
		t.Errorf("status still shows cut links after heal:\n%s", out)
	}
}

func TestPending(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.must("pending", "no message is waiting")
	s.must("hold A1->A2")
	waitPending(t, s, "A1->A2 (held): ")
	s.must("release A1->A2")
	waitUntil(t, "the held messages to go", func() bool {
		return !strings.Contains(s.must("pending"), "A1->A2")
	})
}
