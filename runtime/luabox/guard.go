package luabox

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Budget bounds one guarded stretch of Lua: a handler, a wait_until
// condition or reason function, a stretch of the main script between two
// blocking calls, an inspect expression, or a whole scenario file. Memory
// bounds the VMs for as long as they live.
type Budget struct {
	// Steps is the most Lua VM instructions a stretch may run; 0: no
	// cap. Counted, not timed, so a script is stopped at the same
	// instruction on any machine, under any load. Library functions
	// (pattern matching, string.rep, table.concat, sorting) count their
	// own work as steps too (docs/lua-api.md, Limits).
	Steps int64
	// Wall is the most time a stretch may run; 0: none. Only real runs
	// set it: a verdict of the simulator must not depend on the machine.
	// Where the process's CPU clock can be read (Linux), a stretch is
	// stopped only once it has also had that much of the CPU: a node
	// among 1,690 processes on two cores waits its turn for seconds
	// without running away.
	Wall time.Duration
	// Memory is the most memory the guarded VMs may hold, in bytes; 0:
	// DefaultMemory, < 0: no cap (tests only). It is measured by a
	// deterministic estimate of what the VMs can reach (memory.go),
	// checked before every large allocation a script asks for and every
	// few thousand instructions.
	Memory int64
	// Heap adds the process's own heap to the memory check: in a node
	// process, which runs one VM, everything it holds counts (its
	// mailbox too). Never in the simulator or the launcher, which hold
	// many VMs or more than Lua.
	Heap bool
}

// DefaultSteps is the instruction budget of a stretch: the shipped
// algorithms run at most about 150 instructions in one (the seed and
// three_groups), and an endless loop reaches it in 0.1 to 1 s of one core,
// by what its body does (docs/lua-api.md, Errors).
const DefaultSteps = 20_000_000

// DefaultMemory is the memory cap of one node's Lua, and of a scenario
// file's evaluation (docs/lua-api.md, Limits).
const DefaultMemory = 256 << 20

// Budgets.
var (
	// Real bounds the Lua of a node process: the instruction budget,
	// one second of wall-clock time for a loop stuck in a slow library
	// call, and the memory cap, the process's heap included.
	Real = Budget{Steps: DefaultSteps, Wall: time.Second, Memory: DefaultMemory, Heap: true}
	// Scenario bounds the evaluation of a scenario file, in the
	// launcher's or the REPL's process: as Real, without the heap (the
	// process holds more than this one VM).
	Scenario = Budget{Steps: DefaultSteps, Wall: time.Second, Memory: DefaultMemory}
	// Counted bounds the Lua of the simulator: instructions and the
	// memory estimate only, so the same schedule gives the same verdict
	// on any machine and with any number of workers.
	Counted = Budget{Steps: DefaultSteps, Memory: DefaultMemory}
)

const (
	notTripped uint32 = iota
	trippedSteps
	trippedWall
	trippedMemory
	trippedAbort
)

// closed is the Done channel of a guard whose budget is spent.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Guard bounds every call into the Lua VMs it watches. Each watched VM's
// context.Context is a small view of the guard (vmContext): gopher-lua
// asks a VM's context once per instruction whether it is done (vm.go,
// mainLoopWithContext), so Done counts the instruction, looks at it when
// it may allocate much (peek.go) and answers with a closed channel once
// the stretch has run more than its budget or the VMs hold more than
// their memory; the VM then raises Err's text prefixed with the script's
// file:line, and the error ends the stretch like any other Lua error.
// The library functions of the sandbox (strlib.go) charge their work to
// the same guard.
//
// A stretch begins with the outermost Arm and ends with its Disarm; Arm
// inside a stretch (a condition tested while the main script runs, a
// handler run by node.on) counts against the enclosing stretch. A Guard
// and its VMs belong to one goroutine; only the wall-clock timer runs on
// another.
type Guard struct {
	budget Budget
	limit  int64 // budget.Steps, or no cap
	steps  int64 // instructions in the current stretch
	depth  int

	tripped  atomic.Uint32
	stepsErr error
	wallErr  error
	memErr   error
	abortErr error

	mem memory // the memory cap's accounting (memory.go)

	mu       sync.Mutex // armed and deadline, against the timer's goroutine
	armed    bool
	deadline time.Time
	cpuStart time.Duration // the process's CPU time at the probe
	cpuOK    bool          // cpuStart was read: the probe has fired
	probe    time.Duration // when, after Arm, the CPU clock is first read
	timer    *time.Timer
}

