package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutexlab diff: the same run is the same schedule (exit 0, nothing
// differs); the broken eager_entry against the fixed one on the same seed
// diverges (exit 1) and names the first wrong entry; bad input is exit 2.
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	fixedDir := filepath.Join(dir, "fixed")
	os.MkdirAll(fixedDir, 0o755)
	shipped, err := os.ReadFile(filepath.Join("..", "..", "algorithms", "ricart_agrawala.lua"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(fixedDir, "ricart_agrawala.lua"), shipped, 0o644)
	mutexlab(t, dir, "explore", "exercises/eager_entry", "--runs", "1", "--seed", "1", "--trace", "broken.jsonl")
	if _, errs, code := mutexlab(t, dir, "explore", "exercises/eager_entry", "--runs", "1", "--seed", "1", "--scripts", "fixed", "--trace", "fixed.jsonl"); code != 0 {
		t.Fatalf("the fixed run fails: %s", errs)
	}

	out, errs, code := mutexlab(t, dir, "diff", "broken.jsonl", "broken.jsonl")
	if code != 0 || !strings.Contains(out, "the same schedule") || strings.Contains(out, "≠") || strings.Contains(out, "first difference") {
		t.Errorf("diff of a run with itself: exit %d\n%s%s", code, out, errs)
	}

	out, errs, code = mutexlab(t, dir, "diff", "broken.jsonl", "fixed.jsonl", "-o", "diff.html")
	for _, want := range []string{
		"the runs diverge",
		"first entry that differs  A1 enters round 1 in a at its event 12 (line 48); in b at its event 14",
		"mutual exclusion  FAIL  PASS  ≠",
		"diagram  diff.html",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff broken fixed lacks %q", want)
		}
	}
	if code != 1 {
		t.Errorf("diff broken fixed: exit %d, want 1", code)
	}
	page, err := os.ReadFile(filepath.Join(dir, "diff.html"))
	if err != nil || !strings.Contains(string(page), `class="divring"`) || strings.Contains(string(page), "<script") {
		t.Errorf("diff.html: %v (a static page with the divergence marked)", err)
	}
	if t.Failed() {
		t.Logf("output:\n%s%s", out, errs)
	}

	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("not a trace\n"), 0o644)
	for _, args := range [][]string{{"diff", "broken.jsonl"}, {"diff", "broken.jsonl", "bad.jsonl"}, {"diff", "broken.jsonl", "nope.jsonl"}} {
		if _, errs, code := mutexlab(t, dir, args...); code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 and one line: %q", args, code, errs)
		}
	}
}
