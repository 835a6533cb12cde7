package luabox

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// load compiles src as the chunk "x.lua" in L.
func load(t *testing.T, L *lua.LState, src string) *lua.LFunction {
	t.Helper()
	p, err := Compile("x.lua", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return L.NewFunctionFromProto(p)
}

func guarded(b Budget) (*lua.LState, *Guard) {
	L := New()
	g := NewGuard(b, " (hint)")
	g.Watch(L)
	return L, g
}

func TestSandbox(t *testing.T) {
	L := New()
	defer L.Close()
	for _, name := range append([]string{"io", "os", "coroutine", "debug", "package", "channel"}, removed...) {
		if v := L.GetGlobal(name); v != lua.LNil {
			t.Errorf("%s is %v in the sandbox", name, v)
		}
	}
	for _, name := range []string{"pairs", "pcall", "tostring", "table", "string", "math"} {
		if L.GetGlobal(name) == lua.LNil {
			t.Errorf("%s missing from the sandbox", name)
		}
	}
}

func TestStepBudgetStopsLoopWithPosition(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"while true do end", "x.lua:1: ran more than 1000 Lua steps (hint)"},
		{"local n = 0\nwhile true do n = n + 1 end", "x.lua:2: ran more than 1000 Lua steps (hint)"},
		// A pcall cannot swallow it: every instruction past the budget raises.
		{"while true do pcall(function() while true do end end) end", "x.lua:1: ran more than 1000 Lua steps (hint)"},
		{"local function f() return f() end\nf()", "x.lua:1: ran more than 1000 Lua steps (hint)"},
	} {
		L, g := guarded(Budget{Steps: 1000})
		err := g.Call(L, load(t, L, tt.src), 0)
		if got := ErrorLine(err); got != tt.want {
			t.Errorf("%q:\ngot  %s\nwant %s", tt.src, got, tt.want)
		}
		if !errors.Is(g.Tripped(), g.stepsErr) {
			t.Errorf("%q: tripped %v", tt.src, g.Tripped())
		}
		L.Close()
	}
}

// The count is exact: a stretch of n instructions passes a budget of n
// and fails one of n-1, on any machine.
func TestStepCountIsDeterministic(t *testing.T) {
	const src = "local s = 0\nfor i = 1, 1000 do s = s + i end\nreturn s"
	L, g := guarded(Budget{})
	if err := g.Call(L, load(t, L, src), 1); err != nil {
		t.Fatal(err)
	}
	n := g.Steps()
	if n < 1000 {
		t.Fatalf("counted %d steps for a loop of 1000", n)
	}
	for _, b := range []int64{n, n - 1} {
		L, g := guarded(Budget{Steps: b})
		err := g.Call(L, load(t, L, src), 1)
		if (err == nil) != (b == n) {
			t.Fatalf("budget %d of a %d-step chunk: %v", b, n, err)
		}
	}
}

// Each outermost Arm starts a new count; a nested one joins it.
func TestArmResetsAndNests(t *testing.T) {
	L, g := guarded(Budget{Steps: 50_000})
	loop := load(t, L, "for i = 1, 10000 do end")
	for range 10 { // 10 stretches of ~20,000 steps each: none trips
		if err := g.Call(L, loop, 0); err != nil {
			t.Fatal(err)
		}
	}
	g.Arm()
	var err error
	for range 10 { // nested in one stretch: the count adds up
		if err = g.Call(L, loop, 0); err != nil {
			break
		}
	}
	g.Disarm()
	if err == nil || !strings.Contains(err.Error(), "ran more than 50000 Lua steps") {
		t.Fatalf("nested calls in one stretch: %v", err)
	}
	if err := g.Call(L, loop, 0); err != nil || g.Tripped() != nil {
		t.Fatalf("a new stretch after a tripped one: %v, %v", err, g.Tripped())
	}
}

// A coroutine watched by the guard is counted in the stretch that
// resumes it.
func TestCoroutineCounted(t *testing.T) {
	L := New()
	co, _ := L.NewThread()
	g := NewGuard(Budget{Steps: 1000}, "")
	g.Watch(L)
	g.Watch(co)
	st, err := g.Resume(L, co, load(t, L, "local x = 0\nwhile true do x = x + 1 end"))
	if st != lua.ResumeError || ErrorLine(err) != "x.lua:2: ran more than 1000 Lua steps" {
		t.Fatalf("%v %v", st, err)
	}
}

