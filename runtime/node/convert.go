package node

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/wire"
)

// payloadToJSON encodes a Lua payload table as a JSON object.
func payloadToJSON(v lua.LValue) (json.RawMessage, error) {
	switch v.Type() {
	case lua.LTNil:
		return json.RawMessage(`{}`), nil
	case lua.LTTable:
	default:
		return nil, fmt.Errorf("payload must be a table, got %s", v.Type())
	}
	t := v.(*lua.LTable)
	if t.MaxN() > 0 {
		return nil, fmt.Errorf("payload must be a table with string keys (a JSON object), got a list")
	}
	budget := wire.MaxLine
	g, err := toGo(v, 0, &budget)
	if err != nil {
		return nil, fmt.Errorf("payload: %v", err)
	}
	return json.Marshal(g)
}

// toGo converts a payload to Go values. budget counts down what the
// JSON text will take at least (every value a byte, a string its bytes):
// a payload that cannot fit in one frame is refused before it is built,
// however its tables share each other.
func toGo(v lua.LValue, depth int, budget *int) (any, error) {
	if depth > 32 {
		return nil, fmt.Errorf("nested too deeply (a cycle?)")
	}
	*budget--
	if s, ok := v.(lua.LString); ok {
		*budget -= len(s)
	}
	if *budget < 0 {
		return nil, fmt.Errorf("too large: a message is at most %d bytes (docs/lua-api.md)", wire.MaxLine)
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("number %v cannot be sent", f)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case lua.LString:
		return string(v), nil
	case *lua.LTable:
		if n := v.MaxN(); n > 0 {
			list := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				g, err := toGo(v.RawGetInt(i), depth+1, budget)
				if err != nil {
					return nil, err
				}
				list = append(list, g)
			}
			return list, nil
		}
		obj := map[string]any{}
		var err error
		v.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("table key %v is not a string", k)
				return
			}
			obj[string(ks)], err = toGo(val, depth+1, budget)
		})
		return obj, err
	default:
		return nil, fmt.Errorf("a %s cannot be sent", v.Type())
	}
}

// jsonToLua decodes a JSON payload into a Lua value.
func jsonToLua(L *lua.LState, raw json.RawMessage) lua.LValue {
	if len(raw) == 0 || string(raw) == "{}" {
		return L.CreateTable(0, 0)
	}
	var g any
	if err := json.Unmarshal(raw, &g); err != nil {
		return L.CreateTable(0, 0)
	}
	return fromGo(L, g)
}

func fromGo(L *lua.LState, g any) lua.LValue {
	switch g := g.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(g)
	case float64:
		return lua.LNumber(g)
	case string:
		return lua.LString(g)
	case []any:
		t := L.CreateTable(len(g), 0)
		for _, x := range g {
			t.Append(fromGo(L, x))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(g))
		keys := make([]string, 0, len(g))
		for k := range g {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a deterministic table layout for the simulator
		for _, k := range keys {
			t.RawSetString(k, fromGo(L, g[k]))
		}
		return t
	}
	return lua.LNil
}

// maxShow is the longest text of a value in a log line or an inspect
// answer (luabox.Show).
const maxShow = 64 << 10

// luaString renders a Lua value for inspect and logs.
func luaString(v lua.LValue, depth int) string { return luabox.Show(v, depth, maxShow) }
