package node

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// module builds the `node` table scripts see (docs/lua-api.md).
func (n *Node) module() *lua.LTable {
	L := n.L
	s := n.cfg.Spec
	t := L.CreateTable(0, 24)
	t.RawSetString("id", lua.LString(s.ID))
	t.RawSetString("group", lua.LString(s.Group))
	t.RawSetString("role", lua.LString(s.Role))
	t.RawSetString("algorithm", lua.LString(s.Algorithm))
	if s.Parent != "" {
		t.RawSetString("parent", lua.LString(s.Parent))
	}
	if s.Next != "" {
		t.RawSetString("next", lua.LString(s.Next))
	}
	t.RawSetString("peers", n.list(s.Peers))
	t.RawSetString("children", n.list(s.Children))
	t.RawSetString("ring", n.list(n.cfg.Ring))
	t.RawSetString("members", n.list(members(s, n.cfg.Ring)))
	t.RawSetString("rounds_total", lua.LNumber(n.cfg.Rounds))

	setFuncs(L, t, map[string]lua.LGFunction{
		"send":             n.luaSend,
		"broadcast":        n.luaBroadcast,
		"on":               n.luaOn,
		"receive":          n.luaReceive,
		"wait_until":       n.luaWaitUntil,
		"sleep":            n.luaSleep,
		"critical_section": n.luaCriticalSection,
		"rounds":           n.luaRounds,
		"log":              n.luaLog,
	})
	clk := L.CreateTable(0, 2)
	setFuncs(L, clk, map[string]lua.LGFunction{
		"now":  func(L *lua.LState) int { L.Push(lua.LNumber(n.clock.Now())); return 1 },
		"tick": n.luaTick,
	})
	t.RawSetString("clock", clk)
	return t
}

// setFuncs is L.SetFuncs in sorted order, so pairs(node) walks the same
// way in every run (a simulated schedule must repeat exactly).
func setFuncs(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	names := make([]string, 0, len(fns))
	for name := range fns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.RawSetString(name, L.NewFunction(fns[name]))
	}
}

// members is everyone who runs this node's algorithm with it, itself
// included, in an order every one of them agrees on: a heavyweight's ring,
// or a lightweight's group by number (A3 before A12). The algorithms that
// need a total order on ids, a tree, a grid or a coordinator read it
// (docs/lua-api.md).
func members(s scenario.Node, ring []string) []string {
	if s.Role == scenario.Heavyweight {
		return ring
	}
	all := append([]string{s.ID}, s.Peers...)
	number := func(id string) int {
		k, err := strconv.Atoi(strings.TrimPrefix(id, s.Group))
		if err != nil {
			return -1
		}
		return k
	}
	sort.SliceStable(all, func(a, b int) bool {
		na, nb := number(all[a]), number(all[b])
		if na != nb {
			return na < nb
		}
		return all[a] < all[b]
	})
	return all
}

func (n *Node) list(ids []string) *lua.LTable {
	t := n.L.CreateTable(len(ids), 0)
	for _, id := range ids {
		t.Append(lua.LString(id))
	}
	return t
}

// luaRequire lua require(name) returns the module, searched only in the
// scripts folders and the embedded scripts; "node" is the node module.
func (n *Node) luaRequire(L *lua.LState) int {
	name := L.CheckString(1)
	if name == "node" {
		L.Push(n.api)
		return 1
	}
	if v, ok := n.modules[name]; ok {
		L.Push(v)
		return 1
	}
	proto, _, err := n.cfg.Library.Compile(name)
	if err != nil {
		// The module's own "file:line: message" says it all: no position
		// of the require is added.
		L.Error(lua.LString(err.Error()), 0)
	}
	fn := L.NewFunctionFromProto(proto)
	L.Push(fn)
	L.Call(0, 1)
	v := L.Get(-1)
	L.Pop(1)
	if v == lua.LNil {
		v = lua.LTrue
	}
	n.modules[name] = v
	if name == n.cfg.Spec.Algorithm {
		n.algo = v
	}
	L.Push(v)
	return 1
}

func (n *Node) checkDest(L *lua.LState, fn string, to string) {
	if to == n.id {
		L.RaiseError("%s: a node cannot send to itself (%s)", fn, to)
	}
	if !n.known[to] {
		L.RaiseError("%s: no node %q in this run", fn, to)
	}
}

func (n *Node) checkType(L *lua.LState, fn string, idx int) string {
	typ := L.CheckString(idx)
	if !wire.ValidType(typ) {
		L.ArgError(idx, fmt.Sprintf("message type %q must be an upper-case word like REQUEST", typ))
	}
	return typ
}

