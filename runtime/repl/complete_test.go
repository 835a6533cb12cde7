package repl

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/repl.md from the command table")

// docs/repl.md is generated from the command table; this test keeps it in
// step. `go generate ./runtime/repl` (or go test -run TestREPLDocs -args
// -update) rewrites it.
func TestREPLDocs(t *testing.T) {
	want := replMarkdown()
	if *update {
		if err := os.MkdirAll(filepath.Dir(replDocsPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(replDocsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(replDocsPath)
	if err != nil {
		t.Fatalf("%v (go generate ./runtime/repl writes it)", err)
	}
	if string(got) != want {
		t.Errorf("docs/repl.md is out of date with the command table: run go generate ./runtime/repl")
	}
	for _, c := range replCommands {
		if !strings.Contains(want, "`"+mdCell(c.usage())+"`") {
			t.Errorf("the docs lack %s", c.usage())
		}
	}
}

func TestCommandTable(t *testing.T) {
	seen := map[mode]map[string]bool{modeLive: {}, modeDebug: {}}
	for _, c := range replCommands {
		for m, names := range seen {
			if !c.in(m) {
				continue
			}
			for _, n := range append([]string{c.name}, c.aliases...) {
				if names[n] {
					t.Errorf("%s is used twice in mode %d", n, m)
				}
				names[n] = true
			}
			if got := lookupIn(c.name, m); got != c {
				t.Errorf("lookupIn(%s, %d) found %s", c.name, m, got.name)
			}
		}
		if c.summary == "" || c.run == nil || !slices.Contains(groupOrder, c.group) {
			t.Errorf("%s: every command needs a summary, a handler and a group", c.name)
		}
		if strings.HasSuffix(c.summary, ".") {
			t.Errorf("%s: a summary is a phrase, without a final period", c.name)
		}
		if len(c.name)+len(c.summary) > 100 {
			t.Errorf("%s: summary too long for one help line", c.name)
		}
	}
	if c := lookup("nope"); c == nil || c.run == nil {
		t.Error("lookup of an unknown name must return a placeholder")
	}
}

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"mine.lua", "notes.txt", "sub/other.lua"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("return {}"), 0o644)
	}
	t.Chdir(dir)
	r := newREPL(newSyncBuffer(), nil, false, false)
	if err := r.load(""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		head string
		want []string // exactly, or with "..." last: at least these
	}{
		{"", "", []string{"?", "algorithm", "check", "delay", "deliver", "..."}},
		{"de", "", []string{"delay", "deliver"}},
		{"hel", "", []string{"help"}},
		{"help re", "help ", []string{"release", "reload", "restart", "resume"}},
		{"pause ", "pause ", []string{"all", "A", "B", "A1", "A2", "A3", "B1", "B2", "B3"}},
		{"kill B", "kill ", []string{"B", "B1", "B2", "B3"}},
		{"inspect A", "inspect ", []string{"A", "A1", "A2", "A3"}},
		{"hold A1->", "hold ", []string{"A1->A", "A1->B", "A1->A2", "A1->A3", "A1->B1", "A1->B2", "A1->B3"}},
		{"hold a", "hold ", []string{"all"}},
		{"deliver B3->B", "deliver ", []string{"B3->B", "B3->B1", "B3->B2"}},
		{"partition A1,A", "partition ", []string{"A1,A", "A1,A1", "A1,A2", "A1,A3"}},
		{"partition A1 B", "partition A1 ", []string{"B", "B1", "B2", "B3"}},
		{"trace 20 A", "trace 20 ", []string{"A", "A1", "A2", "A3"}},
		{"load th", "load ", []string{"three_groups"}},
		{"load m", "load ", []string{"maekawa", "mine.lua"}},
		{"load s", "load ", []string{"seed", "suzuki_kasami", "sub/"}},
		{"load sub/", "load ", []string{"sub/other.lua"}},
		{"diagram n", "diagram ", []string{"notes.txt"}},
		{"run --", "run ", []string{"--rounds", "--speed", "--hold", "--trace"}},
		{"run --trace n", "run --trace ", []string{"notes.txt"}},
		{"run x", "run ", nil},
		{"algorithm ", "algorithm ", []string{"token", "A", "B"}},
		{"algorithm A ", "algorithm A ", []string{"central", "lamport", "maekawa", "naimi_trehel", "raymond",
			"ricart_agrawala", "roucairol_carvalho", "suzuki_kasami", "token"}},
		{"algorithm A ri", "algorithm A ", []string{"ricart_agrawala"}},
		{"status ", "status ", nil},
		{"bogus A", "bogus ", nil},
	} {
		head, got, tail := r.complete(tc.line, len(tc.line))
		if head != tc.head || tail != "" {
			t.Errorf("complete(%q): head %q tail %q, want head %q", tc.line, head, tail, tc.head)
		}
		want := tc.want
		if n := len(want); n > 0 && want[n-1] == "..." {
			for _, w := range want[:n-1] {
				if !slices.Contains(got, w) {
					t.Errorf("complete(%q) = %q, lacks %q", tc.line, got, w)
				}
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("complete(%q) = %q, want %q", tc.line, got, want)
		}
	}
	// In the middle of a line, what follows the cursor is kept.
	if head, got, tail := r.complete("kill A1 now", 6); head != "kill " || tail != "1 now" || !slices.Contains(got, "A1") {
		t.Errorf("completion mid-line: %q %q %q", head, got, tail)
	}
}

// The liner prompter appends every line to the history file at once and
// trims the file to historyLimit lines when it starts.
func TestHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	var old []string
	for i := 0; i < historyLimit+5; i++ {
		old = append(old, "status")
	}
	old[len(old)-1] = "last old line"
	os.WriteFile(path, []byte(strings.Join(old, "\n")+"\n"), 0o600)
	p := newLinerPrompter(path)
	defer p.Close()
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != historyLimit {
		t.Errorf("history file has %d lines after trimming, want %d", n, historyLimit)
	}
	p.AppendHistory("hold all")
	b, _ = os.ReadFile(path)
	if !strings.HasSuffix(string(b), "last old line\nhold all\n") {
		t.Errorf("history file does not end with the new line:\n%s", b[len(b)-40:])
	}
}

func TestHistoryPath(t *testing.T) {
	t.Setenv("HOME", "/home/student")
	if got := historyPath(); got != "/home/student/.mutexlab_history" {
		t.Errorf("historyPath() = %q", got)
	}
}
