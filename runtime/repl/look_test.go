package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

func TestStatusLive(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	pids := s.pids()
	out := s.must("status", "NODE  ROLE", "PID", "STATE", "LC", "ROUND", "CS", "MAILBOX", "heavyweight", "lightweight")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 9 {
		t.Fatalf("status has %d lines, want a header and 8 rows:\n%s", len(lines), out)
	}
	for i, id := range []string{"A", "B", "A1", "A2", "A3", "B1", "B2", "B3"} {
		f := strings.Fields(lines[i+1])
		if f[0] != id || f[2] != fmt.Sprint(pids[id]) {
			t.Errorf("row %d is %q, want %s with pid %d", i+1, lines[i+1], id, pids[id])
		}
		if last := f[len(f)-1]; last == "-" {
			t.Errorf("%s: no mailbox length from a live node: %q", id, lines[i+1])
		}
	}
	s.fails("status now", "usage: status")
	s.must("st", "NODE")
}

func TestInspect(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.must("inspect A1 node.id", "A1")
	s.must("inspect B  node.role", "heavyweight")
	s.must("inspect A1 node.id .. '  ' .. node.parent", "A1  A")
	s.fails("inspect A1", "usage: inspect NODE EXPR")
	s.fails("inspect Z9 node.id", `unknown node "Z9"`)
	s.fails("inspect A1 )(", "inspect")
}

func TestTrace(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --rounds 1 --speed 200")
	out := s.must("trace 5")
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 5 {
		t.Errorf("trace 5 printed %d lines:\n%s", n, out)
	}
	out = s.must("trace all A1", "start pid", "cs_enter round 1", "send REQUEST to A2")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); f[1] != "A1" {
			t.Errorf("trace A1 shows another node: %q", l)
		}
	}
	out = s.must("trace A2 B1")
	if strings.Contains(out, "  A1  ") {
		t.Errorf("trace A2 B1 shows A1:\n%s", out)
	}
	s.fails("trace 0", "N 0: want 1 or more, or all")
	s.fails("trace Z9", `unknown node "Z9"`)
}

func TestTimeline(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("timeline", "no run yet")
	s.must("run --rounds 1 --speed 200")
	out := s.must("timeline 6", "A1", "B3", "the last 6 rows", "exits: stopped")
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("timeline line of %d columns: %q", n, l)
		}
	}
	s.must("timeline all", "CS_GRANT", "REQUEST")
	s.fails("timeline 0", "want 1 or more, or all")
	s.fails("timeline 1 2", "usage: timeline")
}

// brokenAlgorithm lets every lightweight in at once.
const brokenAlgorithm = `local M = {}
function M.request() end
function M.release() end
return M
`

func TestCheck(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --rounds 1 --speed 200")
	s.must("check", "mutual exclusion  PASS", "messages          PASS")
	s.fails("check now", "usage: check")

	// A broken algorithm fails the check, and so the script.
	path := labDir(t, map[string]string{"broken.lua": brokenAlgorithm})
	s = newSession(t, sessionOptions{scenario: path})
	s.must("algorithm A broken")
	// The live monitor raises the alert as it happens.
	s.must("run --rounds 1 --speed 20", "MUTUAL EXCLUSION")
	out := s.do("check")
	if !strings.Contains(out, "mutual exclusion  FAIL") {
		t.Fatalf("check of a broken algorithm:\n%s", out)
	}
	if code := s.quit(); code != 1 {
		t.Errorf("exit status %d after a failed check, want 1", code)
	}
}

// A check while the system runs judges it as interrupted: grants not
// yet followed by an entry are not failures.
func TestCheckWhileRunning(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	waitEvent(t, s, func(e trace.Event) bool { return e.Ev == trace.CSExit })
	s.must("check", "the run is still going", "mutual exclusion  PASS")
}

func TestDiagram(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --rounds 1 --speed 200")
	path := filepath.Join(t.TempDir(), "d.html")
	s.must("diagram "+path, "wrote "+path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<svg") {
		t.Errorf("%s has no SVG", path)
	}
	s.fails("diagram a b", "usage: diagram [FILE]")
	s.fails("diagram /no/such/dir/d.html", "no such file or directory")
	// The default name is the scenario's, in the working folder.
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	s.must("diagram", "wrote mutexlab-seed.html")
	if _, err := os.Stat("mutexlab-seed.html"); err != nil {
		t.Error(err)
	}
	t.Chdir(wd)
}

func TestExplore(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("explore", "not available")
	s.close()

	var got *scenario.Scenario
	var gotArgs []string
	explore := func(_ context.Context, w io.Writer, sc *scenario.Scenario, _ []string, args []string) error {
		got, gotArgs = sc, args
		fmt.Fprintln(w, "explored")
		if len(args) > 0 && args[0] == "--fail" {
			return errors.New("bad flag")
		}
		return nil
	}
	s = newSession(t, sessionOptions{explore: explore})
	s.must("speed 7")
	s.must("explore --runs 3", "explored")
	if got == nil || got.Speed != 7 || strings.Join(gotArgs, " ") != "--runs 3" {
		t.Errorf("explore got scenario %+v and args %q", got, gotArgs)
	}
	s.fails("explore --fail", "bad flag")
}
