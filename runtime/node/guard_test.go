package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// peerY is the first line of the guard tests' role script: Y sends X a
// PING, then a GO, and ends.
const peerY = `if node.id == "Y" then node.send("X", "PING") node.send("X", "GO") return end
`

// endless are scripts for X whose Lua never ends in some call, with the
// line the guard stops it at.
var endless = []struct {
	name string
	src  string
	line int
}{
	{"main script", "local n = 0\nwhile true do n = n + 1 end\n", 3},
	{"handler", "node.on(\"PING\", function(msg)\n  while true do end\nend)\nnode.receive(\"NEVER\")\n", 3},
	{"condition, first test", "node.wait_until(function()\n  while true do end\nend)\n", 3},
	{"condition, after an event", "local got = false\nnode.on(\"PING\", function() got = true end)\n" +
		"node.wait_until(function()\n  if got then while true do end end\n  return false\nend)\n", 5},
	{"reason function, first call", "node.wait_until(function() return false end, function()\n  while true do end\nend)\n", 3},
	{"reason function, after an event", "local got = false\nnode.on(\"PING\", function() got = true end)\n" +
		"node.wait_until(function() return false end, function()\n  if got then while true do end end\n  return \"PING\"\nend)\n", 5},
	{"node.on replaying the mailbox", "node.receive(\"GO\")\nnode.on(\"PING\", function(msg)\n  while true do end\nend)\n", 4},
}

// short drops the test folder before "role.lua" in a message.
func short(msg string) string {
	if i := strings.Index(msg, "role.lua:"); i > 0 {
		return msg[i:]
	}
	return msg
}

func stepsMessage(line int, steps int64) string {
	return fmt.Sprintf("role.lua:%d: ran more than %d Lua steps without blocking (an endless loop? wait with node.wait_until)", line, steps)
}

// Every kind of Lua call is under the guard: an endless loop in any of
// them stops the node with one line naming its file:line, recorded in
// the trace, within the (counted) budget.
func TestEndlessLoopsStopTheNode(t *testing.T) {
	const steps = 10_000
	for _, c := range endless {
		t.Run(c.name, func(t *testing.T) {
			lib := library(t, map[string]string{"role.lua": peerY + c.src})
			net := newNetBudget(t, lib, pair(), "role", scenario.CS{Prints: 1}, 1, 1, luabox.Budget{Steps: steps})
			net.run(100)
			want := stepsMessage(c.line, steps)
			var se *ScriptError
			if err := net.errs["X"]; !errors.As(err, &se) || short(se.Msg) != want {
				t.Fatalf("X stopped with %v\nwant %s", err, want)
			}
			if got := net.nodes["X"].Status().State; got != "failed" {
				t.Fatalf("X is %q after its error", got)
			}
			var recorded []string
			for _, e := range net.events {
				if e.Node == "X" && e.Ev == trace.Error {
					recorded = append(recorded, e.Text)
				}
			}
			if len(recorded) != 1 || short(recorded[0]) != want {
				t.Fatalf("X's error events %q", recorded)
			}
		})
	}
}

// With the default budget, a reason function that loops forever stops
// its node too.
func TestEndlessReasonDefaultBudget(t *testing.T) {
	c := endless[5]
	lib := library(t, map[string]string{"role.lua": peerY + c.src})
	net := newNet(t, lib, pair(), "role", scenario.CS{Prints: 1}, 1, 1)
	net.run(100)
	assertStopped(t, net.errs["X"], c.line)
}

// assertStopped accepts either limit of luabox.Real: which one comes
// first depends on the machine.
func assertStopped(t *testing.T, err error, line int) {
	t.Helper()
	steps := stepsMessage(line, luabox.DefaultSteps)
	wall := fmt.Sprintf("role.lua:%d: ran longer than 1s without blocking (an endless loop? wait with node.wait_until)", line)
	var se *ScriptError
	if !errors.As(err, &se) || (short(se.Msg) != steps && short(se.Msg) != wall) {
		t.Fatalf("stopped with %v\nwant %s", err, steps)
	}
}

// inspect runs under the guard too, and an endless expression is an
// error of the inspect alone: the node runs on.
func TestEvalEndlessLoop(t *testing.T) {
	lib := library(t, map[string]string{"role.lua": peerY + "node.receive(\"NEVER\")\n"})
	net := newNetBudget(t, lib, pair(), "role", scenario.CS{Prints: 1}, 1, 1, luabox.Budget{Steps: 1000})
	net.run(100)
	x := net.nodes["X"]
	_, err := x.Eval("(function() while true do end end)()")
	if want := "inspect:1: ran more than 1000 Lua steps without blocking (an endless loop? wait with node.wait_until)"; err == nil || err.Error() != want {
		t.Fatalf("inspect: %v\nwant %s", err, want)
	}
	if v, err := x.Eval("1 + 1"); err != nil || v != "2" {
		t.Fatalf("inspect after: %q %v", v, err)
	}
	if x.Err() != nil || x.Status().State != "blocked on receive NEVER" {
		t.Fatalf("X after a failed inspect: %v, %s", x.Err(), x.Status().State)
	}
}

// Every node's random stream comes from scenario.NodeSeed: A1 and B1 of
// one run draw differently, the same run draws the same.
func TestConfigForSeedsPerNode(t *testing.T) {
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	lib := library(t, nil)
	a, _ := ConfigFor(s, "A1", lib)
	b, _ := ConfigFor(s, "B1", lib)
	if a.Seed != scenario.NodeSeed(s.Seed, "A1") || b.Seed != scenario.NodeSeed(s.Seed, "B1") || a.Seed == b.Seed {
		t.Fatalf("seeds A1 %d, B1 %d", a.Seed, b.Seed)
	}
}

// The speed has no default here: a scenario applies it when it loads.
func TestSpeedRequired(t *testing.T) {
	lib := library(t, map[string]string{"role.lua": "return"})
	if _, err := New(Config{Spec: pair()[0], Nodes: []string{"X", "Y"}, Script: "role", Library: lib}, netHost{}); err == nil ||
		err.Error() != "node: speed 0: expected a number > 0" {
		t.Fatalf("no speed: %v", err)
	}
}
