package node

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Preflight finds and compiles every script a run of s uses before
// anything starts: the role scripts, the token module, each group's
// algorithm and every module they require by a literal name, recursively.
// It returns them, each with where it came from and a hash of its text,
// for the run's header and the trace's (docs/trace.md).
//
// An algorithm or token module that is not found is a *scenario.Error on
// the field that names it, with a "did you mean"; a syntax error or a
// module a script requires and no folder holds is a *ScriptError
// "file:line: message". Either is one line (exit status 2).
func (lib *Library) Preflight(s *scenario.Scenario) ([]trace.Script, error) {
	type want struct {
		module string
		field  string // the scenario field that names it; "" for role scripts and requires
		from   string // the script that requires it, "file:line"
	}
	var queue []want
	seen := map[string]bool{}
	add := func(w want) {
		if !seen[w.module] {
			seen[w.module] = true
			queue = append(queue, w)
		}
	}
	for i, g := range s.Groups {
		add(want{module: g.Algorithm, field: fmt.Sprintf("groups[%d].algorithm", i+1)})
	}
	add(want{module: s.Token, field: "token"})
	add(want{module: scenario.Heavyweight})
	add(want{module: scenario.Lightweight})

	var out []trace.Script
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		lib.mu.Lock()
		c, err := lib.compile(w.module)
		lib.mu.Unlock()
		var nf *NotFoundError
		switch {
		case errors.As(err, &nf) && w.field != "":
			msg := fmt.Sprintf("no module %q (searched %s)", w.module, strings.Join(nf.Searched, ", "))
			if hint := scenario.Suggest(w.module, lib.Modules()); hint != "" {
				msg += fmt.Sprintf("; did you mean %q?", hint)
			}
			return nil, &scenario.Error{File: s.File, Field: w.field, Msg: msg}
		case errors.As(err, &nf) && w.from != "":
			msg := nf.Error()
			if hint := scenario.Suggest(w.module, lib.Modules()); hint != "" {
				msg += fmt.Sprintf("; did you mean %q?", hint)
			}
			return nil, &ScriptError{Msg: w.from + ": " + msg}
		case err != nil:
			return nil, &ScriptError{Msg: err.Error()}
		}
		sum := sha256.Sum256(c.src)
		out = append(out, trace.Script{Module: w.module, Path: c.where, SHA256: hex.EncodeToString(sum[:])})
		reqs, err := luabox.Requires(c.path, c.src)
		if err != nil {
			return nil, &ScriptError{Msg: err.Error()}
		}
		for _, r := range reqs {
			if r.Module != "node" {
				add(want{module: r.Module, from: fmt.Sprintf("%s:%d", c.path, r.Line)})
			}
		}
	}
	return out, nil
}

// Modules lists the module names the library can find, sorted: the
// candidates of a "did you mean".
func (lib *Library) Modules() []string {
	set := map[string]bool{}
	addFS := func(fsys fs.FS, dir string) {
		files, _ := fs.Glob(fsys, pathJoin(dir, "*.lua"))
		for _, f := range files {
			set[strings.TrimSuffix(filepath.Base(f), ".lua")] = true
		}
	}
	for m := range lib.Pinned {
		set[m] = true
	}
	for _, d := range lib.Dirs {
		for _, sub := range []string{"", "algorithms", "scripts"} {
			if e, ok := embeddedDir(d); ok {
				addFS(e.FS, sub)
				continue
			}
			addFS(os.DirFS(d), sub)
		}
	}
	for _, e := range lib.Embedded {
		addFS(e.FS, "")
	}
	names := make([]string, 0, len(set))
	for n := range set {
		if moduleRE.MatchString(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}

func pathJoin(dir, file string) string {
	if dir == "" {
		return file
	}
	return dir + "/" + file
}

// ScriptOrigin names where a script came from for a run's header: its
// path relative to the working folder, or "embedded".
func ScriptOrigin(sc trace.Script) string {
	if rest, ok := strings.CutPrefix(sc.Path, trace.EmbeddedPrefix); ok {
		return "embedded " + rest
	}
	return displayPath(sc.Path)
}
