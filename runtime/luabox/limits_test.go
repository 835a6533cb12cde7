package luabox

import (
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func TestPeekLayout(t *testing.T) {
	if !peekable {
		t.Fatal("gopher-lua's layout is not the one peek.go expects: `..` and far keys are checked only every few thousand instructions")
	}
}

// Every way a script could run or allocate past its budget inside one
// library call or one instruction is stopped with the script's file:line.
func TestLibraryCallsBounded(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"catastrophic pattern", `return string.find(string.rep("a",40), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b")`, "x.lua:1: ran more than 20000000 Lua steps"},
		{"gmatch catastrophic", `for a in string.gmatch(string.rep("a",40), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b") do end`, "x.lua:1: ran more than 20000000 Lua steps"},
		{"gsub catastrophic", `return string.gsub(string.rep("a",40), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b", "")`, "x.lua:1: ran more than 20000000 Lua steps"},
		{"deep pattern", `return string.find("aaaa", string.rep("a-", 1000))`, "x.lua:1: pattern too complex"},
		{"rep 4e9", `local s = string.rep("x", 4e9)`, "x.lua:1: string.rep: a result of 3.7 GB would exceed the memory cap of 256 MB"},
		{"rep 1e11", "\nlocal s = ('x'):rep(1e11)", "x.lua:2: string.rep: a result of 93 GB would exceed the memory cap of 256 MB"},
		{"rep inf", `local s = string.rep("x", 1/0)`, "memory cap of 256 MB"},
		{"concat doubling", "local s = 'x'\nfor i = 1, 64 do s = s .. s end", "x.lua:2: would hold more than the memory cap of 256 MB"},
		{"table.concat", "local t = {}\nlocal s = string.rep('x', 1e6)\nfor i = 1, 300 do t[i] = s end\nreturn table.concat(t)", "x.lua:4: table.concat: a result of 286 MB would exceed the memory cap of 256 MB"},
		{"table of big strings", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1e7) .. i end", "x.lua:2: "},
		{"far key", "local t = {}\nt[60000000] = 1\nlocal u = {} u[60000000] = 2 local v = {} v[60000000] = 3", "x.lua:2: would hold more than the memory cap of 256 MB (9 KB held, 915 MB more asked for)"},
		{"rawset far", "local t, u, v = {}, {}, {}\nrawset(t, 60000000, 1) rawset(u, 60000000, 1) rawset(v, 60000000, 1)", "memory cap"},
		{"format width", `return string.format("%999999999d", 1)`, "x.lua:1: invalid format"},
		{"gsub growth", "local s = string.rep('x', 1e6)\nfor i = 1, 20 do s = s:gsub('x', 'xx') end", "x.lua:2: "},
		{"sort huge", "local t = {}\nfor i = 1, 2e6 do t[i] = -i end\ntable.sort(t)", "x.lua:3: ran more than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			L, g := guarded(Budget{Steps: DefaultSteps})
			defer L.Close()
			start := time.Now()
			err := g.Call(L, load(t, L, tt.src), 0)
			got := ErrorLine(err)
			if err == nil || !strings.Contains(got, tt.want) {
				t.Fatalf("got  %v\nwant %s", got, tt.want)
			}
			t.Logf("%s (%v)", got, time.Since(start).Round(time.Millisecond))
		})
	}
}

