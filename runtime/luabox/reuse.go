package luabox

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// A VM made by New and set up by its owner (the node runtime adds its
// `node` module, require and print) costs more to build than most
// simulated schedules take to run. Pristine lets one VM serve schedule
// after schedule: Snapshot records, right after the set-up, every table
// a script can reach without having made it (the globals, the libraries,
// the registry, the metatables of the built-in types, and what those
// reach) down to gopher-lua's internal fields: the array part, both hash
// parts, and the list of keys that fixes the order of pairs and next,
// removed keys included. Restore puts every one of them back exactly as
// recorded, the metatables, the environments of Lua functions, the
// values of upvalues and the thread's environment too; what a script
// made itself is then out of reach, as in a new VM. A script cannot tell
// a restored VM from a new one: the same globals, library functions,
// metatables and order of pairs (TestRestoreUndoesHostileScript).
//
// The owner remakes what lives outside the tables: the main coroutine
// (a new thread), the guard's counts (Guard.Reset), and the state of
// its Go functions (the node reseeds math.random).
//
// gopher-lua exports none of a table's parts: their layout is found by
// reflection once, as peek.go does, and checked field by field; when it
// is not the one expected, Snapshot returns nil, the owner builds a new
// VM for every run, and TestReuseLayout fails so that nobody misses it.
var restorable bool

var tableLayout struct {
	array, dict, strdict, keys, k2i uintptr
}

func init() {
	t := reflect.TypeOf(lua.LTable{})
	field := func(name string, want reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want {
			return 0, false
		}
		return f.Offset, true
	}
	var ok [5]bool
	tableLayout.array, ok[0] = field("array", reflect.TypeOf([]lua.LValue(nil)))
	tableLayout.dict, ok[1] = field("dict", reflect.TypeOf(map[lua.LValue]lua.LValue(nil)))
	tableLayout.strdict, ok[2] = field("strdict", reflect.TypeOf(map[string]lua.LValue(nil)))
	tableLayout.keys, ok[3] = field("keys", reflect.TypeOf([]lua.LValue(nil)))
	tableLayout.k2i, ok[4] = field("k2i", reflect.TypeOf(map[lua.LValue]int(nil)))
	restorable = peekable && ok == [5]bool{true, true, true, true, true}
}

// parts are pointers to a table's internal fields.
type parts struct {
	array   *[]lua.LValue
	dict    *map[lua.LValue]lua.LValue
	strdict *map[string]lua.LValue
	keys    *[]lua.LValue
	k2i     *map[lua.LValue]int
}

func partsOf(t *lua.LTable) parts {
	p := unsafe.Pointer(t)
	return parts{
		array:   (*[]lua.LValue)(unsafe.Add(p, tableLayout.array)),
		dict:    (*map[lua.LValue]lua.LValue)(unsafe.Add(p, tableLayout.dict)),
		strdict: (*map[string]lua.LValue)(unsafe.Add(p, tableLayout.strdict)),
		keys:    (*[]lua.LValue)(unsafe.Add(p, tableLayout.keys)),
		k2i:     (*map[lua.LValue]int)(unsafe.Add(p, tableLayout.k2i)),
	}
}

// Pristine is a VM's reachable tables as they were when it was set up.
type Pristine struct {
	L      *lua.LState
	env    *lua.LTable
	tables []savedTable
	funcs  []savedFunc
}

type savedTable struct {
	t       *lua.LTable
	meta    lua.LValue
	array   []lua.LValue
	dict    map[lua.LValue]lua.LValue
	strdict map[string]lua.LValue
	keys    []lua.LValue
	k2i     map[lua.LValue]int
	// The hash parts again as lists, for unchanged: walking a list is
	// cheaper than walking a map.
	strs  []strEntry
	other []entry
}

type strEntry struct {
	k string
	v lua.LValue
}

type entry struct{ k, v lua.LValue }

type savedFunc struct {
	fn  *lua.LFunction
	env *lua.LTable
	up  []lua.LValue // the upvalues' values
}