func TestWallClockLimit(t *testing.T) {
	L, g := guarded(Budget{Wall: 20 * time.Millisecond})
	defer g.Stop()
	err := g.Call(L, load(t, L, "while true do end"), 0)
	if got, want := ErrorLine(err), "x.lua:1: ran longer than 20ms (hint)"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// The next stretch starts afresh and may run to its end.
	if err := g.Call(L, load(t, L, "return 1"), 1); err != nil {
		t.Fatal(err)
	}
}

// A stretch that waits for the CPU rather than using it (a node among
// a thousand processes on two cores) is not stopped when the wall clock
// passes the limit, where the process's CPU clock can be read.
func TestWallLimitCountsCPU(t *testing.T) {
	if _, ok := processCPU(); !ok {
		t.Skip("no process CPU clock on this system: the limit is wall-clock time")
	}
	L, g := guarded(Budget{Wall: 20 * time.Millisecond})
	defer g.Stop()
	L.SetGlobal("descheduled", L.NewFunction(func(L *lua.LState) int {
		time.Sleep(100 * time.Millisecond) // off the CPU, as if descheduled
		return 0
	}))
	if err := g.Call(L, load(t, L, "descheduled() return 1"), 1); err != nil {
		t.Fatalf("a stretch that waited, not ran, for 100 ms was stopped: %v", err)
	}
}

// A timer of an earlier stretch that fires late trips nothing.
func TestStaleTimerIgnored(t *testing.T) {
	L, g := guarded(Budget{Wall: time.Hour})
	defer g.Stop()
	g.Arm()
	g.Disarm()
	g.expire() // as if the stopped timer had fired anyway
	g.Arm()
	g.expire() // before the deadline
	g.Disarm()
	if g.Tripped() != nil {
		t.Fatal(g.Tripped())
	}
	if err := g.Call(L, load(t, L, "return 1"), 1); err != nil {
		t.Fatal(err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"local x = = 1", "x.lua:1: syntax error near '='"},
		{"if x then\n", "x.lua:1: syntax error at end of file (an unclosed block or bracket?)"},
		{"return 'abc", "x.lua:1: unterminated string at end of file"},
		{"goto nowhere", "x.lua:2: no visible label 'nowhere' for <goto> at line 1"},
		// The missing ")": the parser names no token; the line does.
		{"local M = {}\nfunction M.request(\n  M.replies = {}\nend\n", "x.lua:3: syntax error near '.'"},
		{"local t = {1, 2\nlocal y = 3\n", "x.lua:2: syntax error near 'local'"},
		{"f(a b)", "x.lua:1: syntax error near 'b'"},
		{"x = 1 .. .. 2", "x.lua:1: syntax error near '..'"},
	} {
		_, err := Compile("x.lua", []byte(tt.src))
		var le *Error
		if !errors.As(err, &le) || le.Error() != tt.want || le.File != "x.lua" || le.Line < 1 {
			t.Errorf("%q: got %#v, want %s", tt.src, err, tt.want)
		}
	}
}

func TestErrorLines(t *testing.T) {
	L, g := guarded(Budget{Steps: DefaultSteps})
	for _, tt := range []struct {
		src, want string
		line      int
	}{
		{"\n\nerror('boom')", "x.lua:3: boom", 3},
		{"error('two\\nlines')", "x.lua:1: two lines", 1},
		{"error({})", "x.lua:1: error value {}", 1},
		{"\nerror({code = 1, why = 'x'})", "x.lua:2: error value {code = 1, why = \"x\"}", 2},
		{"error(42)", "x.lua:1: 42", 1},
		{"local function f() return 1 + f() end\nf()", "x.lua:1: stack overflow (a recursion without end?)", 1},
	} {
		err := g.Call(L, load(t, L, tt.src), 0)
		if got := ErrorLine(err); !strings.HasPrefix(got, tt.want) || strings.Contains(got, "\n") {
			t.Errorf("%q: got %q, want %q", tt.src, got, tt.want)
		}
		if le := ErrorIn("x.lua", err); le.Line != tt.line {
			t.Errorf("%q: line %d, want %d", tt.src, le.Line, tt.line)
		}
	}
}

func TestRequires(t *testing.T) {
	src := "local a = require('alpha')\nlocal b = require \"beta\"\nlocal c = require(node.algorithm)\n" +
		"local function f()\n  return require('gamma')\nend\n-- require('comment')\nreturn x:require('method')\n"
	got, err := Requires("x.lua", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Require{{"alpha", 1}, {"beta", 2}, {"gamma", 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := Requires("x.lua", []byte("require('a'")); err == nil || !strings.HasPrefix(err.Error(), "x.lua:1: ") {
		t.Fatalf("a syntax error: got %v", err)
	}
}