// sendAll stamps one send event and sends one message to each id.
func (n *Node) sendAll(L *lua.LState, fn string, ids []string, typ string, payload lua.LValue) int64 {
	raw, err := payloadToJSON(payload)
	if err != nil {
		L.RaiseError("%s: %v", fn, err)
	}
	for _, to := range ids {
		n.checkDest(L, fn, to)
	}
	ts := n.clock.Send()
	for _, to := range ids {
		if _, ok := n.sendSeq[to]; !ok {
			n.sendSeq[to] = trace.SeqBase(n.cfg.Incarnation)
		}
		n.sendSeq[to]++
		m := wire.Message{Type: typ, Sender: n.id, TS: ts, Payload: raw}
		n.rec(trace.Event{Ev: trace.Send, LC: ts, To: to, Type: typ, TS: ts, Seq: n.sendSeq[to], Payload: raw})
		if err := n.host.Send(to, m); err != nil {
			L.RaiseError("%s: %v", fn, err)
		}
	}
	return ts
}

// luaSend lua node.send(to, type [, payload]) returns ts
func (n *Node) luaSend(L *lua.LState) int {
	to := L.CheckString(1)
	typ := n.checkType(L, "node.send", 2)
	L.Push(lua.LNumber(n.sendAll(L, "node.send", []string{to}, typ, L.Get(3))))
	return 1
}

// luaBroadcast lua node.broadcast(ids, type [, payload]) returns ts
func (n *Node) luaBroadcast(L *lua.LState) int {
	list := L.CheckTable(1)
	typ := n.checkType(L, "node.broadcast", 2)
	var ids []string
	for i := 1; i <= list.Len(); i++ {
		s, ok := list.RawGetInt(i).(lua.LString)
		if !ok {
			L.ArgError(1, "expected a list of node ids")
		}
		ids = append(ids, string(s))
	}
	if len(ids) == 0 {
		// One clock event even with nobody to tell (a group of one).
		L.Push(lua.LNumber(n.clock.Send()))
		return 1
	}
	L.Push(lua.LNumber(n.sendAll(L, "node.broadcast", ids, typ, L.Get(3))))
	return 1
}

// luaOn lua node.on(type, fn) registers fn(msg) for messages of type; nil removes it
func (n *Node) luaOn(L *lua.LState) int {
	typ := n.checkType(L, "node.on", 1)
	if L.Get(2) == lua.LNil {
		delete(n.handlers, typ)
		return 0
	}
	n.handlers[typ] = L.CheckFunction(2)
	// Messages of this type that arrived before the handler existed go to
	// it now, oldest first, so none is stranded in the mailbox.
	var keep []wire.Message
	var early []wire.Message
	for _, m := range n.mailbox {
		if m.Type == typ {
			early = append(early, m)
		} else {
			keep = append(keep, m)
		}
	}
	if len(early) > 0 {
		n.mailbox = keep
		for _, m := range early {
			if err := n.protect(L, n.handlers[typ], 0, n.msgTable(m)); err != nil {
				// The handler's own "file:line: message" says it all.
				L.Error(lua.LString(luabox.ErrorLine(err)), 0)
			}
		}
	}
	return 0
}

// mustBlock raises an error when a blocking call comes from a handler.
func (n *Node) mustBlock(L *lua.LState, fn string) {
	if L != n.co || n.inHandler {
		L.RaiseError("%s blocks and cannot be called from a handler or a wait_until condition", fn)
	}
}

// luaReceive lua node.receive([type [, from]]) blocks; returns the oldest unhandled matching msg; from is an id or a list of ids
func (n *Node) luaReceive(L *lua.LState) int {
	n.mustBlock(L, "node.receive")
	typ := L.OptString(1, "")
	if typ != "" && !wire.ValidType(typ) {
		L.ArgError(1, fmt.Sprintf("message type %q must be an upper-case word", typ))
	}
	from, err := n.peerList(L.Get(2), "node.receive: from")
	if err != nil {
		L.ArgError(2, err.Error())
	}
	if i := n.match(typ, from); i >= 0 {
		L.Push(n.msgTable(n.take(i)))
		return 1
	}
	n.w = wait{kind: waitRecv, typ: typ, from: from}
	n.block(&trace.Wait{Kind: trace.WaitReceive, Type: typ, From: from})
	return L.Yield()
}

