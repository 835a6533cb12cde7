package luabox

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Budget bounds one guarded stretch of Lua: a handler, a wait_until
// condition or reason function, a stretch of the main script between two
// blocking calls, an inspect expression, or a whole scenario file.
type Budget struct {
	// Steps is the most Lua VM instructions a stretch may run; 0: no
	// cap. Counted, not timed, so a script is stopped at the same
	// instruction on any machine, under any load.
	Steps int64
	// Wall is the most wall-clock time a stretch may run; 0: none. Only
	// real runs set it: a verdict of the simulator must not depend on
	// the machine.
	Wall time.Duration
}

// DefaultSteps is the instruction budget of a stretch: the shipped
// algorithms run at most about 150 instructions in one (the seed and
// three_groups), and an endless loop reaches it in 0.1 to 1 s of one core,
// by what its body does (docs/lua-api.md, Errors).
const DefaultSteps = 20_000_000

// Budgets.
var (
	// Real bounds the Lua of a node process and of a scenario file: the
	// instruction budget, and one second of wall-clock time for a loop
	// stuck in a slow library call.
	Real = Budget{Steps: DefaultSteps, Wall: time.Second}
	// Counted bounds the Lua of the simulator: instructions only, so
	// the same schedule gives the same verdict on any machine and with
	// any number of workers.
	Counted = Budget{Steps: DefaultSteps}
)

const (
	notTripped uint32 = iota
	trippedSteps
	trippedWall
)

// closed is the Done channel of a guard whose budget is spent.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Guard bounds every call into the Lua VMs it watches. It is the
// context.Context of those VMs: gopher-lua asks a VM's context once per
// instruction whether it is done (vm.go, mainLoopWithContext), so Done
// counts the instruction and answers with a closed channel once the
// stretch has run more than its budget; the VM then raises Err's text
// prefixed with the script's file:line, and the error ends the stretch
// like any other Lua error.
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

	mu       sync.Mutex // armed and deadline, against the timer's goroutine
	armed    bool
	deadline time.Time
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
	if b.Wall > 0 {
		g.timer = time.AfterFunc(time.Hour, g.expire)
		g.timer.Stop()
	}
	return g
}

// Watch puts the VM L under the guard. Call it for each coroutine too:
// LState.NewThread gives a thread a context of its own.
func (g *Guard) Watch(L *lua.LState) { L.SetContext(g) }

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
		g.timer.Reset(g.budget.Wall)
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
func (g *Guard) expire() {
	g.mu.Lock()
	if g.armed && !time.Now().Before(g.deadline) {
		g.tripped.CompareAndSwap(notTripped, trippedWall)
	}
	g.mu.Unlock()
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
	return st, err
}

// Done counts one VM instruction; the channel is closed once the
// stretch is over its budget, nil (never ready) otherwise.
func (g *Guard) Done() <-chan struct{} {
	g.steps++
	if g.steps > g.limit {
		g.tripped.CompareAndSwap(notTripped, trippedSteps)
		return closed
	}
	if g.tripped.Load() != notTripped {
		return closed
	}
	return nil
}

// Err says what the stretch exceeded, once Done is closed.
func (g *Guard) Err() error {
	return g.Tripped()
}

// Deadline implements context.Context: a guard has none of its own.
func (g *Guard) Deadline() (time.Time, bool) { return time.Time{}, false }

// Value implements context.Context: a guard carries no values.
func (g *Guard) Value(any) any { return nil }

var _ context.Context = (*Guard)(nil)
