package node

import (
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// The limits in the simulator's budget (instructions and the memory
// estimate): the same script is stopped at the same line with the same
// message, every time.
func TestLimitsStopTheNodeDeterministically(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"memory, a table of big strings", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1e6) .. i end\n", "role.lua:3: would hold more than the memory cap of 256 MB"},
		{"memory, doubling", "local s = 'x'\nfor i = 1, 64 do s = s .. s end\n", "role.lua:3: would hold more than the memory cap of 256 MB"},
		{"memory, in a handler", "node.on(\"PING\", function()\n  local s = string.rep('x', 1e10)\nend)\nnode.receive(\"NEVER\")\n", "role.lua:3: string.rep: a result of 9.3 GB would exceed the memory cap of 256 MB"},
		{"log flood", "while true do\n  print('x') node.sleep(0)\nend\n", "role.lua:3: logged more than 1000 lines a second (node.log, print); the trace and the screen are bounded (docs/lua-api.md, Limits)"},
		{"log flood under pcall", "while true do\n  pcall(node.log, 'x')\nend\n", "role.lua:4: logged more than 1000 lines a second"},
		{"sleep overflow", "node.sleep(1e300)\n", "role.lua:2: bad argument #1 to sleep (seconds must be a number from 0 to 86400, got 1e+300)"},
		{"sleep NaN", "node.sleep(0/0)\n", "role.lua:2: bad argument #1 to sleep (seconds must be a number from 0 to 86400, got NaN)"},
		{"payload too large", "local t = {}\nfor i = 1, 30 do t = {a = t, b = t} end\nnode.send(\"Y\", \"BIG\", {x = t})\n", "role.lua:4: node.send: payload: too large: a message is at most 65536 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var first string
			for range 2 {
				lib := library(t, map[string]string{"role.lua": peerY + c.src})
				net := newNetBudget(t, lib, pair(), "role", scenario.CS{Prints: 1}, 1, 1, luabox.Counted)
				net.run(100_000)
				var se *ScriptError
				if !errors.As(net.errs["X"], &se) || !strings.HasPrefix(short(se.Msg), c.want) {
					t.Fatalf("stopped with %v\nwant %s", net.errs["X"], c.want)
				}
				if first != "" && short(se.Msg) != first {
					t.Fatalf("a second run said %q, the first %q", se.Msg, first)
				}
				first = short(se.Msg)
				logs := 0
				for _, e := range net.events {
					if e.Ev == trace.Log {
						logs++
					}
				}
				if logs > LogBurst+1 {
					t.Fatalf("%d log lines recorded, at most %d may", logs, LogBurst)
				}
			}
		})
	}
}

// inspect runs under the same limits, and a refused expression is an
// error of the inspect alone.
func TestEvalBounded(t *testing.T) {
	lib := library(t, map[string]string{"role.lua": peerY + "big = {}\nfor i = 1, 200000 do big[i] = i end\nnode.receive(\"NEVER\")\n"})
	net := newNetBudget(t, lib, pair(), "role", scenario.CS{Prints: 1}, 1, 1, luabox.Counted)
	net.run(100)
	x := net.nodes["X"]
	if _, err := x.Eval(`string.rep("x", 1e11)`); err == nil || !strings.Contains(err.Error(), "memory cap of 256 MB") {
		t.Fatalf("inspect of a huge string: %v", err)
	}
	if _, err := x.Eval(`string.find(string.rep("a",40), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b")`); err == nil || !strings.Contains(err.Error(), "Lua steps") {
		t.Fatalf("inspect of a runaway pattern: %v", err)
	}
	v, err := x.Eval("big")
	if err != nil || len(v) > maxShow+4 || !strings.HasSuffix(v, "…") {
		t.Fatalf("inspect of a big table: %d bytes, %v", len(v), err)
	}
	if x.Err() != nil || x.Status().State != "blocked on receive NEVER" {
		t.Fatalf("X after the inspects: %v, %s", x.Err(), x.Status().State)
	}
}