// Snapshot records what a script can reach in L, which must be idle (no
// call running); nil when tables cannot be restored in this build of
// gopher-lua.
func Snapshot(L *lua.LState) *Pristine {
	if !restorable || !Idle(L) {
		return nil
	}
	p := &Pristine{L: L, env: L.Env}
	seen := map[any]bool{}
	var todo []lua.LValue
	push := func(v lua.LValue) {
		switch v.(type) {
		case *lua.LTable, *lua.LFunction, *lua.LUserData:
			if !seen[v] {
				seen[v] = true
				todo = append(todo, v)
			}
		}
	}
	push(L.G.Global)
	push(L.G.Registry)
	push(L.Env)
	// The built-in types' metatables (the string library's, in the
	// sandbox): a script reaches them with getmetatable("").
	for _, v := range []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0), lua.LString(""),
		L.NewFunction(func(*lua.LState) int { return 0 }), L, lua.LChannel(nil)} {
		push(L.GetMetatable(v))
	}
	for len(todo) > 0 {
		v := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		switch v := v.(type) {
		case *lua.LTable:
			in := partsOf(v)
			st := savedTable{t: v, meta: v.Metatable,
				array: slices.Clone(*in.array), dict: maps.Clone(*in.dict), strdict: maps.Clone(*in.strdict),
				keys: slices.Clone(*in.keys), k2i: maps.Clone(*in.k2i)}
			for k, x := range st.strdict {
				st.strs = append(st.strs, strEntry{k, x})
			}
			for k, x := range st.dict {
				st.other = append(st.other, entry{k, x})
			}
			p.tables = append(p.tables, st)
			push(v.Metatable)
			for k, x := v.Next(lua.LNil); k != lua.LNil; k, x = v.Next(k) {
				push(k)
				push(x)
			}
		case *lua.LFunction:
			// A Lua function can change its upvalues, and setfenv its
			// environment; a Go function neither (setfenv refuses it, and
			// there is no debug library): only what it reaches is kept.
			f := savedFunc{fn: v, env: v.Env}
			for _, uv := range v.Upvalues {
				var x lua.LValue = lua.LNil
				if uv != nil {
					x = uv.Value()
				}
				f.up = append(f.up, x)
				push(x)
			}
			if !v.IsG {
				p.funcs = append(p.funcs, f)
			}
			if v.Env != nil {
				push(v.Env)
			}
		case *lua.LUserData:
			push(v.Metatable)
			if v.Env != nil {
				push(v.Env)
			}
		}
	}
	return p
}

// Restore puts back every table, function environment and upvalue that
// Snapshot recorded, empties L's value stack and gives it back its
// environment. L must be idle: no call running in it.
func (p *Pristine) Restore() {
	for i := range p.tables {
		s := &p.tables[i]
		if s.unchanged() {
			continue
		}
		in := partsOf(s.t)
		s.t.Metatable = s.meta
		*in.array = slices.Clone(s.array)
		*in.dict = maps.Clone(s.dict)
		*in.strdict = maps.Clone(s.strdict)
		*in.keys = slices.Clone(s.keys)
		*in.k2i = maps.Clone(s.k2i)
	}
	for _, f := range p.funcs {
		if f.fn.Env != f.env {
			f.fn.Env = f.env
		}
		for i, uv := range f.fn.Upvalues {
			if uv != nil && uv.Value() != f.up[i] {
				uv.SetValue(f.up[i])
			}
		}
	}
	p.L.SetTop(0)
	p.L.Env = p.env
	p.L.G.CurrentThread = p.L
}

// unchanged reports whether the table holds what was recorded, in the
// same order: then it is left as it is. Keys are only ever appended to
// the list (a removed key stays, so that next can go on past it), and
// k2i changes with the list, so equal lists mean equal orders.
func (s *savedTable) unchanged() bool {
	in := partsOf(s.t)
	array, keys, strdict, dict := *in.array, *in.keys, *in.strdict, *in.dict
	if s.t.Metatable != s.meta || len(array) != len(s.array) || len(keys) != len(s.keys) ||
		len(strdict) != len(s.strdict) || len(dict) != len(s.dict) || len(*in.k2i) != len(s.k2i) ||
		(strdict == nil) != (s.strdict == nil) || (dict == nil) != (s.dict == nil) ||
		(keys == nil) != (s.keys == nil) || (array == nil) != (s.array == nil) {
		return false
	}
	for i, v := range s.array {
		if array[i] != v {
			return false
		}
	}
	for i, k := range s.keys {
		if keys[i] != k {
			return false
		}
	}
	for _, e := range s.strs {
		if w, ok := strdict[e.k]; !ok || w != e.v {
			return false
		}
	}
	for _, e := range s.other {
		if w, ok := dict[e.k]; !ok || w != e.v {
			return false
		}
	}
	return true
}

// SortKeys puts the string keys of every table a script can reach in L
// in sorted order, the order pairs and next walk them, and forgets the
// keys of removed entries: gopher-lua fills its libraries from Go maps,
// in an order that changes from one VM to the next, and a simulated
// schedule must repeat exactly. New calls it; an owner that adds
// globals calls it again. Without the table layout (restorable) the
// order is left as it is.
func SortKeys(L *lua.LState) {
	if !restorable {
		return
	}
	seen := map[*lua.LTable]bool{}
	todo := []*lua.LTable{L.G.Global, L.G.Registry}
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		todo = append(todo, mt)
	}
	for len(todo) > 0 {
		t := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[t] {
			continue
		}
		seen[t] = true
		in := partsOf(t)
		var strs, others []lua.LValue
		for _, k := range *in.keys {
			if t.RawGet(k) == lua.LNil {
				continue
			}
			if _, ok := k.(lua.LString); ok {
				strs = append(strs, k)
			} else {
				others = append(others, k)
			}
		}
		slices.SortFunc(strs, func(a, b lua.LValue) int { return strings.Compare(string(a.(lua.LString)), string(b.(lua.LString))) })
		keys := append(strs, others...)
		if *in.keys != nil {
			*in.keys = keys
			*in.k2i = make(map[lua.LValue]int, len(keys))
			for i, k := range keys {
				(*in.k2i)[k] = i
			}
		}
		t.ForEach(func(_, v lua.LValue) {
			if x, ok := v.(*lua.LTable); ok {
				todo = append(todo, x)
			}
		})
		if mt, ok := t.Metatable.(*lua.LTable); ok {
			todo = append(todo, mt)
		}
	}
}

