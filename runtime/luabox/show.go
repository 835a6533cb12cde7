package luabox

import (
	"fmt"
	"math"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// MaxMessage is the longest error message kept whole; a longer one is
// cut, with a note of how much was cut (docs/lua-api.md, Errors).
const MaxMessage = 1000

// Truncate cuts s to at most max bytes (at a character boundary) and
// says how many bytes were cut.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
}

// Show renders a Lua value as Lua source would write it: strings
// unquoted at depth 0 and quoted inside tables, tables as {1, 2, k = v}
// with their keys sorted, nested tables below depth 3 as {...}. The text
// is at most max bytes (a longer one ends in "…"), and no more of a
// table is looked at than that needs, so a table of millions of entries
// costs no more than a small one.
func Show(v lua.LValue, depth, max int) string {
	s := shower{max: max}
	s.value(v, depth)
	if s.full {
		return s.b.String() + "…"
	}
	return s.b.String()
}

type shower struct {
	b    strings.Builder
	max  int
	full bool
}

func (s *shower) write(str string) bool {
	if s.full {
		return false
	}
	if s.b.Len()+len(str) > s.max {
		s.b.WriteString(str[:max(0, s.max-s.b.Len())])
		s.full = true
		return false
	}
	s.b.WriteString(str)
	return true
}

// maxKeys is the most hash keys of one table sorted for Show.
const maxKeys = 4096

func (s *shower) value(v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		if depth > 0 {
			if len(v) > s.max {
				v = v[:s.max]
			}
			s.write(fmt.Sprintf("%q", string(v)))
			return
		}
		s.write(string(v))
	case *lua.LTable:
		if depth > 3 {
			s.write("{...}")
			return
		}
		s.write("{")
		n := v.MaxN()
		first := true
		for i := 1; i <= n && !s.full; i++ {
			if !first {
				s.write(", ")
			}
			first = false
			s.value(v.RawGetInt(i), depth+1)
		}
		var keys []string
		vals := map[string]lua.LValue{}
		more := 0
		v.ForEach(func(k, val lua.LValue) {
			if kn, ok := k.(lua.LNumber); ok && float64(kn) >= 1 && float64(kn) <= float64(n) && float64(kn) == math.Trunc(float64(kn)) {
				return
			}
			if len(keys) >= maxKeys || s.full {
				more++
				return
			}
			var ks string
			if kk, ok := k.(lua.LString); ok {
				ks = Truncate(string(kk), 64)
			} else {
				ks = "[" + Show(k, depth+1, 64) + "]"
			}
			keys = append(keys, ks)
			vals[ks] = val
		})
		sort.Strings(keys)
		for _, k := range keys {
			if s.full {
				return
			}
			if !first {
				s.write(", ")
			}
			first = false
			s.write(k + " = ")
			s.value(vals[k], depth+1)
		}
		if more > 0 {
			s.write(fmt.Sprintf(", … (%d more)", more))
		}
		s.write("}")
	default:
		s.write(v.String())
	}
}