// The guarded functions behave as gopher-lua's own.
func TestGuardedStringsAgree(t *testing.T) {
	plain := lua.NewState()
	defer plain.Close()
	L, g := guarded(Budget{Steps: DefaultSteps})
	defer L.Close()
	for _, expr := range []string{
		`string.find("hello world", "o w")`,
		`string.find("hello world", "l+")`,
		`string.find("hello world", "(l+)(o)")`,
		`string.find("hello", "l", 1, true)`,
		`string.find("hello", "xyz")`,
		`string.find("hello", "^h")`,
		`string.find("hello", "^e")`,
		`string.find("hello", "o$")`,
		`string.find("hello", "()ll()")`,
		`string.find("a.b", ".", 1, true)`,
		`string.find("hello", "l", -2)`,
		`string.match("key = value", "(%w+)%s*=%s*(%w+)")`,
		`string.match("  trim  ", "^%s*(.-)%s*$")`,
		`string.match("THE (quick) fox", "%((%a+)%)")`,
		`string.match("f(a(b)c)d", "%b()")`,
		`string.match("abcabc", "(abc)%1")`,
		`string.match("x=1, y=2", "[%a_][%w_]*")`,
		`string.match("2024-01-15", "(%d+)-(%d+)-(%d+)")`,
		`string.match("hello", ".-l")`,
		`string.match("[]", "[]]")`,
		`string.match("a-b", "[a%-]+")`,
		`string.match("hello", "[^aeiou]+")`,
		`string.gsub("hello world", "o", "0")`,
		`string.gsub("hello world", "(%w+)", "<%1>")`,
		`string.gsub("hello world", "%w+", "%0 %0", 1)`,
		`string.gsub("abc", "", "-")`,
		`string.gsub("hello", "l", {l = "L"})`,
		`string.gsub("hello", "(h)(e)", function(a, b) return b .. a end)`,
		`string.gsub("hello", "x*", "-")`,
		`string.gsub("abc", "^a", "x")`,
		`string.gsub("$1.50", "%$", "USD")`,
		`string.rep("ab", 3)`,
		`string.rep("ab", 0)`,
		`table.concat({1, 2, "x"}, ", ")`,
		`table.concat({1, 2, 3}, "-", 2, 3)`,
		`string.format("%5.2f|%d|%s|%q", 3.14159, 42, "hi", "a\"b")`,
		`string.upper("abc"), string.lower("ABC"), string.reverse("abc"), string.sub("hello", 2, -2)`,
	} {
		a := evalAll(t, plain, nil, expr)
		b := evalAll(t, L, g, expr)
		if a != b {
			t.Errorf("%s:\ngopher-lua %s\nguarded    %s", expr, a, b)
		}
	}
	// Lua 5.1's frontier pattern, which gopher-lua's matcher lacks.
	if got := evalAll(t, L, g, `string.match("THE (quick) fox", "%f[%a]%a+", 4)`); got != "string:quick" {
		t.Errorf("%%f: %s", got)
	}
	for _, src := range []string{
		`local out = {} for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do out[#out+1] = k .. v end return table.concat(out, ",")`,
		`local out = {} for w in string.gmatch("one two  three", "%a+") do out[#out+1] = w end return table.concat(out, ",")`,
		`local n = 0 for w in string.gmatch("abc", "") do n = n + 1 end return n`,
	} {
		a := evalAll(t, plain, nil, src)
		b := evalAll(t, L, g, src)
		if a != b {
			t.Errorf("%s:\ngopher-lua %s\nguarded    %s", src, a, b)
		}
	}
}

func evalAll(t *testing.T, L *lua.LState, g *Guard, src string) string {
	t.Helper()
	if !strings.HasPrefix(src, "local") {
		src = "return " + src
	}
	fn, err := L.LoadString(src)
	if err != nil {
		t.Fatal(err)
	}
	top := L.GetTop()
	if g != nil {
		err = g.Call(L, fn, lua.MultRet)
	} else {
		err = L.CallByParam(lua.P{Fn: fn, NRet: lua.MultRet, Protect: true})
	}
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for i := top + 1; i <= L.GetTop(); i++ {
		parts = append(parts, L.Get(i).Type().String()+":"+L.Get(i).String())
	}
	L.SetTop(top)
	return strings.Join(parts, " ")
}

// A coroutine's errors keep their position too, and a long message is
// cut with a note.
func TestCoroutineErrorLines(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"local function f() return 1 + f() end\nf()", "x.lua:1: stack overflow (a recursion without end?)"},
		{"\nerror({})", "x.lua:2: error value {}"},
		{"error(string.rep('E', 70000))", "x.lua:1: " + strings.Repeat("E", MaxMessage-len("x.lua:1: ")) + "… (69009 more bytes)"},
	} {
		L := New()
		co, _ := L.NewThread()
		g := NewGuard(Budget{Steps: DefaultSteps}, "")
		g.Watch(L)
		g.Watch(co)
		_, err := g.Resume(L, co, load(t, L, tt.src))
		if got := ErrorLine(err); got != tt.want {
			t.Errorf("%q:\ngot  %s\nwant %s", tt.src, got, tt.want)
		}
		L.Close()
	}
}
