package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"mutexlab/algorithms"
	"mutexlab/examples"
	"mutexlab/runtime/luabox"
	"mutexlab/scripts"
)

// Library finds Lua modules by name and compiles each once; every VM of a
// process (or every run of the simulator) reuses the compiled chunk.
//
// A module NAME is searched in each folder of Dirs as NAME.lua,
// algorithms/NAME.lua and scripts/NAME.lua, then in the embedded file
// systems, so a student's edited copy overrides the shipped one. A folder
// "embedded:exercises/X" is the folder exercises/X of the embedded
// examples (an embedded exercise's Dir), searched at its place in Dirs.
type Library struct {
	Dirs     []string
	Embedded []EmbeddedFS
	// Pinned maps a module to the one file it must come from, searched
	// before Dirs: an absolute path, or "embedded:algorithms/NAME.lua"
	// (a trace.Script's Path). A replay pins the recorded scripts.
	Pinned map[string]string

	mu     sync.Mutex
	protos map[string]*compiled
}

// EmbeddedFS is a file system of shipped scripts and the prefix its files
// are named with in error messages ("algorithms/").
type EmbeddedFS struct {
	Prefix string
	FS     fs.FS
}

type compiled struct {
	proto *lua.FunctionProto
	path  string
	where string // the trace.Script path: absolute, or "embedded:..."
	src   []byte
}

var moduleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Find returns the path (for messages) and source of module name.
func (lib *Library) Find(name string) (string, []byte, error) {
	f, err := lib.locate(name)
	if err != nil {
		return "", nil, err
	}
	return f.display, f.src, nil
}

// found is a module's file: its name in messages, its trace.Script path
// and its text.
type found struct {
	display string // "mylab/algorithms/lamport.lua", "algorithms/lamport.lua"
	where   string // "/abs/mylab/algorithms/lamport.lua", "embedded:algorithms/lamport.lua"
	src     []byte
}

// NotFoundError is a module no folder of the library holds.
type NotFoundError struct {
	Module string
	// Searched names the places looked in, for the message.
	Searched []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("module %q not found (searched %s)", e.Module, strings.Join(e.Searched, ", "))
}

// locate finds module name: its pinned file, then Dirs, then the
// embedded scripts.
func (lib *Library) locate(name string) (found, error) {
	if !moduleRE.MatchString(name) {
		return found{}, fmt.Errorf("module name %q: expected letters, digits and _", name)
	}
	if p, ok := lib.Pinned[name]; ok {
		return readPinned(p)
	}
	file := name + ".lua"
	for _, dir := range lib.Dirs {
		if e, ok := embeddedDir(dir); ok {
			for _, sub := range []string{"", "algorithms", "scripts"} {
				p := path.Join(sub, file)
				if src, err := fs.ReadFile(e.FS, p); err == nil {
					return found{e.Prefix + p, embeddedPrefix + e.Prefix + p, src}, nil
				}
			}
			continue
		}
		for _, sub := range []string{"", "algorithms", "scripts"} {
			p := filepath.Join(dir, sub, file)
			src, err := os.ReadFile(p)
			if err == nil {
				abs, aerr := filepath.Abs(p)
				if aerr != nil {
					abs = p
				}
				return found{displayPath(p), abs, src}, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return found{}, err
			}
		}
	}
	for _, e := range lib.Embedded {
		src, err := fs.ReadFile(e.FS, file)
		if err == nil {
			return found{e.Prefix + file, embeddedPrefix + e.Prefix + file, src}, nil
		}
	}
	var where []string
	for _, d := range lib.Dirs {
		if e, ok := embeddedDir(d); ok {
			d = strings.TrimSuffix(e.Prefix, "/") + " (embedded)"
		} else {
			d = displayPath(d)
		}
		where = append(where, d)
	}
	where = append(where, "the embedded scripts")
	return found{}, &NotFoundError{Module: name, Searched: where}
}

