package node

import (
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

func runPair(t *testing.T, role string) *testNet {
	t.Helper()
	net := newNet(t, library(t, map[string]string{"role.lua": role}), pair(), "role", scenario.CS{Prints: 2, Interval: 1}, 1, 1)
	net.run(10000)
	return net
}

func TestHandlerMailboxReceive(t *testing.T) {
	net := runPair(t, `
if node.id == "Y" then
  node.send("X", "DATA", {n = 1})
  node.send("X", "PING")
  node.send("X", "DATA", {n = 2})
  node.send("X", "OTHER")
  return
end
local pings = 0
node.on("PING", function(msg) pings = pings + 1 end)
local a = node.receive("DATA")
local b = node.receive("DATA", "Y")
local c = node.receive()
node.log("data", a.payload.n, b.payload.n, "then", c.type, "pings", pings, "from", c.sender)
`)
	if len(net.errs) > 0 {
		t.Fatal(net.errs)
	}
	want := "data 1 2 then OTHER pings 1 from Y"
	if got := net.logs("X"); len(got) != 1 || got[0] != want {
		t.Fatalf("X logged %q, want %q", got, want)
	}
}

func TestReceiveTakesFromMailboxWithoutBlocking(t *testing.T) {
	net := runPair(t, `
if node.id == "Y" then node.send("X", "GO") return end
node.receive("GO")
node.log("got it")
`)
	blocks := 0
	for _, e := range net.events {
		if e.Node == "X" && e.Ev == trace.Block {
			blocks++
			if e.On != "receive GO" {
				t.Fatalf("block on %q", e.On)
			}
		}
	}
	if blocks > 1 || !contains(net.logs("X"), "got it") {
		t.Fatalf("blocks %d, logs %v", blocks, net.logs("X"))
	}
}

func TestWaitUntilRetestedAfterEveryEvent(t *testing.T) {
	net := runPair(t, `
if node.id == "Y" then
  for i = 1, 3 do node.send("X", "INC") end
  node.send("X", "NOISE")
  return
end
local n, tests = 0, 0
node.on("INC", function() n = n + 1 end)
node.on("NOISE", function() end)
node.wait_until(function() tests = tests + 1; return n >= 3 end, function() return "INC x" .. (3 - n) end)
node.log("reached", n, "tests", tests)
`)
	if len(net.errs) > 0 {
		t.Fatal(net.errs)
	}
	// One test when called, one after each of the three INCs.
	if got := net.logs("X"); len(got) != 1 || got[0] != "reached 3 tests 4" {
		t.Fatalf("X logged %q", got)
	}
	var ons []string
	for _, e := range net.events {
		if e.Node == "X" && e.Ev == trace.Block {
			ons = append(ons, e.On)
		}
	}
	if strings.Join(ons, "|") != "wait_until INC x3|wait_until INC x2|wait_until INC x1" {
		t.Fatalf("block reasons %q", ons)
	}
}

func TestBlockingInsideHandlerIsAnError(t *testing.T) {
	for _, call := range []string{`node.receive("X")`, `node.sleep(1)`, `node.wait_until(function() return false end)`, `node.critical_section()`} {
		net := runPair(t, `
if node.id == "Y" then node.send("X", "PING") return end
node.on("PING", function(msg)
  `+call+`
end)
node.receive("NEVER")
`)
		err := net.errs["X"]
		var se *ScriptError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "role.lua:4: ") || !strings.Contains(se.Msg, "cannot be called from a handler") {
			t.Fatalf("%s in a handler: %v", call, err)
		}
	}
}

func TestClockAppliedOnSendAndReceive(t *testing.T) {
	net := runPair(t, `
if node.id == "Y" then
  for i = 1, 9 do node.clock.tick() end
  local ts = node.send("X", "HI")
  node.log("sent", ts)
  return
end
local m = node.receive("HI")
node.log("ts", m.ts, "now", node.clock.now())
local ts = node.broadcast({"Y"}, "BACK")
node.log("broadcast", ts)
`)
	if got := net.logs("Y"); got[0] != "sent 10" {
		t.Fatalf("Y: %v", got)
	}
	if got := net.logs("X"); len(got) != 2 || got[0] != "ts 10 now 11" || got[1] != "broadcast 12" {
		t.Fatalf("X: %v", got)
	}
	for _, e := range net.events {
		if e.Ev == trace.Recv && e.LC <= e.TS {
			t.Fatalf("recv lc %d not after ts %d", e.LC, e.TS)
		}
		if e.Ev == trace.Send && (e.Seq != 1 || e.LC != e.TS) {
			t.Fatalf("send %+v", e)
		}
	}
}

func TestScriptErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"syntax", "local x = \nif then\n", "role.lua:2: "},
		{"runtime", "local t = nil\nlocal y = t.x\n", "role.lua:2: "},
		{"error()", "\n\nerror('boom')\n", "role.lua:3: boom"},
		{"bad send", `node.send("Q", "HI")`, `no node "Q"`},
		{"self send", `node.send(node.id, "HI")`, "cannot send to itself"},
		{"bad type", `node.send("Y", "hi")`, "upper-case word"},
		{"list payload", `node.send("Y", "HI", {1, 2})`, "string keys"},
		{"no io", `io.write("x")`, "role.lua:1: "},
		{"no os", `os.exit(1)`, "role.lua:1: "},
		{"no require of libs", `require("os")`, `module "os" not found`},
		{"endless loop", `while true do end`, "role.lua:1: ran more than 100000 Lua steps without blocking"},
		{"endless recursion", "local function f() return 1 + f() end\nf()", "stack overflow (a recursion without end?)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lib := library(t, map[string]string{"role.lua": c.src})
			net := &testNet{chans: map[[2]string][]wire.Message{}}
			n, err := New(Config{Spec: pair()[0], Nodes: []string{"X", "Y"}, Script: "role", Library: lib, Speed: 1,
				Budget: luabox.Budget{Steps: 100_000}}, netHost{net: net, id: "X"})
			if err == nil {
				err = n.Start()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "stack traceback") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line: %q", err)
			}
		})
	}
}

func TestMathRandomIsSeededPerRun(t *testing.T) {
	role := `
local xs = {}
for i = 1, 5 do xs[i] = math.random(100) end
local f = math.random()
local r = math.random(3, 4)
node.log(table.concat(xs, ","), f >= 0 and f < 1, r >= 3 and r <= 4)
`
	draws := func() string {
		lib := library(t, map[string]string{"role.lua": role})
		net := &testNet{chans: map[[2]string][]wire.Message{}}
		n, err := New(Config{Spec: pair()[0], Nodes: []string{"X", "Y"}, Script: "role", Library: lib, Seed: 42, Speed: 1},
			netHost{net: net, id: "X"})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		return net.events[len(net.events)-2].Text
	}
	a, b := draws(), draws()
	if a != b || !strings.HasSuffix(a, "true true") {
		t.Fatalf("same seed drew %q then %q", a, b)
	}
}
