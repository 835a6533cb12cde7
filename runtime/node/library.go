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
}

var moduleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Find returns the path (for messages) and source of module name.
func (lib *Library) Find(name string) (string, []byte, error) {
	if !moduleRE.MatchString(name) {
		return "", nil, fmt.Errorf("module name %q: expected letters, digits and _", name)
	}
	file := name + ".lua"
	for _, dir := range lib.Dirs {
		if e, ok := embeddedDir(dir); ok {
			for _, sub := range []string{"", "algorithms", "scripts"} {
				p := path.Join(sub, file)
				if src, err := fs.ReadFile(e.FS, p); err == nil {
					return e.Prefix + p, src, nil
				}
			}
			continue
		}
		for _, sub := range []string{"", "algorithms", "scripts"} {
			p := filepath.Join(dir, sub, file)
			src, err := os.ReadFile(p)
			if err == nil {
				return displayPath(p), src, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", nil, err
			}
		}
	}
	for _, e := range lib.Embedded {
		src, err := fs.ReadFile(e.FS, file)
		if err == nil {
			return e.Prefix + file, src, nil
		}
	}
	var where []string
	for _, d := range lib.Dirs {
		if e, ok := embeddedDir(d); ok {
			d = strings.TrimSuffix(e.Prefix, "/") + " (embedded)"
		}
		where = append(where, d)
	}
	where = append(where, "the embedded scripts")
	return "", nil, fmt.Errorf("module %q not found (searched %s)", name, strings.Join(where, ", "))
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
	if c, ok := lib.protos[name]; ok {
		return c.proto, c.path, nil
	}
	path, src, err := lib.Find(name)
	if err != nil {
		return nil, "", err
	}
	proto, err := luabox.Compile(path, src)
	if err != nil {
		return nil, "", err
	}
	if lib.protos == nil {
		lib.protos = map[string]*compiled{}
	}
	lib.protos[name] = &compiled{proto, path}
	return proto, path, nil
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
