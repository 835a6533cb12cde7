package luabox

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// A gopher-lua whose tables cannot be restored would make every
// simulated schedule build its VMs anew: slower, and silently so.
func TestReuseLayout(t *testing.T) {
	if !restorable {
		t.Fatal("gopher-lua's table layout is not the one reuse.go expects: VMs are never reused (see reuse.go)")
	}
	if Snapshot(New()) == nil {
		t.Fatal("Snapshot of a new VM is nil")
	}
}

// fingerprint is everything a script can see of the VM it runs in
// without being handed something: every table it can reach from the
// globals, the string metatable and its environment, in the order pairs
// walks them, with the values (functions and tables named by the order
// they are first met in, so that two VMs built alike compare equal),
// the metatables, the libraries' behaviour, and the order pairs takes
// after keys are added, removed ones included.
const fingerprint = `
local out, ids, n = {}, {}, 0
local type, tostring, pairs, getmetatable, rawget = type, tostring, pairs, getmetatable, rawget
local function name(v)
  local t = type(v)
  if t == "table" or t == "function" or t == "userdata" then
    if not ids[v] then n = n + 1; ids[v] = t .. "#" .. n end
    return ids[v], true
  end
  return t .. ":" .. tostring(v), false
end
local todo = {}
local function visit(v)
  local id, ref = name(v)
  if ref and not todo[id] then todo[id] = true; todo[#todo + 1] = v end
  return id
end
visit(_G); visit(getmetatable("")); visit(getfenv(0))
local i = 1
while todo[i] do
  local v = todo[i]; i = i + 1
  if type(v) == "table" then
    local line = { name(v), "mt=" .. visit(getmetatable(v)) }
    for k, x in pairs(v) do line[#line + 1] = visit(k) .. "=" .. visit(x) end
    out[#out + 1] = table.concat(line, " ")
  end
end
out[#out + 1] = "env=" .. name(getfenv(0)) .. " G=" .. name(_G)
out[#out + 1] = table.concat({ ("ab"):rep(3), string.format("%d|%s", 7, "x"), ("Hi"):upper(),
  tostring(("a,b"):find(",")), (("x1y2"):gsub("%d", "#")), tostring(math.floor(2.5)), tostring(math.pi),
  tostring(#"abc"), tostring(select("#", 1, 2)), tostring(rawget(_G, "dofile")),
  tostring(rawget(_G, true)), tostring(rawget(string, "extra")), tostring(rawget(table, 2.5)) }, ";")
local t = { 3, 1, 2 }; table.sort(t); table.insert(t, 4)
out[#out + 1] = table.concat(t, ",")
-- keys added now land where a new VM puts them: after the others, or
-- at their old place for a key the sandbox removed.
_G.zz_new = 1; _G.dofile = 2; _G.load = 3; string.zz = 4; _G[true] = 5
local order = {}
for k in pairs(_G) do order[#order + 1] = tostring(k) end
for k in pairs(string) do order[#order + 1] = tostring(k) end
out[#out + 1] = table.concat(order, " ")
return table.concat(out, "\n")
`

// hostile changes everything it can reach: library functions and
// constants, globals removed and added (in the hash and array parts),
// metatables of the globals, of a library and of strings, the
// environment of the thread.
const hostile = `
local setmetatable, getmetatable, rawset, setfenv, string, table, math = setmetatable, getmetatable, rawset, setfenv, string, table, math
string.rep = nil; string.extra = "x"; string.format = function() return "forged" end; string[1] = "one"
table.insert = nil; table.sort = function() end; table[2.5] = {}
math.pi = 3; math.floor = nil; math.random = function() return 4 end; math[7] = 7
rawset(_G, "load", "x"); _G.dofile = "back"; _G.zz_new = 0; _VERSION = nil; tostring = nil; tostring = type
_G[true] = "yes"; _G[1] = 1; _G[2] = 2; _G[2] = nil; _G.newglobal = { nested = {} }
pairs = nil; next = nil
local smt = getmetatable("")
smt.__index = { rep = function() return "no" end }; smt.__add = function() return 0 end; smt.extra = true
setmetatable(string, { __index = function() return "meta" end })
setmetatable(_G, { __index = function() return "ghost" end, __newindex = function() end, __metatable = "locked" })
setfenv(0, { hijacked = true })
return "done"
`