// readPinned reads a pinned file: "embedded:algorithms/lamport.lua" from
// the embedded scripts (or examples), anything else from the disk.
func readPinned(p string) (found, error) {
	rest, ok := strings.CutPrefix(p, embeddedPrefix)
	if !ok {
		src, err := os.ReadFile(p)
		if err != nil {
			return found{}, err
		}
		return found{displayPath(p), p, src}, nil
	}
	fsys, sub := embeddedFile(rest)
	if fsys == nil {
		return found{}, fmt.Errorf("%s: no such embedded script", p)
	}
	src, err := fs.ReadFile(fsys, sub)
	if err != nil {
		return found{}, fmt.Errorf("%s: no such embedded script", p)
	}
	return found{rest, p, src}, nil
}

// embeddedFile maps an embedded script's name, "algorithms/lamport.lua",
// "scripts/lightweight.lua" or "examples/exercises/X/NAME.lua", to its
// file system and the path in it.
func embeddedFile(name string) (fs.FS, string) {
	for _, e := range []EmbeddedFS{{"algorithms/", algorithms.FS}, {"scripts/", scripts.FS}, {"examples/", examples.FS}} {
		if sub, ok := strings.CutPrefix(name, e.Prefix); ok {
			return e.FS, sub
		}
	}
	return nil, ""
}

// displayPath shortens a path below the working folder to a relative one,
// for error messages a student can read.
func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// Compile returns module name compiled, compiling it on first use.
func (lib *Library) Compile(name string) (*lua.FunctionProto, string, error) {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	c, err := lib.compile(name)
	if err != nil {
		return nil, "", err
	}
	return c.proto, c.path, nil
}

// compile compiles module name once; lib.mu is held.
func (lib *Library) compile(name string) (*compiled, error) {
	if c, ok := lib.protos[name]; ok {
		return c, nil
	}
	f, err := lib.locate(name)
	if err != nil {
		return nil, err
	}
	proto, err := luabox.Compile(f.display, f.src)
	if err != nil {
		return nil, err
	}
	if lib.protos == nil {
		lib.protos = map[string]*compiled{}
	}
	c := &compiled{proto: proto, path: f.display, where: f.where, src: f.src}
	lib.protos[name] = c
	return c, nil
}

// NewLibrary searches dirs (in order, empty ones skipped) and then the
// shipped algorithms and role scripts. A dir "embedded:exercises/X" (the
// Dir of an embedded exercise, see scenario.LoadEmbedded) is that folder
// of the embedded examples, searched at its place; error messages name its
// files "examples/exercises/X/NAME.lua".
func NewLibrary(dirs ...string) *Library {
	lib := &Library{Embedded: []EmbeddedFS{
		{Prefix: "algorithms/", FS: algorithms.FS},
		{Prefix: "scripts/", FS: scripts.FS},
	}}
	for _, d := range dirs {
		if d != "" {
			lib.Dirs = append(lib.Dirs, d)
		}
	}
	return lib
}

// embeddedPrefix marks a dir inside the embedded examples, as
// scenario.LoadEmbedded sets an exercise's Dir: "embedded:exercises/X".
const embeddedPrefix = "embedded:"

// embeddedDir returns the embedded folder a dir "embedded:exercises/X"
// names, with the prefix its files are named by in messages.
func embeddedDir(dir string) (EmbeddedFS, bool) {
	rest, ok := strings.CutPrefix(dir, embeddedPrefix)
	if !ok {
		return EmbeddedFS{}, false
	}
	rest = strings.Trim(path.Clean("/"+filepath.ToSlash(rest)), "/")
	if rest == "" {
		return EmbeddedFS{Prefix: "examples/", FS: examples.FS}, true
	}
	sub, err := fs.Sub(examples.FS, rest)
	if err != nil {
		return EmbeddedFS{}, false
	}
	return EmbeddedFS{Prefix: "examples/" + rest + "/", FS: sub}, true
}
