package node

import (
	lua "github.com/yuin/gopher-lua"
)

// StateFields is State field by field: each non-function field of the
// algorithm module's table, its value rendered as inspect renders it. It
// only reads the table, so it may be called while the node is inside a
// handler (the simulator records it on every event, docs/trace.md). Nil
// when the node has no algorithm module or has stopped.
func (n *Node) StateFields() map[string]string {
	if n.stopped {
		return nil
	}
	t, ok := n.algo.(*lua.LTable)
	if !ok {
		return nil
	}
	out := map[string]string{}
	t.ForEach(func(k, v lua.LValue) {
		if _, fn := v.(*lua.LFunction); fn {
			return
		}
		key := luaString(k, 1)
		if s, ok := k.(lua.LString); ok {
			key = string(s)
		}
		out[key] = luaString(v, 2) // as State renders a field
	})
	return out
}
