package luabox

import (
	"fmt"
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The two instructions of the Lua VM that can allocate without bound in
// one step, and that no library function of ours sees: `..`
// (OP_CONCAT: a loop of s = s .. s doubles a string at each turn) and an
// assignment to a far integer key (OP_SETTABLE: t[60000000] = 1 fills
// gopher-lua's array part with 60 million nils). Done looks at the
// instruction about to run and charges what it will allocate against the
// memory cap before it runs, so neither outruns the cap.
//
// gopher-lua exports no way to see the running instruction; its layout
// (the current call frame and the value stack of an LState) is found by
// reflection here, once, and checked field by field. peekable is false if
// the layout is not the one expected (another gopher-lua version): the
// cap then holds only at the periodic checks, and the test of the guard
// (TestPeekLayout) fails so that nobody misses it.
var peekable bool

var layout struct {
	frame, reg        uintptr // LState.currentFrame, LState.reg
	fn, pc, localBase uintptr // callFrame.Fn, .Pc, .LocalBase
	array, top        uintptr // registry.array, .top
}

func init() {
	ls := reflect.TypeOf(lua.LState{})
	field := func(t reflect.Type, name string, want reflect.Type, kind reflect.Kind) (uintptr, reflect.Type, bool) {
		f, ok := t.FieldByName(name)
		if !ok || (want != nil && f.Type != want) || (want == nil && f.Type.Kind() != kind) {
			return 0, nil, false
		}
		return f.Offset, f.Type, true
	}
	intT := reflect.TypeOf(0)
	var ok [7]bool
	var cfT, regT reflect.Type
	layout.frame, cfT, ok[0] = field(ls, "currentFrame", nil, reflect.Pointer)
	layout.reg, regT, ok[1] = field(ls, "reg", nil, reflect.Pointer)
	if !ok[0] || !ok[1] || cfT.Elem().Kind() != reflect.Struct || regT.Elem().Kind() != reflect.Struct {
		return
	}
	layout.fn, _, ok[2] = field(cfT.Elem(), "Fn", reflect.TypeOf((*lua.LFunction)(nil)), 0)
	layout.pc, _, ok[3] = field(cfT.Elem(), "Pc", intT, 0)
	layout.localBase, _, ok[4] = field(cfT.Elem(), "LocalBase", intT, 0)
	layout.array, _, ok[5] = field(regT.Elem(), "array", reflect.TypeOf([]lua.LValue(nil)), 0)
	layout.top, _, ok[6] = field(regT.Elem(), "top", intT, 0)
	peekable = ok == [7]bool{true, true, true, true, true, true, true}
}

// stack returns L's value stack up to its top; nil when it cannot be
// seen.
func stack(L *lua.LState) []lua.LValue {
	if !peekable {
		return nil
	}
	reg := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), layout.reg))
	if reg == nil {
		return nil
	}
	arr := *(*[]lua.LValue)(unsafe.Add(reg, layout.array))
	top := *(*int)(unsafe.Add(reg, layout.top))
	if top < 0 || top > len(arr) {
		top = len(arr)
	}
	return arr[:top]
}

// Instruction fields (gopher-lua's opcode.go, Lua 5.1's layout).
const (
	opConcat     = lua.OP_CONCAT
	opSetTable   = lua.OP_SETTABLE
	opSetTableKS = lua.OP_SETTABLEKS
	bitRK        = 1 << 8
)

// farKey is the smallest integer key whose assignment is looked at: below
// it, an array part grows by at most farKey slots in one instruction.
const farKey = 4096

// allocates returns the bytes the instruction about to run in L
// (fetched, its pc already advanced) will allocate, when it is a
// concatenation or an assignment to a far integer key; 0 otherwise. An
// assignment to an empty table first gets the table a small part for
// its key (presize).
func allocates(L *lua.LState) int64 {
	cf := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), layout.frame))
	if cf == nil {
		return 0
	}
	fn := *(**lua.LFunction)(unsafe.Add(cf, layout.fn))
	if fn == nil || fn.IsG || fn.Proto == nil {
		return 0
	}
	pc := *(*int)(unsafe.Add(cf, layout.pc))
	code := fn.Proto.Code
	if pc < 1 || pc > len(code) {
		return 0
	}
	inst := code[pc-1]
	op := int(inst >> 26)
	if op != opConcat && op != opSetTable && op != opSetTableKS {
		return 0
	}
	base := *(*int)(unsafe.Add(cf, layout.localBase))
	regs := stack(L)
	reg := func(i int) lua.LValue {
		if i < 0 || i >= len(regs) {
			return lua.LNil
		}
		return regs[i]
	}
	a := int(inst>>18) & 0xff
	b := int(inst & 0x1ff)
	c := int(inst>>9) & 0x1ff
	if op == opConcat {
		var n int64
		for i := base + b; i <= base+c; i++ {
			switch v := reg(i).(type) {
			case lua.LString:
				n += int64(len(v))
			case lua.LNumber:
				n += 24
			}
		}
		return n
	}
	// OP_SETTABLE and OP_SETTABLEKS (a constant string key):
	// R(A)[RK(B)] = RK(C).
	var key lua.LValue
	if b&bitRK != 0 {
		k := b &^ bitRK
		if k >= len(fn.Proto.Constants) {
			return 0
		}
		key = fn.Proto.Constants[k]
	} else {
		key = reg(base + b)
	}
	t, ok := reg(base + a).(*lua.LTable)
	if !ok {
		return 0
	}
	presize(t, key)
	return farAssign(t, key)
}

// farAssign returns the bytes t's array part grows by when key is
// assigned: the nils that fill the gap up to a far integer key.
func farAssign(t *lua.LTable, key lua.LValue) int64 {
	k, ok := key.(lua.LNumber)
	if !ok || k < farKey || k >= lua.LNumber(lua.MaxArrayIndex) || k != lua.LNumber(int64(k)) {
		return 0
	}
	if gap := int64(k) - int64(t.MaxN()) - 1; gap > farKey {
		return gap * 16
	}
	return 0
}

// where returns "file:line" of the instruction L ran last, "" when it
// cannot be seen: after an error that names no position (a stack
// overflow, an error value that is not a string) the VM's frames are
// still where the error was raised.
func where(L *lua.LState) string {
	if !peekable || L == nil {
		return ""
	}
	cf := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), layout.frame))
	if cf == nil {
		return ""
	}
	fn := *(**lua.LFunction)(unsafe.Add(cf, layout.fn))
	if fn == nil || fn.IsG || fn.Proto == nil {
		return ""
	}
	pc := *(*int)(unsafe.Add(cf, layout.pc))
	pos := fn.Proto.DbgSourcePositions
	if pc < 1 || pc > len(pos) {
		return ""
	}
	return fmt.Sprintf("%s:%d", fn.Proto.SourceName, pos[pc-1])
}
