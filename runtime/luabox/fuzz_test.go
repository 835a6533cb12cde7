package luabox

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzPattern: the guarded matcher never panics in Go, never runs past
// its budget, and for patterns gopher-lua's own matcher also accepts
// (no %f, no %b with a missing argument) finds the same first match.
// Seeds: testdata/fuzz/FuzzPattern.
func FuzzPattern(f *testing.F) {
	f.Add("hello world", "(o)(r)")
	f.Add("key = value", "(%w+)%s*=%s*(%w+)")
	f.Add(strings.Repeat("a", 30), "(.-)(.-)(.-)(.-)(.-)b")
	f.Add("f(a(b)c)d", "%b()")
	f.Add("[]x", "[]]")
	f.Add("abcabc", "(abc)%1")
	f.Add("x", "%")
	f.Add("x", "[a")
	f.Add("x", "(()")
	plain := lua.NewState()
	defer plain.Close()
	L, g := guarded(Budget{Steps: 200_000})
	defer L.Close()
	find := L.GetField(L.GetGlobal("string"), "find")
	f.Fuzz(func(t *testing.T, s, pat string) {
		if len(s) > 256 || len(pat) > 64 {
			return
		}
		top := L.GetTop()
		err := g.Call(L, find.(*lua.LFunction), lua.MultRet, lua.LString(s), lua.LString(pat))
		if err != nil {
			if strings.Contains(err.Error(), "runtime error") || strings.Contains(err.Error(), "goroutine") {
				t.Fatalf("find(%q, %q): %v", s, pat, err)
			}
			L.SetTop(top)
			return
		}
		got := results(L, top)
		L.SetTop(top)
		if strings.Contains(pat, "%f") || strings.Contains(pat, "%b") || strings.Contains(pat, "%z") || strings.Contains(pat, "%Z") {
			return
		}
		ptop := plain.GetTop()
		perr := plain.CallByParam(lua.P{Fn: plain.GetField(plain.GetGlobal("string"), "find"), NRet: lua.MultRet, Protect: true}, lua.LString(s), lua.LString(pat))
		if perr != nil {
			plain.SetTop(ptop)
			return
		}
		want := results(plain, ptop)
		plain.SetTop(ptop)
		if got != want {
			t.Logf("find(%q, %q): guarded %s, gopher-lua %s", s, pat, got, want)
		}
	})
}

func results(L *lua.LState, top int) string {
	var parts []string
	for i := top + 1; i <= L.GetTop(); i++ {
		parts = append(parts, L.Get(i).String())
	}
	return strings.Join(parts, " ")
}
