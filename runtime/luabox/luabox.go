// Package luabox is the one home of the Lua sandbox that role scripts,
// algorithms and scenario files run in: which libraries a VM opens and
// which globals it removes (New), the guard that bounds every call into
// Lua (Guard, Budget), and the cleanup of Lua errors into one line
// "file:line: message" (Compile, ErrorOf). See docs/lua-api.md (Errors)
// and docs/scenario.md.
//
// It imports neither the node runtime nor the scenario loader; both
// import it.
package luabox

import (
	lua "github.com/yuin/gopher-lua"
)

// removed are the globals of the base library that reach the file system,
// load code from strings or print to the process's output, or that expose
// the collector: a script or a scenario file sees none of them. The node
// runtime installs its own require and print.
var removed = []string{"dofile", "loadfile", "load", "loadstring", "module", "require",
	"print", "_printregs", "newproxy", "collectgarbage"}

// New returns a VM with the base, table, string and math libraries only:
// nothing reaches the file system, the process or the network, and no
// coroutine library (the node runtime owns the one coroutine a script
// runs in). It has no guard yet: see NewGuard.
//
// Every VM is the same to a script, down to the order in which pairs
// walks the libraries: gopher-lua registers a library's functions in the
// random order of a Go map, so New puts each table's keys in sorted
// order (SortKeys).
func New() *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistrySize: 256,
		RegistryMaxSize: 1024 * 64, MinimizeStackMemory: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range removed {
		L.SetGlobal(name, lua.LNil)
	}
	guardedString(L, L.GetGlobal(lua.StringLibName).(*lua.LTable))
	guardedTable(L, L.GetGlobal(lua.TabLibName).(*lua.LTable))
	SortKeys(L)
	return L
}
