package luabox

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Error is a Lua error as one line, "file:line: message" when it names
// a position.
type Error struct {
	File string // the chunk's name; "" when the error names no position
	Line int    // from 1; 0 when the error names no position
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.Msg
}

// Compile compiles the Lua source src of the chunk named file. A syntax
// error comes back as an *Error with its position:
// "file:3: syntax error near '='", or at the last line
// "file:9: syntax error at end of file (an unclosed block or bracket?)".
func Compile(file string, src []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), file)
	if err != nil {
		return nil, syntaxError(file, src, err)
	}
	proto, err := lua.Compile(chunk, file)
	if err != nil {
		return nil, syntaxError(file, src, err)
	}
	// gopher-lua gives every run of a chunk that does not use ... a
	// Lua 5.0 `arg` table that no name of the chunk reaches (only a
	// function's own parameter list declares arg): a table with a map
	// for 32 keys, for every script and module a simulated schedule
	// loads. The chunk's first register, where it would go, is assigned
	// before it is read.
	proto.IsVarArg &^= lua.VarArgNeedsArg
	return proto, nil
}

func syntaxError(file string, src []byte, err error) *Error {
	var pe *parse.Error
	var ce *lua.CompileError
	switch {
	case errors.As(err, &pe) && pe.Pos.Line == parse.EOF:
		msg := pe.Message + " at end of file"
		if pe.Message == "syntax error" {
			msg += " (an unclosed block or bracket?)"
		}
		return &Error{File: file, Line: lastLine(src), Msg: msg}
	case errors.As(err, &pe):
		msg := pe.Message
		tok := pe.Token
		if tok == "" {
			tok = tokenAt(src, pe.Pos.Line, pe.Pos.Column)
		}
		if tok != "" {
			msg += fmt.Sprintf(" near '%s'", printableToken(tok))
		}
		return &Error{File: file, Line: max(pe.Pos.Line, 1), Msg: msg}
	case errors.As(err, &ce):
		return &Error{File: file, Line: max(ce.Line, 1), Msg: ce.Message}
	}
	return &Error{Msg: FirstLine(err.Error())}
}

// tokenAt returns the token that ends at column col (from 1) of line
// (from 1), for a syntax error whose token the parser left empty: it
// keeps the text of names, numbers and strings only, so that "function
// f(\n  M.x = 1" says "near '.'" rather than "near ”".
func tokenAt(src []byte, line, col int) string {
	lines := bytes.Split(src, []byte("\n"))
	if line < 1 || line > len(lines) {
		return ""
	}
	l := lines[line-1]
	if col < 1 || col > len(l) {
		return ""
	}
	end := col // l[:end] ends with the token
	start := end - 1
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	switch c := l[start]; {
	case c == ' ' || c == '\t' || c == '\r':
		return ""
	case isWord(c):
		for start > 0 && isWord(l[start-1]) {
			start--
		}
	default:
		// An operator of two or three characters: "..", "...", "==", "~=", "<=", ">=".
		for _, op := range []string{"...", "..", "==", "~=", "<=", ">="} {
			if n := len(op); end >= n && string(l[end-n:end]) == op {
				start = end - n
				break
			}
		}
	}
	return string(l[start:end])
}

// printableToken writes a token of a syntax error on one line: control
// characters escaped, at most 40 bytes.
func printableToken(tok string) string {
	q := strconv.Quote(Truncate(tok, 40))
	return q[1 : len(q)-1]
}

func lastLine(src []byte) int {
	return max(bytes.Count(bytes.TrimRight(src, "\n"), []byte("\n"))+1, 1)
}

// ErrorLine turns an error of a protected call into one line,
// "file:line: message", without the stack traceback, at most MaxMessage
// bytes long (a longer message is cut, with a note). An error value that
// is not a string is shown as a value ("x.lua:3: error value {code =
// 1}"); a stack overflow, which gopher-lua raises without a position,
// gets the position of the call that overflowed.
func ErrorLine(err error) string {
	if err == nil {
		return ""
	}
	var ae *lua.ApiError
	if !errors.As(err, &ae) || ae.Object == nil {
		return Truncate(FirstLine(err.Error()), MaxMessage)
	}
	at := ""
	var loc *located
	if errors.As(err, &loc) {
		at = loc.at
	}
	if at == "" {
		at = strings.TrimSuffix(innermost(ae.StackTrace), ":")
	}
	prefix := func(msg string) string {
		if at == "" {
			return msg
		}
		return at + ": " + msg
	}
	var msg string
	switch obj := ae.Object.(type) {
	case lua.LString:
		msg = FirstLine(string(obj))
		if msg == callstackOverflow {
			msg = prefix("stack overflow (a recursion without end?)")
		}
	case lua.LNumber:
		msg = prefix(obj.String())
	default:
		msg = prefix("error value " + FirstLine(Show(obj, 1, MaxMessage)))
	}
	return Truncate(msg, MaxMessage)
}

// located is a Lua error with the position where the VM stopped, for
// the errors that name none.
type located struct {
	err *lua.ApiError
	at  string
}

func (e *located) Error() string { return e.err.Error() }
func (e *located) Unwrap() error { return e.err }

// locate adds to err the position where L stopped, when err names none.
func locate(err error, L *lua.LState) error {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		return err
	}
	if at := where(L); at != "" {
		return &located{err: ae, at: at}
	}
	return err
}

// callstackOverflow is gopher-lua's panic when a VM's call stack is full.
const callstackOverflow = "lua callstack overflow"

// innermost returns "file:line:" of a traceback's innermost Lua frame,
// "" when it has none: "stack traceback:\n\tx.lua:1: in function 'f'...".
func innermost(traceback string) string {
	for _, l := range strings.Split(traceback, "\n") {
		l = strings.TrimSpace(l)
		if pos, _, ok := strings.Cut(l, ": in "); ok {
			if i := strings.LastIndexByte(pos, ':'); i > 0 {
				if _, err := strconv.Atoi(pos[i+1:]); err == nil {
					return pos + ":"
				}
			}
		}
	}
	return ""
}

// ErrorIn is ErrorLine for an error of the chunk named file, its
// position taken apart when the error was raised in that chunk.
func ErrorIn(file string, err error) *Error {
	msg := ErrorLine(err)
	if rest, ok := strings.CutPrefix(msg, file+":"); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				return &Error{File: file, Line: n, Msg: text}
			}
		}
	}
	return &Error{Msg: msg}
}

// FirstLine cuts a Lua message to one line: the stack traceback goes,
// line breaks become spaces.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\nstack traceback"); i >= 0 {
		s = s[:i]
	}
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
}
