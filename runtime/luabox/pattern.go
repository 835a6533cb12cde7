package luabox

import (
	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 patterns (the reference manual, §5.4.1), matched by
// backtracking like the reference implementation, but with every step
// charged to the guard: a pattern such as (.-)(.-)(.-)...b on a string of
// a's, whose backtracking grows exponentially, runs out of the stretch's
// budget with the script's file:line instead of spinning forever. The
// recursion is bounded too (maxPatternDepth): a pattern of a thousand
// optional items is an error, not a goroutine stack of a gigabyte.

const (
	maxCaptures     = 32
	maxPatternDepth = 200
	capUnfinished   = -1
	capPosition     = -2
	// patternChunk is how many matcher steps are charged at a time.
	patternChunk = 1024
)

type capture struct{ init, len int }

type matcher struct {
	L       *lua.LState
	src     string
	pat     string
	level   int
	capture [maxCaptures]capture
	depth   int
	steps   int64
}

func newMatcher(L *lua.LState, src, pat string) *matcher {
	return &matcher{L: L, src: src, pat: pat}
}

// tick counts one step of the matcher, charging the guard every
// patternChunk steps.
func (m *matcher) tick() {
	m.steps++
	if m.steps >= patternChunk {
		charge(m.L, m.steps)
		m.steps = 0
	}
}

// flush charges what is left of the steps.
func (m *matcher) flush() {
	if m.steps > 0 {
		charge(m.L, m.steps)
		m.steps = 0
	}
}

func (m *matcher) errorf(format string, args ...any) {
	m.L.RaiseError(format, args...)
}

// classEnd returns the index just past the single-character class that
// starts at p.
func (m *matcher) classEnd(p int) int {
	pat := m.pat
	c := pat[p]
	p++
	switch c {
	case '%':
		if p >= len(pat) {
			m.errorf("malformed pattern (ends with '%%')")
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first character is never the closing ']'
			if p >= len(pat) {
				m.errorf("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++
			}
			if p >= len(pat) {
				m.errorf("malformed pattern (missing ']')")
			}
			if pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
func isCntrl(c byte) bool { return c < 32 || c == 127 }
func isPunct(c byte) bool { return c > 32 && c < 127 && !isAlpha(c) && !isDigit(c) }
func isXDigit(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// matchClass reports whether c is in the class %cl.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = isCntrl(c)
	case 'd':
		res = isDigit(c)
	case 'l':
		res = isLower(c)
	case 'p':
		res = isPunct(c)
	case 's':
		res = isSpace(c)
	case 'u':
		res = isUpper(c)
	case 'w':
		res = isAlpha(c) || isDigit(c)
	case 'x':
		res = isXDigit(c)
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if isUpper(cl) {
		return !res
	}
	return res
}

// matchBracket reports whether c is in the set pat[p:ec+1], "[...]".
func (m *matcher) matchBracket(c byte, p, ec int) bool {
	pat := m.pat
	sig := true
	p++
	if pat[p] == '^' {
		sig = false
		p++
	}
	for p < ec {
		switch {
		case pat[p] == '%' && p+1 < ec+1:
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
			p++
		case p+2 < ec && pat[p+1] == '-':
			if pat[p] <= c && c <= pat[p+2] {
				return sig
			}
			p += 3
		default:
			if pat[p] == c {
				return sig
			}
			p++
		}
	}
	return !sig
}

// single reports whether src[s] matches the class pat[p:ep].
func (m *matcher) single(s, p, ep int) bool {
	if s >= len(m.src) {
		return false
	}
	c := m.src[s]
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.pat[p+1])
	case '[':
		return m.matchBracket(c, p, ep-1)
	}
	return m.pat[p] == c
}

// match returns the end of a match of pat[p:] at src[s:], -1 for none.
func (m *matcher) match(s, p int) int {
	m.depth++
	if m.depth > maxPatternDepth {
		m.errorf("pattern too complex (more than %d nested items)", maxPatternDepth)
	}
	defer func() { m.depth-- }()
	src, pat := m.src, m.pat
	for {
		m.tick()
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch c := pat[p+1]; {
				case c == 'b':
					s = m.matchBalance(s, p+2)
					if s == -1 {
						return -1
					}
					p += 4
					continue
				case c == 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						m.errorf("missing '[' after '%%f' in pattern")
					}
					ep := m.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = src[s-1]
					}
					if s < len(src) {
						cur = src[s]
					}
					if !m.matchBracket(prev, p, ep-1) && m.matchBracket(cur, p, ep-1) {
						p = ep
						continue
					}
					return -1
				case isDigit(c):
					s = m.matchCapture(s, c)
					if s == -1 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		ep := m.classEnd(p)
		ok := m.single(s, p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if ok {
					if r := m.match(s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return m.maxExpand(s, p, ep)
			case '+':
				if !ok {
					return -1
				}
				return m.maxExpand(s+1, p, ep)
			case '-':
				return m.minExpand(s, p, ep)
			}
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
}

func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for m.single(s+i, p, ep) {
		m.tick()
		i++
	}
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r != -1 {
			return r
		}
		if !m.single(s, p, ep) {
			return -1
		}
		s++
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		m.errorf("too many captures")
	}
	m.capture[m.level] = capture{init: s, len: what}
	m.level++
	r := m.match(s, p)
	if r == -1 {
		m.level--
	}
	return r
}

func (m *matcher) endCapture(s, p int) int {
	l := -1
	for i := m.level - 1; i >= 0; i-- {
		if m.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		m.errorf("invalid pattern capture")
	}
	m.capture[l].len = s - m.capture[l].init
	r := m.match(s, p)
	if r == -1 {
		m.capture[l].len = capUnfinished
	}
	return r
}

func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		m.errorf("missing arguments to '%%b'")
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	b, e := m.pat[p], m.pat[p+1]
	cont := 1
	for i := s + 1; i < len(m.src); i++ {
		m.tick()
		switch c := m.src[i]; c {
		case e:
			cont--
			if cont == 0 {
				return i + 1
			}
		case b:
			cont++
		}
	}
	return -1
}

func (m *matcher) matchCapture(s int, c byte) int {
	l := int(c - '1')
	if l < 0 || l >= m.level || m.capture[l].len == capUnfinished {
		m.errorf("invalid capture index %%%c", c)
	}
	cp := m.capture[l]
	if cp.len < 0 || len(m.src)-s < cp.len {
		return -1
	}
	for i := 0; i < cp.len; i++ {
		m.tick()
		if m.src[cp.init+i] != m.src[s+i] {
			return -1
		}
	}
	return s + cp.len
}

// get returns capture i of a match src[s:e]; with no capture, capture 0
// is the whole match.
func (m *matcher) get(i, s, e int) lua.LValue {
	if i >= m.level {
		if i != 0 {
			m.errorf("invalid capture index %%%d", i+1)
		}
		return lua.LString(m.src[s:e])
	}
	cp := m.capture[i]
	switch cp.len {
	case capUnfinished:
		m.errorf("unfinished capture")
	case capPosition:
		return lua.LNumber(cp.init + 1)
	}
	return lua.LString(m.src[cp.init : cp.init+cp.len])
}

// push pushes the captures of a match src[s:e] on L's stack (the whole
// match when there is none and whole is true) and returns how many.
func (m *matcher) push(s, e int, whole bool) int {
	n := m.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		m.L.Push(m.get(i, s, e))
	}
	return n
}

// reset prepares a new match attempt.
func (m *matcher) reset() {
	m.level = 0
	m.depth = 0
}
