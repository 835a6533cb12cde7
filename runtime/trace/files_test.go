package trace

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A run's trace split into one file per node, each node's clock skewed
// (as on machines of their own), merges back into a trace where every
// receive follows its send, each node's events in its order, none lost.
func TestMergeFiles(t *testing.T) {
	whole, err := ReadFile("../check/testdata/clean_ra.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	byNode := map[string][]Event{}
	for _, e := range whole.Events {
		byNode[e.Node] = append(byNode[e.Node], e)
	}
	var paths []string
	for i, id := range whole.Meta.Nodes {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.WriteMeta(whole.Meta)
		for _, e := range byNode[id] {
			e.T += int64(i%3-1) * 5_000_000 // clocks 5 ms apart
			w.Record(e)
		}
		p := filepath.Join(dir, id+".jsonl")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Reverse(paths) // any order
	var out bytes.Buffer
	if _, err := MergeFiles(paths, &out); err != nil {
		t.Fatal(err)
	}
	merged, err := Read(&out)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Events) != len(whole.Events) {
		t.Fatalf("%d events merged, %d in the run", len(merged.Events), len(whole.Events))
	}
	sent := map[string]bool{}
	pos := map[string]int{}
	for _, e := range merged.Events {
		switch e.Ev {
		case Send:
			sent[fmt.Sprint(e.Node, e.To, e.Seq)] = true
		case Recv:
			if !sent[fmt.Sprint(e.From, e.Node, e.Seq)] {
				t.Fatalf("line %d: %s receives %s's message %d before it was sent", e.Line, e.Node, e.From, e.Seq)
			}
		}
		want := byNode[e.Node][pos[e.Node]]
		if e.Ev != want.Ev || e.LC != want.LC {
			t.Fatalf("%s's event %d is %s lc %d, want %s lc %d", e.Node, pos[e.Node], e.Ev, e.LC, want.Ev, want.LC)
		}
		pos[e.Node]++
	}

	// A subset, a node twice, another run: one line each.
	for _, tt := range []struct {
		paths []string
		want  string
	}{
		{paths[:2], "missing"},
		{[]string{paths[0], paths[0]}, "also in"},
	} {
		_, err := MergeFiles(tt.paths, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("MergeFiles(%v) = %v, want one line with %q", tt.paths, err, tt.want)
		}
	}
	other := whole.Meta
	other.Scenario = "another"
	var buf bytes.Buffer
	NewWriter(&buf).WriteMeta(other)
	p := filepath.Join(dir, "other.jsonl")
	os.WriteFile(p, buf.Bytes(), 0o644)
	if _, err := MergeFiles([]string{paths[0], p}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not one run") {
		t.Errorf("two runs merged: %v", err)
	}
}
