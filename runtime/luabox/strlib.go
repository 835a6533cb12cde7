package luabox

import (
	"math"
	"math/bits"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The sandbox's library functions that can run or allocate without bound
// in Go, out of the VM's sight, are replaced or wrapped here so that they
// charge their work to the guard (docs/lua-api.md, Limits):
//
//   - string.find, match, gmatch and gsub use the pattern matcher of
//     pattern.go, which counts its steps; gmatch finds one match at a
//     time;
//   - string.rep, gsub, format, upper, lower, reverse and sub, and
//     table.concat, ask for the size of their result before they build
//     it (need), and take one step per 32 bytes;
//   - table.sort takes n·log2(n) steps before it sorts (a comparator
//     written in Lua counts its own instructions besides);
//   - table.insert and rawset at a far integer key charge the array part
//     they fill, as the VM's own assignment does (peek.go).
//
// Everything else in the base, string, table and math libraries does work
// bounded by its arguments' sizes, which the memory cap bounds in turn.

// guardedString installs the guarded string functions in the string
// table mod.
func guardedString(L *lua.LState, mod *lua.LTable) {
	format := mod.RawGetString("format").(*lua.LFunction).GFunction
	funcs := map[string]lua.LGFunction{
		"find":  func(L *lua.LState) int { return strFind(L, true) },
		"match": func(L *lua.LState) int { return strFind(L, false) },
		"gsub":  strGsub,
		"rep":   strRep,
		"format": func(L *lua.LState) int {
			strFormatCheck(L)
			return format(L)
		},
	}
	for _, name := range []string{"upper", "lower", "reverse", "sub"} {
		// Their result is no longer than their argument, a string that
		// exists already: it is charged once made.
		fn := mod.RawGetString(name).(*lua.LFunction).GFunction
		funcs[name] = func(L *lua.LState) int {
			n := fn(L)
			if s, ok := L.Get(-1).(lua.LString); ok && n == 1 {
				need(L, "string."+name, int64(len(s)))
			}
			return n
		}
	}
	for name, fn := range funcs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	gmatch := L.NewFunction(strGmatch)
	mod.RawSetString("gmatch", gmatch)
	mod.RawSetString("gfind", gmatch)
}

// guardedTable installs the guarded table functions in the table table
// mod, and rawset in the globals.
func guardedTable(L *lua.LState, mod *lua.LTable) {
	sortFn := mod.RawGetString("sort").(*lua.LFunction).GFunction
	insert := mod.RawGetString("insert").(*lua.LFunction).GFunction
	rawset := L.GetGlobal("rawset").(*lua.LFunction).GFunction
	mod.RawSetString("concat", L.NewFunction(tableConcat))
	mod.RawSetString("sort", L.NewFunction(func(L *lua.LState) int {
		n := int64(L.CheckTable(1).Len())
		charge(L, n*int64(bits.Len64(uint64(n))))
		return sortFn(L)
	}))
	mod.RawSetString("insert", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 3 {
			need(L, "table.insert", farAssign(L.CheckTable(1), L.Get(2)))
		}
		if t, ok := L.Get(1).(*lua.LTable); ok {
			presize(t, lua.LNumber(1))
		}
		return insert(L)
	}))
	L.SetGlobal("rawset", L.NewFunction(func(L *lua.LState) int {
		need(L, "rawset", farAssign(L.CheckTable(1), L.Get(2)))
		return rawset(L)
	}))
}

// strRep lua string.rep(s, n)
func strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckNumber(2)
	if !(n >= 1) || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	size := float64(len(s)) * math.Floor(float64(n))
	if size > math.MaxInt64/2 {
		size = math.MaxInt64 / 2
	}
	need(L, "string.rep", int64(size))
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// posrelat turns a Lua string position (negative: from the end) into a
// 0-based offset clamped to [0, l].
func startAt(pos, l int) int {
	if pos < 0 {
		pos = l + pos + 1
	}
	pos--
	if pos < 0 {
		return 0
	}
	if pos > l {
		return l
	}
	return pos
}

const specials = "^$*+?.([%-"

// strFind lua string.find(s, pattern [, init [, plain]]) and string.match(s, pattern [, init])
func strFind(L *lua.LState, find bool) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	init := startAt(L.OptInt(3, 1), len(s))
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, specials)) {
		charge(L, int64(len(s)-init)/32)
		i := strings.Index(s[init:], pat)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + i + 1))
		L.Push(lua.LNumber(init + i + len(pat)))
		return 2
	}
	anchor := strings.HasPrefix(pat, "^")
	if anchor {
		pat = pat[1:]
	}
	m := newMatcher(L, s, pat)
	for s1 := init; ; s1++ {
		m.reset()
		if e := m.match(s1, 0); e != -1 {
			m.flush()
			if find {
				L.Push(lua.LNumber(s1 + 1))
				L.Push(lua.LNumber(e))
				return m.push(-1, 0, false) + 2
			}
			return m.push(s1, e, true)
		}
		if s1 >= len(s) || anchor {
			break
		}
	}
	m.flush()
	L.Push(lua.LNil)
	return 1
}

