package node

import (
	"math/rand/v2"

	lua "github.com/yuin/gopher-lua"
)

// randomStream is the second word of every node's PCG.
const randomStream = 0x6d75746578

// seedRandom gives the node a math.random of its own, seeded from the
// run: gopher-lua's uses Go's global generator, which would make a
// simulated schedule impossible to repeat. It returns the source, which
// Renew reseeds.
func (n *Node) seedRandom(seed int64) *rand.PCG {
	src := rand.NewPCG(uint64(seed), randomStream)
	rng := rand.New(src)
	math, ok := n.L.GetGlobal("math").(*lua.LTable)
	if !ok {
		return src
	}
	// lua math.random([m [, n]]): [0,1), [1,m] or [m,n], as in Lua 5.1
	math.RawSetString("random", n.L.NewFunction(func(L *lua.LState) int {
		switch L.GetTop() {
		case 0:
			L.Push(lua.LNumber(rng.Float64()))
		case 1:
			m := L.CheckInt64(1)
			if m < 1 {
				L.ArgError(1, "interval is empty")
			}
			L.Push(lua.LNumber(1 + rng.Int64N(m)))
		default:
			lo, hi := L.CheckInt64(1), L.CheckInt64(2)
			if lo > hi {
				L.ArgError(2, "interval is empty")
			}
			L.Push(lua.LNumber(lo + rng.Int64N(hi-lo+1)))
		}
		return 1
	}))
	// lua math.randomseed(x): restart the sequence from x
	math.RawSetString("randomseed", n.L.NewFunction(func(L *lua.LState) int {
		src.Seed(uint64(L.CheckInt64(1)), randomStream)
		return 0
	}))
	return src
}
