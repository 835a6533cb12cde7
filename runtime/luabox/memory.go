package luabox

import (
	"fmt"
	"math"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// memory is a guard's accounting of its VMs' memory (docs/lua-api.md,
// Limits).
//
// What the VMs hold is estimated by walking every value they can reach
// (the globals, the registry, the value stacks of the VMs and of their
// coroutines, and the roots only Go holds): a string counts its bytes
// (once, however many tables hold it), a table 64 bytes and 40 per
// entry, a function 64 and 16 per upvalue. The walk depends only on what
// the script did, so the simulator's verdicts repeat exactly. It runs
// every few thousand instructions (at most one instruction in eight is
// spent walking), and at once whenever the bytes charged since the last
// walk (what `..`, a far table key or a library function is about to
// allocate) could reach the cap. A node process (Budget.Heap) checks its
// whole heap instead, after a collection when it looks over.
type memory struct {
	limit int64
	heap  bool
	vms   []*lua.LState
	roots func() []lua.LValue

	used    int64 // at the last check
	charged int64 // bytes charged since
	instrs  int64 // instructions since
	every   int64 // instructions between two checks
	err     error
}

const (
	minEvery    = 4096
	chargeCheck = 16 << 20 // charged bytes that call for a check
)

func (m *memory) init(b Budget) {
	m.limit = b.Memory
	switch {
	case m.limit == 0:
		m.limit = DefaultMemory
	case m.limit < 0:
		m.limit = math.MaxInt64
	}
	m.heap = b.Heap
	m.every = minEvery
}

// due counts an instruction and reports whether a check is due.
func (m *memory) due() bool {
	m.instrs++
	return m.instrs >= m.every || m.charged >= chargeCheck
}

// charge counts n bytes about to be allocated; false when they do not
// fit under the cap even after a fresh check.
func (m *memory) charge(n int64) bool {
	m.charged += n
	if m.used+m.charged <= m.limit && m.charged < chargeCheck {
		return true
	}
	return m.checkWith(n)
}

// check measures what the VMs hold; false when it is over the cap.
func (m *memory) check() bool { return m.checkWith(0) }

func (m *memory) checkWith(pending int64) bool {
	m.instrs, m.charged = 0, 0
	if m.limit == math.MaxInt64 {
		return true
	}
	if m.heap {
		m.used = heapBytes()
		if m.used+pending > m.limit {
			m.used = liveHeap()
		}
	} else {
		var visited int64
		m.used, visited = m.estimate()
		m.every = max(minEvery, 8*visited)
	}
	if m.used+pending <= m.limit {
		return true
	}
	if pending > 0 {
		m.err = fmt.Errorf("would hold more than the memory cap of %s (%s held, %s more asked for)", Size(m.limit), Size(m.used), Size(pending))
	} else {
		m.err = fmt.Errorf("holds more than the memory cap of %s (%s)", Size(m.limit), Size(m.used))
	}
	return false
}

// estimate walks what the VMs can reach and returns its size and the
// number of values visited.
func (m *memory) estimate() (bytes, visited int64) {
	w := walker{seen: map[any]struct{}{}, strs: map[*byte]struct{}{}}
	for i, L := range m.vms {
		if i == 0 && L.G != nil {
			w.push(L.G.Global)
			w.push(L.G.Registry)
		}
		for _, v := range stack(L) {
			w.push(v)
		}
	}
	if m.roots != nil {
		for _, v := range m.roots() {
			w.push(v)
		}
	}
	w.run()
	return w.bytes, w.visited
}

type walker struct {
	todo    []lua.LValue
	seen    map[any]struct{}
	strs    map[*byte]struct{}
	bytes   int64
	visited int64
}

func (w *walker) push(v lua.LValue) {
	if v != nil && v != lua.LNil {
		w.todo = append(w.todo, v)
	}
}

func (w *walker) first(p any) bool {
	if _, ok := w.seen[p]; ok {
		return false
	}
	w.seen[p] = struct{}{}
	return true
}

func (w *walker) run() {
	for len(w.todo) > 0 {
		v := w.todo[len(w.todo)-1]
		w.todo = w.todo[:len(w.todo)-1]
		w.visited++
		switch v := v.(type) {
		case lua.LString:
			if len(v) >= 256 {
				p := unsafe.StringData(string(v))
				if _, ok := w.strs[p]; ok {
					continue
				}
				w.strs[p] = struct{}{}
			}
			w.bytes += int64(len(v)) + 16
		case *lua.LTable:
			if !w.first(v) {
				continue
			}
			w.bytes += 64
			v.ForEach(func(k, val lua.LValue) {
				w.bytes += 40
				w.push(k)
				w.push(val)
			})
			w.push(v.Metatable)
		case *lua.LFunction:
			if !w.first(v) {
				continue
			}
			w.bytes += 64 + 16*int64(len(v.Upvalues))
			if v.Env != nil {
				w.push(v.Env)
			}
			for _, uv := range v.Upvalues {
				if uv != nil {
					w.push(uv.Value())
				}
			}
		case *lua.LUserData:
			if !w.first(v) {
				continue
			}
			w.bytes += 64
			if v.Env != nil {
				w.push(v.Env)
			}
			w.push(v.Metatable)
		case *lua.LState:
			if !w.first(v) {
				continue
			}
			w.bytes += 1024
			for _, x := range stack(v) {
				w.push(x)
			}
		}
	}
}