// presize gives an empty table the small part that its first key needs
// (a map for a string key, an array for key 1) before the VM assigns
// it: gopher-lua would make room for 32 entries there, and these rooms,
// most of them never filled, were half of what a simulated schedule
// allocated. A script cannot see a part's capacity. Without the table
// layout (restorable) nothing is done.
func presize(t *lua.LTable, key lua.LValue) {
	if !restorable {
		return
	}
	switch k := key.(type) {
	case lua.LString:
		if p := (*map[string]lua.LValue)(unsafe.Add(unsafe.Pointer(t), tableLayout.strdict)); *p == nil {
			*p = map[string]lua.LValue{}
		}
	case lua.LNumber:
		if p := (*[]lua.LValue)(unsafe.Add(unsafe.Pointer(t), tableLayout.array)); k == 1 && *p == nil {
			*p = make([]lua.LValue, 0, 4)
		}
	}
}

// NewRecord returns a table of the fields names[i] = values[i], which
// pairs walks in that order, as if they had been assigned one by one,
// but built at its final size: gopher-lua grows a table's parts key by
// key, and the node builds one such table for every message delivered.
// names are lua.LString values, made once by the caller.
func NewRecord(names []lua.LValue, values []lua.LValue) *lua.LTable {
	t := &lua.LTable{Metatable: lua.LNil}
	if !restorable {
		for i, k := range names {
			t.RawSetString(string(k.(lua.LString)), values[i])
		}
		return t
	}
	strdict := make(map[string]lua.LValue, len(names))
	keys := make([]lua.LValue, 0, len(names))
	k2i := make(map[lua.LValue]int, len(names))
	for i, k := range names {
		if values[i] == lua.LNil {
			continue
		}
		strdict[string(k.(lua.LString))] = values[i]
		k2i[k] = len(keys)
		keys = append(keys, k)
	}
	in := partsOf(t)
	*in.strdict, *in.keys, *in.k2i = strdict, keys, k2i
	return t
}

// Idle reports whether no call is running in L: the state between two
// events, where a VM may be restored.
func Idle(L *lua.LState) bool {
	if !peekable || L == nil {
		return false
	}
	return *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), layout.frame)) == nil
}

// threadLayout locates the fields of an LState that say a finished
// coroutine left nothing behind.
var threadLayout struct {
	ok                    bool
	uvcache, stop         uintptr
	wrapped, hasErrorFunc uintptr
}

func init() {
	t := reflect.TypeOf(lua.LState{})
	field := func(name string, want reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want {
			return 0, false
		}
		return f.Offset, true
	}
	var ok [4]bool
	threadLayout.uvcache, ok[0] = field("uvcache", reflect.TypeOf((*lua.Upvalue)(nil)))
	threadLayout.stop, ok[1] = field("stop", reflect.TypeOf(int32(0)))
	threadLayout.wrapped, ok[2] = field("wrapped", reflect.TypeOf(false))
	threadLayout.hasErrorFunc, ok[3] = field("hasErrorFunc", reflect.TypeOf(false))
	threadLayout.ok = peekable && ok == [4]bool{true, true, true, true}
}

// Rewind makes co, a coroutine whose function has returned, ready to
// start another function (Resume) as a new thread would, with env as its
// environment: nothing of the finished run is left in it (no frame, no
// value on its stack, no open upvalue). It reports false, and changes
// nothing, when co has not returned or may hold something: make a new
// thread then.
func Rewind(co *lua.LState, env *lua.LTable) bool {
	if !threadLayout.ok || co == nil || !co.Dead || co.Parent != nil || !Idle(co) {
		return false
	}
	p := unsafe.Pointer(co)
	if *(**lua.Upvalue)(unsafe.Add(p, threadLayout.uvcache)) != nil || *(*int32)(unsafe.Add(p, threadLayout.stop)) != 0 ||
		*(*bool)(unsafe.Add(p, threadLayout.wrapped)) || *(*bool)(unsafe.Add(p, threadLayout.hasErrorFunc)) {
		return false
	}
	co.SetTop(0)
	co.Dead = false
	co.Env = env
	return true
}
