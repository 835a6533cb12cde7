package scenario

import (
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/luabox"
)

// FuzzParse: no scenario file makes the loader panic or hang; what it
// refuses is one line, a *Error (exit status 2). The Lua budget is cut to
// 100,000 steps so that the fuzzer's endless loops end quickly; the
// memory cap stays. Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`return { groups = { {id = "A", algorithm = "lamport", lightweights = 3}, {id = "B", algorithm = "ricart_agrawala", lightweights = 3} } }`))
	f.Add([]byte(`return { name = "x", groups = {}, rounds = 0, speed = 0/0 }`))
	f.Add([]byte(`local s = string.rep("x", 1e11) return {}`))
	f.Add([]byte(`while true do end`))
	f.Add([]byte(`return { session = "short", network = { links = { ["A1->A2"] = { delay = 1e300 } } } }`))
	defer func(b luabox.Budget) { evalBudget = b }(evalBudget)
	evalBudget = luabox.Budget{Steps: 100_000, Memory: 64 << 20}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("f.lua", src)
		if err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("parsed, then invalid: %v", err)
			}
			return
		}
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("%T %v: not a scenario error", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("more than one line: %q", err.Error())
		}
	})
}
