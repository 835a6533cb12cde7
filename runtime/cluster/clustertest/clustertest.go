// Package clustertest builds the mutexlab binary, once per test process,
// for tests that start real node processes (the launcher re-executes the
// binary for every node, so a test binary cannot stand in for it).
//
//	func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }
//	...
//	bin := clustertest.Binary(t)
package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once sync.Once
	dir  string
	path string
	err  error
)

func build() {
	if dir, err = os.MkdirTemp("", "mutexlab-test-"); err != nil {
		return
	}
	path = filepath.Join(dir, "mutexlab")
	if out, berr := exec.Command("go", "build", "-o", path, "mutexlab/cmd/mutexlab").CombinedOutput(); berr != nil {
		err = fmt.Errorf("building mutexlab: %v\n%s", berr, out)
	}
}

// Build returns the path of a mutexlab built from this tree, building it
// on first use.
func Build() (string, error) {
	once.Do(build)
	return path, err
}

// Binary is Build for a test: the test fails if mutexlab does not build.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Main runs the tests and then removes the binary.
func Main(m *testing.M) int {
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

// Processes lists the running processes started from the binary bin, as
// "pid command line": a test asserts none is left behind.
func Processes(bin string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) > 0 && args[0] == bin {
			out = append(out, filepath.Base(d)+" "+strings.Join(args, " "))
		}
	}
	return out
}
