package repl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// newDebugSession opens the debug mode on a scenario and seed, driven
// through the fake prompter.
func newDebugSession(t *testing.T, name string, seed int64) *session {
	t.Helper()
	s, err := scenario.Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sim.NewSession(sim.SessionOptions{Scenario: s, Lib: node.NewLibrary(s.Dir), Version: "test", Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Close)
	out, errs := newSyncBuffer(), newSyncBuffer()
	r := newREPL(out, errs, false, false)
	r.startDebug(DebugOptions{Session: ss, Origin: name, ScenarioArg: name, Version: "test"})
	p := newFakePrompter()
	r.setPrompter(p)
	se := &session{t: t, r: r, p: p, out: out, errs: errs, done: make(chan int, 1)}
	go func() { se.done <- r.loop() }()
	se.awaitPrompt()
	t.Cleanup(se.close)
	return se
}

// inspectAll is what inspect shows of every node, and where.
func inspectAll(s *session) string {
	s.t.Helper()
	var b strings.Builder
	b.WriteString(s.must("where"))
	for _, id := range s.r.dbg.s.Nodes() {
		b.WriteString(s.must("inspect " + id))
		b.WriteString(s.must("inspect " + id + " node.clock.now()"))
	}
	return b.String()
}

// Stepping forward then back returns exactly the same state, as inspect
// and where show it.
func TestDebugForwardBackSameInspect(t *testing.T) {
	s := newDebugSession(t, "exercises/eager_entry", 1)
	for _, at := range []string{"0", "11", "12", "60"} {
		s.must("goto step "+at, "at step "+at)
		before := inspectAll(s)
		for _, n := range []string{"1", "7", "40"} {
			s.must("step " + n)
			s.must("back "+n, "at step "+at)
			if after := inspectAll(s); after != before {
				t.Fatalf("step %s, back %s from step %s: inspect differs\nbefore:\n%s\nafter:\n%s", n, n, at, before, after)
			}
		}
	}
	if !strings.HasPrefix(s.prompt, "debug eager_entry step 60") {
		t.Errorf("prompt %q", s.prompt)
	}
}

func TestDebugCommands(t *testing.T) {
	s := newDebugSession(t, "exercises/eager_entry", 1)
	s.must("help", "Moving through the run:", "choose", "save")
	if out := s.must("help"); strings.Contains(out, "partition") || strings.Contains(out, "\n  run ") {
		t.Errorf("the debug help lists live commands:\n%s", out)
	}
	s.must("help goto", "goto violation")
	s.fails("partition A1", "unknown command")
	s.fails("back", "already at the start")
	s.must("step", "step 1 ", "line 22", "recv CS_GRANT from A")
	s.must("where", "step 1 at", "A1", "requesting: REPLY from 1 more peer(s)")
	s.must("goto cs 2", "critical section 2: A2 enters, round 1 (line 53)", "at step 12")
	s.must("goto 50", "at step 11", "line 50")
	s.must("goto violation", "violation 1 of", "it happens at line 53 (A2 cs_enter round 1), recorded by step 12")
	s.fails("goto violation 999", "violations")
	s.must("back", "at step 11")
	s.must("next", "A3->A2", "REPLY (ts 7, #2)", "← the branch's next step")
	s.fails("choose B1->B2", "not pending now")
	s.must("trace 3 A2", "line 44")
	s.must("timeline 5", "A2")
	s.must("goto end", "the run ends at step")
	s.fails("step", "the run has ended")
	s.must("goto step 0", "at step 0: every node started")
	dir := t.TempDir()
	s.must("goto step 12", "at step 12")
	path := filepath.Join(dir, "d.html")
	s.must("diagram "+path, "wrote "+path, "the step marked")
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte("up to step 12")) {
		t.Fatalf("the diagram: %v", err)
	}
	if out := s.do("check"); !strings.Contains(out, "mutual exclusion  FAIL") {
		t.Errorf("check at step 12:\n%s", out)
	}
	if s.quit() != exitFailed {
		t.Error("a failed command in a script must give exit status 1")
	}
}

// A branch saved by the debug mode is replayed byte for byte by
// mutexlab replay, and opened again by mutexlab debug.
func TestDebugSaveReplays(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "branch.jsonl")
	cmd := replProcess(t, "debug", "exercises/eager_entry", "--seed", "1")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("goto violation\nback\nchoose timer A1\nstep 20\nsave " + saved + "\n")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mutexlab debug: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "replay it:  mutexlab replay "+saved+" --scenario exercises/eager_entry") {
		t.Fatalf("save names no replay command:\n%s", out)
	}
	replayed := filepath.Join(dir, "replayed.jsonl")
	cmd = replProcess(t, "replay", saved, "--scenario", "exercises/eager_entry", "--trace", replayed)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if out, err := cmd.CombinedOutput(); err != nil && !isExit(err, 1) {
		t.Fatalf("mutexlab replay: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(saved)
	b, _ := os.ReadFile(replayed)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the replay is not the saved branch byte for byte (%d and %d bytes)", len(a), len(b))
	}
	// debug opens the saved branch and steps through it.
	cmd = replProcess(t, "debug", saved, "--scenario", "exercises/eager_entry")
	cmd.Stdin = strings.NewReader("where\ngoto end\n")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mutexlab debug %s: %v\n%s", saved, err, out)
	}
	if !strings.Contains(string(out), "of the recording's") || !strings.Contains(string(out), "the run ends at step") {
		t.Errorf("debug of the saved branch:\n%s", out)
	}
}

func isExit(err error, code int) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == code
}

// The README's debug tour is what examples/debug/eager_entry.txt prints.
func TestDebugTourInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmdLine = "$ mutexlab debug exercises/eager_entry --seed 1 < examples/debug/eager_entry.txt\n"
	_, block, ok := strings.Cut(string(readme), cmdLine)
	if !ok {
		t.Fatal("the README has no debug tour")
	}
	want, _, _ := strings.Cut(block, "```")
	script, err := os.Open("../../examples/debug/eager_entry.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer script.Close()
	cmd := replProcess(t, "debug", "exercises/eager_entry", "--seed", "1")
	cmd.Dir = t.TempDir()
	cmd.Stdin = script
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the tour's script fails: %v\n%s", err, out)
	}
	if string(out) != want {
		t.Errorf("the README's debug tour is out of date; the script prints:\n%s", out)
	}
}

// A scenario with a fault plan: the crash shows where it happens, where
// names the crashed node as such, inspect says it has no state, and going
// back before the crash brings the node back.
func TestDebugFaults(t *testing.T) {
	s := newDebugSession(t, "faults/crash", 1)
	s.must("goto end", "crash", "the run ends at step")
	s.must("where", "A2", "crashed at 0.440s")
	s.fails("inspect A2 1", "A2 crashed: it has no Lua state to inspect")
	s.must("back 3")
	if out := s.must("where"); strings.Contains(out, "crashed") {
		t.Errorf("A2 crashed before its crash:\n%s", out)
	}
	s.must("inspect A2 1", "1")
}
