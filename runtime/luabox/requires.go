package luabox

import (
	"bytes"
	"reflect"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Require is a require of a module named by a string literal:
// require("helpers") or require "helpers".
type Require struct {
	Module string
	Line   int
}

// Requires lists the requires of src whose module is a string literal,
// in the order they appear, so that a missing module is found before
// anything runs. A require of a computed name (require(node.algorithm))
// is not listed. A syntax error comes back as Compile's.
func Requires(file string, src []byte) ([]Require, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), file)
	if err != nil {
		return nil, syntaxError(file, src, err)
	}
	var out []Require
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return
			}
			if v.Kind() == reflect.Pointer && v.CanInterface() {
				if call, ok := v.Interface().(*ast.FuncCallExpr); ok {
					if r, ok := literalRequire(call); ok {
						out = append(out, r)
					}
				}
			}
			walk(v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Field(i); f.CanInterface() {
					walk(f)
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(chunk))
	return out, nil
}

func literalRequire(call *ast.FuncCallExpr) (Require, bool) {
	id, ok := call.Func.(*ast.IdentExpr)
	if !ok || id.Value != "require" || call.Receiver != nil || len(call.Args) != 1 {
		return Require{}, false
	}
	s, ok := call.Args[0].(*ast.StringExpr)
	if !ok {
		return Require{}, false
	}
	return Require{Module: s.Value, Line: call.Line()}, true
}