// NewGuard returns a guard with budget b. hint follows what was
// exceeded in the error: " without blocking (an endless loop? ...)".
func NewGuard(b Budget, hint string) *Guard {
	g := &Guard{budget: b, limit: b.Steps,
		stepsErr: fmt.Errorf("ran more than %d Lua steps%s", b.Steps, hint),
		wallErr:  fmt.Errorf("ran longer than %v%s", b.Wall, hint)}
	if g.limit <= 0 {
		g.limit = math.MaxInt64
	}
	g.mem.init(b)
	if b.Wall > 0 {
		g.probe = b.Wall / 20
		g.timer = time.AfterFunc(time.Hour, g.expire)
		g.timer.Stop()
	}
	return g
}

// vmContext is the context of one watched VM: the guard, and the VM, so
// that Done can look at the instruction about to run.
type vmContext struct {
	g *Guard
	L *lua.LState
}

// Watch puts the VM L under the guard. Call it for each coroutine too:
// LState.NewThread gives a thread a context of its own.
func (g *Guard) Watch(L *lua.LState) {
	g.mem.vms = append(g.mem.vms, L)
	L.SetContext(&vmContext{g: g, L: L})
}

// Reset makes the guard as NewGuard left it, its roots kept, and watches
// vms in place of the VMs it watched: for VMs restored to their pristine
// state (Pristine), which must then be counted exactly as new ones are,
// so that the memory checks fall on the same instructions.
func (g *Guard) Reset(vms ...*lua.LState) {
	g.Stop()
	g.steps, g.depth = 0, 0
	g.tripped.Store(notTripped)
	g.memErr, g.abortErr = nil, nil
	g.mem = memory{vms: g.mem.vms[:0], roots: g.mem.roots}
	g.mem.init(g.budget)
	for _, L := range vms {
		if c, ok := L.Context().(*vmContext); ok && c.g == g && c.L == L {
			g.mem.vms = append(g.mem.vms, L) // watched already
			continue
		}
		g.Watch(L)
	}
}

// SetRoots tells the memory estimate where to find Lua values that only
// Go holds (a node's handlers and modules): roots is called at each
// check.
func (g *Guard) SetRoots(roots func() []lua.LValue) { g.mem.roots = roots }

// guardOf returns the guard watching L, nil when there is none.
func guardOf(L *lua.LState) *Guard {
	if c, ok := L.Context().(*vmContext); ok {
		return c.g
	}
	return nil
}

// Arm begins a stretch, or joins the one running.
func (g *Guard) Arm() {
	g.depth++
	if g.depth > 1 {
		return
	}
	g.steps = 0
	g.tripped.Store(notTripped)
	if g.timer != nil {
		g.mu.Lock()
		g.armed = true
		g.deadline = time.Now().Add(g.budget.Wall)
		g.cpuOK = false
		g.timer.Reset(g.probe)
		g.mu.Unlock()
	}
}

// Disarm ends what Arm began.
func (g *Guard) Disarm() {
	g.depth--
	if g.depth > 0 || g.timer == nil {
		return
	}
	g.mu.Lock()
	g.armed = false
	g.timer.Stop()
	g.mu.Unlock()
}

// expire runs on the timer's goroutine: a timer that fired for an
// earlier stretch, or that Disarm stopped too late, changes nothing.
//
// Reading the process's CPU clock is a system call of about a
// microsecond, too dear for every stretch (one per message): it is read
// first by a probe, a twentieth of the limit after Arm, which the few
// stretches that last that long meet. At the deadline, the CPU used since
// the probe, and the probe's time as if all of it had been CPU, must
// reach the limit too: a stretch that waited for a core goes on.
func (g *Guard) expire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.armed {
		return
	}
	now := time.Now()
	if !g.cpuOK {
		if g.cpuStart, g.cpuOK = processCPU(); !g.cpuOK {
			g.probe = g.budget.Wall // no CPU clock: the wall clock decides
		}
	}
	if now.Before(g.deadline) {
		g.timer.Reset(g.deadline.Sub(now))
		return
	}
	if g.cpuOK {
		if cpu, ok := processCPU(); ok {
			if used := cpu - g.cpuStart + g.probe; used < g.budget.Wall {
				left := g.budget.Wall - used
				g.deadline = now.Add(left)
				g.timer.Reset(left)
				return
			}
		}
	}
	g.tripped.CompareAndSwap(notTripped, trippedWall)
}

// Stop releases the guard's timer.
func (g *Guard) Stop() {
	if g.timer != nil {
		g.mu.Lock()
		g.armed = false
		g.timer.Stop()
		g.mu.Unlock()
	}
}

// Tripped returns what the current (or the last) stretch exceeded, nil
// when it stayed within its budget.
func (g *Guard) Tripped() error {
	switch g.tripped.Load() {
	case trippedSteps:
		return g.stepsErr
	case trippedWall:
		return g.wallErr
	case trippedMemory:
		return g.memErr
	case trippedAbort:
		return g.abortErr
	}
	return nil
}

