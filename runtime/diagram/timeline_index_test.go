package diagram

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/examples"
	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// sameTimeline draws the trace in data whole (Timeline) and walking it
// (TimelineIndex), with the checker's violations marked, and fails on the
// first difference.
func sameTimeline(t *testing.T, name string, data []byte) {
	t.Helper()
	tr, err := trace.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ix, err := trace.NewIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var viols []Violation
	for _, root := range check.Run(tr, check.Options{}).Roots() {
		for _, e := range append([]check.Evidence{root.Evidence}, func() (out []check.Evidence) {
			for _, c := range root.Follows {
				out = append(out, c.Evidence)
			}
			return out
		}()...) {
			v := Violation{Nodes: e.Nodes, Text: root.Check + ": " + e.Text, Check: root.Check}
			for _, r := range e.Events {
				v.Lines = append(v.Lines, r.Line)
			}
			viols = append(viols, v)
		}
	}
	for _, o := range []TimelineOptions{{}, {Last: 5, Color: true, Violations: viols}, {Width: 160, Violations: viols}} {
		var whole, walked bytes.Buffer
		if err := Timeline(&whole, tr, o); err != nil {
			t.Fatal(err)
		}
		if err := TimelineIndex(&walked, ix, o); err != nil {
			t.Fatal(err)
		}
		if whole.String() != walked.String() {
			t.Fatalf("%s (last %d): the walked timeline differs\n--- whole:\n%s\n--- walked:\n%s", name, o.Last, whole.String(), walked.String())
		}
	}
}

func TestTimelineIndexSameAsTimeline(t *testing.T) {
	files, _ := filepath.Glob("../check/testdata/*.jsonl")
	for _, f := range append(files, "testdata/small.jsonl") {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sameTimeline(t, f, data)
	}
	// Simulated runs of the examples and exercises.
	var names []string
	lua, _ := fs.Glob(examples.FS, "*.lua")
	for _, f := range lua {
		names = append(names, strings.TrimSuffix(f, ".lua"))
	}
	ex, _ := fs.Glob(examples.FS, "exercises/*/scenario.lua")
	for _, f := range ex {
		names = append(names, strings.TrimSuffix(f, "/scenario.lua"))
	}
	for _, name := range names {
		s, err := scenario.Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		s.Rounds = 2
		res, err := sim.Run(s, node.NewLibrary(s.Dir), "test", sim.Options{Seed: 3, Lag: true})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := sim.WriteTrace(&b, res.Trace); err != nil {
			t.Fatal(err)
		}
		sameTimeline(t, name, b.Bytes())
	}
}