func call(t *testing.T, L *lua.LState, src string) string {
	t.Helper()
	s, err := try(t, L, src)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func try(t *testing.T, L *lua.LState, src string) (string, error) {
	t.Helper()
	L.Push(load(t, L, src))
	if err := L.PCall(0, 1, nil); err != nil {
		return "", err
	}
	s := lua.LVAsString(L.Get(-1))
	L.Pop(1)
	return s, nil
}

// A VM restored after a hostile script is, to the next script, the VM it
// was when new: the same fingerprint, again after each of several rounds
// of hostility.
func TestRestoreUndoesHostileScript(t *testing.T) {
	want := call(t, New(), fingerprint)
	if !strings.Contains(want, "string:format=function") || !strings.Contains(want, "string:pi=number") {
		t.Fatalf("the fingerprint saw too little:\n%s", want)
	}
	if got := call(t, New(), fingerprint); got != want {
		t.Fatalf("two new VMs differ:\n%s", diffLines(got, want))
	}
	L := New()
	p := Snapshot(L)
	for round := range 3 {
		if got := call(t, L, hostile); got != "done" {
			t.Fatalf("round %d: the hostile script returned %q", round, got)
		}
		// (The fingerprint may not even run: its chunk gets the
		// hijacked environment.)
		if got, _ := try(t, L, fingerprint); got == want {
			t.Fatalf("round %d: the hostile script changed nothing the fingerprint sees", round)
		}
		p.Restore()
		if got := call(t, L, fingerprint); got != want {
			t.Fatalf("round %d: the restored VM differs from a new one:\n%s", round, diffLines(got, want))
		}
		p.Restore()
	}
}

// diffLines lists the lines of got that want lacks, and the other way.
func diffLines(got, want string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	return b.String()
}

// A guard reset for restored VMs counts as a new guard does: the same
// steps for the same script, memory checks on the same instructions.
func TestGuardResetCountsAsNew(t *testing.T) {
	const src = "local t = {} for i = 1, 20000 do t[i] = tostring(i) end return #t"
	steps := func(L *lua.LState, g *Guard) (int64, int64, int64) {
		if err := g.Call(L, load(t, L, src), 1); err != nil {
			t.Fatal(err)
		}
		L.Pop(1)
		return g.Steps(), g.mem.used, g.mem.every
	}
	L, g := guarded(Budget{})
	p := Snapshot(L)
	s1, u1, e1 := steps(L, g)
	p.Restore()
	g.Reset(L)
	s2, u2, e2 := steps(L, g)
	if s1 != s2 || u1 != u2 || e1 != e2 {
		t.Fatalf("new: %d steps, %d bytes, check every %d; reset: %d, %d, %d", s1, u1, e1, s2, u2, e2)
	}
}

// A record is the table its fields assigned one by one would be: the
// same values, the same order for pairs, and it grows alike.
func TestNewRecordIsAssignedTable(t *testing.T) {
	names := []lua.LValue{lua.LString("type"), lua.LString("sender"), lua.LString("ts"), lua.LString("payload")}
	values := []lua.LValue{lua.LString("REPLY"), lua.LString("A2"), lua.LNumber(7), lua.LNil}
	const walk = `local t = ...
t.extra = 1; t.type = nil; t.type = "again"
local out = {}
for k, v in pairs(t) do out[#out + 1] = k .. "=" .. tostring(v) end
return table.concat(out, " ")`
	show := func(tb *lua.LTable) string {
		L := New()
		L.Push(load(t, L, walk))
		L.Push(tb)
		if err := L.PCall(1, 1, nil); err != nil {
			t.Fatal(err)
		}
		return L.Get(-1).String()
	}
	want := lua.LTable{Metatable: lua.LNil}
	for i, k := range names {
		want.RawSetString(string(k.(lua.LString)), values[i])
	}
	got := show(NewRecord(names, values))
	if got != show(&want) || got != "type=again sender=A2 ts=7 extra=1" {
		t.Fatalf("record: %s\nassigned: %s", got, show(&want))
	}
}

// pairs walks the globals and the libraries in the order of their names,
// in every VM (gopher-lua fills them from Go maps).
func TestLibrariesWalkSorted(t *testing.T) {
	const src = `local out = {}
for _, t in ipairs({ _G, string, table, math }) do
  local prev = ""
  for k in pairs(t) do
    if type(k) == "string" then
      if k < prev then out[#out + 1] = prev .. " before " .. k end
      prev = k
    end
  end
end
return table.concat(out, ", ")`
	L := New()
	L.SetGlobal("added", lua.LTrue) // an owner's global, sorted by SortKeys
	SortKeys(L)
	if got := call(t, L, src); got != "" {
		t.Fatalf("out of order: %s", got)
	}
}