// Steps returns the instructions run so far in the current (or the
// last) stretch.
func (g *Guard) Steps() int64 { return g.steps }

// Call calls fn(args...) in L, protected, as a stretch (or within the
// running one). Its nret results are left on L's stack.
func (g *Guard) Call(L *lua.LState, fn *lua.LFunction, nret int, args ...lua.LValue) error {
	g.Arm()
	defer g.Disarm()
	return L.CallByParam(lua.P{Fn: fn, NRet: nret, Protect: true}, args...)
}

// Resume resumes the coroutine co of L (starting fn the first time) as a
// stretch that lasts until co yields, returns or fails.
func (g *Guard) Resume(L, co *lua.LState, fn *lua.LFunction, args ...lua.LValue) (lua.ResumeState, error) {
	g.Arm()
	defer g.Disarm()
	st, err, _ := L.Resume(co, fn, args...)
	if err != nil {
		// A coroutine's error has no traceback: the frame where co
		// stopped gives the position.
		err = locate(err, co)
	}
	return st, err
}

// Done counts one VM instruction; the channel is closed once the
// stretch is over its budget, nil (never ready) otherwise.
func (c *vmContext) Done() <-chan struct{} {
	g := c.g
	g.steps++
	if g.steps > g.limit {
		g.tripped.CompareAndSwap(notTripped, trippedSteps)
		return closed
	}
	if g.tripped.Load() != notTripped {
		return closed
	}
	if peekable {
		if n := allocates(c.L); n > 0 && !g.mem.charge(n) {
			g.overMemory()
			return closed
		}
	}
	if g.mem.due() && !g.mem.check() {
		g.overMemory()
		return closed
	}
	return nil
}

// Abort ends the running stretch with err, as an exceeded budget does:
// the error is raised at the next instruction again and again, so no
// pcall can swallow it (a node that logs past its rate, docs/lua-api.md).
func (g *Guard) Abort(err error) {
	g.abortErr = err
	g.tripped.Store(trippedAbort)
}

func (g *Guard) overMemory() {
	g.memErr = g.mem.err
	g.tripped.Store(trippedMemory)
}

// Err says what the stretch exceeded, once Done is closed.
func (c *vmContext) Err() error { return c.g.Tripped() }

// Deadline implements context.Context: a guard has none of its own.
func (c *vmContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Value implements context.Context: a guard carries no values.
func (c *vmContext) Value(any) any { return nil }

var _ context.Context = (*vmContext)(nil)

// charge counts work a library function does on behalf of the script in
// L as steps, and raises the stretch's error in L once the budget is
// spent. Outside a guard it counts nothing: every VM of the project
// runs under one.
func charge(L *lua.LState, steps int64) {
	g := guardOf(L)
	if g == nil {
		return
	}
	g.steps += steps
	if g.steps > g.limit {
		g.tripped.CompareAndSwap(notTripped, trippedSteps)
	}
	if err := g.Tripped(); err != nil {
		L.RaiseError("%s", err.Error())
	}
}

// grow checks that a result being built in Go, total bytes so far, stays
// under the cap, and asks for the delta bytes added since the last call.
func grow(L *lua.LState, what string, total, delta int64) {
	if total > memLimit(L) {
		need(L, what, total)
	}
	if delta > 0 {
		need(L, what, delta)
	}
}

func memLimit(L *lua.LState) int64 {
	if g := guardOf(L); g != nil {
		return g.mem.limit
	}
	return DefaultMemory
}

// need asks for bytes of new memory on behalf of the script in L before
// a library function allocates them (what names the function), and
// raises the memory error in L when they would exceed the cap.
func need(L *lua.LState, what string, bytes int64) {
	g := guardOf(L)
	if limit := memLimit(L); bytes > limit {
		err := fmt.Errorf("%s: a result of %s would exceed the memory cap of %s", what, Size(bytes), Size(limit))
		if g != nil {
			g.mem.err = err
			g.overMemory()
		}
		L.RaiseError("%s", err.Error())
	}
	if g == nil {
		return
	}
	if !g.mem.charge(bytes) || (g.mem.due() && !g.mem.check()) {
		g.overMemory()
		L.RaiseError("%s", g.memErr.Error())
	}
	// Producing bytes takes time too: one step per 32 bytes.
	charge(L, bytes/32)
}

// Size writes a byte count for people: "256 MB", "4.0 GB", "12 KB".
func Size(n int64) string {
	switch {
	case n >= 1<<40:
		return "more than 1 TB"
	case n >= 10<<30:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// heapBytes reads the process's heap: the bytes of its live and not yet
// collected objects.
func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// liveHeap collects garbage and returns the heap that is left.
func liveHeap() int64 {
	runtime.GC()
	return heapBytes()
}