// strGmatch lua string.gmatch(s, pattern) returns an iterator over the matches
func strGmatch(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m := newMatcher(L, s, pat)
		for src := pos; src <= len(s); src++ {
			m.reset()
			if e := m.match(src, 0); e != -1 {
				pos = e
				if e == src {
					pos++ // an empty match: go on one further
				}
				m.flush()
				return m.push(src, e, true)
			}
		}
		pos = len(s) + 1
		m.flush()
		return 0
	}))
	return 1
}

// strGsub lua string.gsub(s, pattern, repl [, n]) returns the new string and the number of matches
func strGsub(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTString, lua.LTNumber, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected, got "+repl.Type().String())
	}
	maxN := L.OptInt(4, len(src)+1)
	anchor := strings.HasPrefix(pat, "^")
	if anchor {
		pat = pat[1:]
	}
	m := newMatcher(L, src, pat)
	var b strings.Builder
	reported := 0
	add := func(s string) {
		b.WriteString(s)
		if b.Len()-reported >= 64<<10 {
			grow(L, "string.gsub", int64(b.Len()), int64(b.Len()-reported))
			reported = b.Len()
		}
	}
	s, n := 0, 0
	for n < maxN {
		m.reset()
		e := m.match(s, 0)
		if e != -1 {
			n++
			m.flush()
			add(gsubValue(L, m, repl, s, e))
		}
		switch {
		case e != -1 && e > s:
			s = e
		case s < len(src):
			add(src[s : s+1])
			s++
		default:
			goto done
		}
		if anchor {
			break
		}
	}
done:
	m.flush()
	if s < len(src) {
		add(src[s:])
	}
	grow(L, "string.gsub", int64(b.Len()), int64(b.Len()-reported))
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// gsubValue returns the replacement of the match src[s:e].
func gsubValue(L *lua.LState, m *matcher, repl lua.LValue, s, e int) string {
	whole := m.src[s:e]
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		str := lua.LVAsString(r)
		if !strings.Contains(str, "%") {
			return str
		}
		var b strings.Builder
		for i := 0; i < len(str); i++ {
			c := str[i]
			if c != '%' || i+1 == len(str) {
				b.WriteByte(c)
				continue
			}
			i++
			c = str[i]
			switch {
			case c == '0':
				b.WriteString(whole)
			case isDigit(c):
				b.WriteString(lua.LVAsString(m.get(int(c-'1'), s, e)))
			default:
				b.WriteByte(c)
			}
			if b.Len() > 64<<10 {
				grow(L, "string.gsub", int64(b.Len()), 0)
			}
		}
		return b.String()
	case *lua.LTable:
		v = L.GetTable(r, m.get(0, s, e))
	case *lua.LFunction:
		top := L.GetTop()
		L.Push(r)
		n := m.push(s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.SetTop(top)
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return whole
	case lua.LBool:
		if !bool(v) {
			return whole
		}
	case lua.LString, lua.LNumber:
		return lua.LVAsString(v)
	}
	L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	return ""
}

// strFormatCheck refuses what would make string.format allocate without
// bound: a width or precision of more than two digits (as Lua 5.1 does),
// or a result over the memory cap.
func strFormatCheck(L *lua.LState) {
	f := L.CheckString(1)
	size := int64(len(f))
	arg := 2
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		digits := 0
		for i < len(f) && isDigit(f[i]) {
			i++
			digits++
		}
		if i < len(f) && f[i] == '.' {
			i++
			prec := 0
			for i < len(f) && isDigit(f[i]) {
				i++
				prec++
			}
			digits = max(digits, prec)
		}
		if digits > 2 {
			L.RaiseError("invalid format (width or precision of more than 2 digits)")
		}
		size += 100
		if i < len(f) && f[i] == 's' || i < len(f) && f[i] == 'q' {
			size += 2 * int64(len(lua.LVAsString(L.Get(arg))))
		}
		arg++
	}
	need(L, "string.format", size)
}

// tableConcat lua table.concat(t [, sep [, i [, j]]])
func tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	var size int64
	for k := i; k <= j; k++ {
		v := t.RawGetInt(k)
		if !lua.LVCanConvToString(v) {
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		size += int64(len(lua.LVAsString(v)) + len(sep))
		if k%1024 == 0 {
			charge(L, 1024)
			grow(L, "table.concat", size, 0)
		}
	}
	need(L, "table.concat", size)
	var b strings.Builder
	b.Grow(int(size))
	for k := i; k <= j; k++ {
		b.WriteString(lua.LVAsString(t.RawGetInt(k)))
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}