// luaWaitUntil lua node.wait_until(fn [, reason]) blocks until fn() is true; reason (a string, a table {type, from, label} or a function returning one) says what is awaited
func (n *Node) luaWaitUntil(L *lua.LState) int {
	n.mustBlock(L, "node.wait_until")
	cond := L.CheckFunction(1)
	reason := L.Get(2)
	switch reason.(type) {
	case *lua.LNilType, lua.LString, *lua.LTable, *lua.LFunction:
	default:
		L.ArgError(2, "reason must be a string, a table {type = ..., from = {...}} or a function returning one")
	}
	ok, err := n.test(cond)
	if err != nil {
		// The condition's own "file:line: message" says it all.
		L.Error(lua.LString(luabox.ErrorLine(err)), 0)
	}
	if ok {
		return 0
	}
	w, err := n.untilWait(reason)
	if err != nil {
		L.Error(lua.LString(luabox.ErrorLine(err)), 0)
	}
	n.w = wait{kind: waitUntil, cond: cond, reason: reason}
	n.block(w)
	return L.Yield()
}

// luaSleep lua node.sleep(seconds) blocks for seconds / speed
func (n *Node) luaSleep(L *lua.LState) int {
	n.mustBlock(L, "node.sleep")
	s := float64(L.CheckNumber(1))
	if !(s >= 0 && s <= scenario.MaxSeconds) {
		L.ArgError(1, fmt.Sprintf("seconds must be a number from 0 to %d, got %v", scenario.MaxSeconds, s))
	}
	n.w = wait{kind: waitSleep}
	n.w.timer = n.newTimer(s)
	return L.Yield()
}

// luaCriticalSection lua node.critical_section() prints the CS lines, interval apart
func (n *Node) luaCriticalSection(L *lua.LState) int {
	n.mustBlock(L, "node.critical_section")
	n.csEntries++
	n.rec(trace.Event{Ev: trace.CSEnter, Round: n.round})
	n.w = wait{kind: waitCS}
	if n.cfg.CS.Prints <= 0 {
		n.rec(trace.Event{Ev: trace.CSExit, Round: n.round})
		n.w = wait{kind: running}
		return 0
	}
	n.csPrint()
	return L.Yield()
}

// luaRounds lua node.rounds() returns an iterator over the run's rounds
func (n *Node) luaRounds(L *lua.LState) int {
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if n.cfg.Rounds > 0 && n.round >= n.cfg.Rounds {
			L.Push(lua.LNil)
			return 1
		}
		n.round++
		L.Push(lua.LNumber(n.round))
		return 1
	}))
	return 1
}

// luaTick lua node.clock.tick() records a local event; returns the clock
func (n *Node) luaTick(L *lua.LState) int {
	lc := n.clock.Tick()
	n.rec(trace.Event{Ev: trace.Tick, LC: lc})
	L.Push(lua.LNumber(lc))
	return 1
}

// luaLog lua node.log(...) a note in the trace and the REPL (print does the same)
func (n *Node) luaLog(L *lua.LState) int {
	parts := make([]string, L.GetTop())
	size := 0
	for i := range parts {
		parts[i] = luaString(L.Get(i+1), 0)
		if size += len(parts[i]); size > MaxLogText {
			parts = parts[:i+1]
			break
		}
	}
	text := luabox.Truncate(strings.Join(parts, " "), MaxLogText)
	if err := n.logs.take(n.host.Now(), len(text)); err != nil {
		n.guard.Abort(err)
		L.RaiseError("%s", err.Error())
	}
	n.rec(trace.Event{Ev: trace.Log, Text: text})
	return 0
}

// The bounds of node.log and print, so that no script floods the trace
// or the screen (docs/lua-api.md, Limits).
const (
	// MaxLogText is the longest log line; a longer one is cut, with a
	// note of how much was cut.
	MaxLogText = 4096
	// LogRate is how many lines a node may log per second of the run's
	// clock, on average; LogBurst how many at once.
	LogRate  = 1000
	LogBurst = 1000
	// MaxLogBytes is the most a node may log in a whole run.
	MaxLogBytes = 64 << 20
)

// logBudget is a token bucket of log lines over the run's clock (real
// time, or the simulator's virtual time, so that its verdict repeats).
type logBudget struct {
	tokens float64
	last   int64 // the clock at the last take; -1 before the first
	bytes  int
}

func (b *logBudget) take(now int64, size int) error {
	if b.last < 0 || now < b.last {
		b.tokens, b.last = LogBurst, now
	}
	b.tokens = min(LogBurst, b.tokens+float64(now-b.last)*LogRate/1e9)
	b.last = now
	if b.tokens < 1 {
		return fmt.Errorf("logged more than %d lines a second (node.log, print); the trace and the screen are bounded (docs/lua-api.md, Limits)", LogRate)
	}
	b.bytes += size
	if b.bytes > MaxLogBytes {
		return fmt.Errorf("logged more than %s in the run (node.log, print); the trace and the screen are bounded (docs/lua-api.md, Limits)", luabox.Size(MaxLogBytes))
	}
	b.tokens--
	return nil
}
