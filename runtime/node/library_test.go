package node

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/examples"
)

// An embedded exercise's Dir ("embedded:exercises/X") is that folder of
// the embedded examples, searched at its place among the dirs.
func TestLibraryEmbeddedDir(t *testing.T) {
	const dir = "embedded:exercises/eager_entry"
	want, err := fs.ReadFile(examples.FS, "exercises/eager_entry/ricart_agrawala.lua")
	if err != nil {
		t.Fatal(err)
	}

	lib := NewLibrary("", dir)
	p, src, err := lib.Find("ricart_agrawala")
	if err != nil || p != "examples/exercises/eager_entry/ricart_agrawala.lua" || string(src) != string(want) {
		t.Errorf("Find(ricart_agrawala) = %q, %d bytes, %v; want the exercise's copy", p, len(src), err)
	}
	// What the folder does not hold comes from the shipped scripts.
	if p, _, err := lib.Find("lamport"); err != nil || p != "algorithms/lamport.lua" {
		t.Errorf("Find(lamport) = %q, %v", p, err)
	}
	if p, _, err := lib.Find("lightweight"); err != nil || p != "scripts/lightweight.lua" {
		t.Errorf("Find(lightweight) = %q, %v", p, err)
	}

	// Searched at its place: a folder before it wins, one after it loses.
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "ricart_agrawala.lua"), []byte("return {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := NewLibrary(local, dir).Find("ricart_agrawala"); p != filepath.Join(local, "ricart_agrawala.lua") {
		t.Errorf("local folder first: Find = %q, want the local copy", p)
	}
	if p, _, _ := NewLibrary(dir, local).Find("ricart_agrawala"); p != "examples/exercises/eager_entry/ricart_agrawala.lua" {
		t.Errorf("embedded folder first: Find = %q, want the exercise's copy", p)
	}

	// Not found: the message names the embedded folder readably.
	_, _, err = NewLibrary(dir).Find("nope")
	if err == nil || !strings.Contains(err.Error(), "examples/exercises/eager_entry (embedded)") {
		t.Errorf("Find(nope) = %v", err)
	}
	// A folder that is not there, or that tries to climb out, holds nothing.
	for _, d := range []string{"embedded:exercises/not_there", "embedded:../algorithms", "embedded:exercises/../../scripts"} {
		if p, _, err := NewLibrary(d).Find("ricart_agrawala"); err != nil || p != "algorithms/ricart_agrawala.lua" {
			t.Errorf("%s: Find = %q, %v; want the shipped module", d, p, err)
		}
	}
}

// Every module of every exercise compiles, and is found by the name it
// replaces in its own folder.
func TestExerciseModulesCompile(t *testing.T) {
	files, err := fs.Glob(examples.FS, "exercises/*/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no exercise modules embedded (%v)", err)
	}
	for _, f := range files {
		if path.Base(f) == "scenario.lua" {
			continue
		}
		name := strings.TrimSuffix(path.Base(f), ".lua")
		lib := NewLibrary("embedded:" + path.Dir(f))
		_, p, err := lib.Compile(name)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if p != "examples/"+f {
			t.Errorf("%s compiled from %q", f, p)
		}
	}
}
