package repl

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/trace"
)

// labScenario is a seed-shaped scenario with a short critical section,
// in a folder of its own so that tests can put algorithms beside it.
const labScenario = `return {
  name = "lab",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.2 },
  seed = 1,
}
`

// labDir writes labScenario (and the given extra files) to a new folder
// and returns the scenario's path.
func labDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "lab.lua")
	if err := os.WriteFile(path, []byte(labScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// assertGone fails if any of the processes is still alive.
func assertGone(t *testing.T, pids map[string]int) {
	t.Helper()
	for id, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("%s (pid %d) is still running", id, pid)
		}
	}
}

func TestHelp(t *testing.T) {
	s := newSession(t, sessionOptions{})
	out := s.must("help")
	for _, c := range replCommands {
		listed := strings.Contains(out, "  "+c.name+" ")
		if live := lookup(c.name).group != ""; listed != live {
			t.Errorf("help of the live REPL: %s listed %v, a live command %v", c.name, listed, live)
		}
	}
	s.must("help deliver", "deliver LINK [N]", "needs a running system")
	s.must("? run", "--hold")
	s.must("h quit", "aliases: exit q")
	s.fails("help nope", `no command "nope"`)
}

func TestUnknownCommand(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("hodl all", "did you mean hold?")
	s.fails("xyzzy", "unknown command; `help` lists them")
	s.fails("st4tus", "did you mean status?")
	if code := s.quit(); code != 1 {
		t.Errorf("exit status %d after a failed command in a script, want 1", code)
	}
}

func TestInteractiveErrorsKeepStatusZero(t *testing.T) {
	s := newSession(t, sessionOptions{interactive: true})
	s.fails("xyzzy", "unknown command")
	if code := s.quit(); code != 0 {
		t.Errorf("interactive exit status %d, want 0", code)
	}
}

func TestCtrlCAtThePromptDropsTheLine(t *testing.T) {
	s := newSession(t, sessionOptions{interactive: true})
	if out := s.do("\x03"); out != "" {
		t.Errorf("Ctrl-C at the prompt printed %q", out)
	}
	s.must("help", "quit")
}

func TestHistory(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.do("help")
	s.do("   ")
	s.do("# just a comment")
	s.do("speed 3")
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if got := strings.Join(s.p.history, "|"); got != "help|speed 3" {
		t.Errorf("history %q, want help|speed 3", got)
	}
}

func TestLiveCommandsNeedARunningSystem(t *testing.T) {
	s := newSession(t, sessionOptions{})
	for _, c := range replCommands {
		if !c.live {
			continue
		}
		s.fails(strings.TrimSpace(c.name+" A1"), "no system is running; `run` starts it")
	}
	for _, line := range []string{"status", "trace", "check", "diagram"} {
		s.fails(line, "no run yet")
	}
	s.fails("restart", "nothing to restart yet")
}

func TestLoad(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("load three_groups", "loaded three_groups: 18 processes", "A1 A2 A3 A4 A5")
	if !strings.HasPrefix(s.prompt, "mutexlab three_groups> ") {
		t.Errorf("prompt %q does not name the scenario", s.prompt)
	}
	s.fails("load", "usage: load SCENARIO")
	s.fails("load nope", "no such file")
	s.fails("load a b", "usage")
	path := labDir(t, nil)
	s.must("load "+path, "loaded lab: 8 processes")
	s.must("run --speed 50", "started lab")
	s.fails("load seed", "a system is running; stop it first")
}

func TestRunScriptFollowsToTheEnd(t *testing.T) {
	s := newSession(t, sessionOptions{})
	out := s.must("run --rounds 1 --speed 200", "started seed: 8 processes, 1 round(s), speed 200",
		"I'm lightweight process A1", "run seed: complete")
	if strings.Index(out, "I'm lightweight") > strings.Index(out, "run seed: complete") {
		t.Errorf("the summary came before the screen:\n%s", out)
	}
	if s.r.running() {
		t.Error("the run is still going after run --rounds returned")
	}
	pids := s.pids()
	out = s.must("status", "the run is over (complete)")
	for id, pid := range pids {
		if !strings.Contains(out, id) || !strings.Contains(out, strconv.Itoa(pid)) {
			t.Errorf("status lacks %s (pid %d):\n%s", id, pid, out)
		}
	}
	assertGone(t, pids)
}

func TestRunFlags(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("run --rounds -2", "--rounds -2: want 0 (forever) or more")
	s.fails("run --speed -1", "--speed -1: want a number > 0")
	s.fails("run --bogus", "flag provided but not defined: -bogus")
	s.fails("run seed", `unexpected "seed"; load a scenario with load`)
	s.fails("run --trace /no/such/dir/t.jsonl", "--trace")
	s.must("run --speed 50", "started seed: 8 processes, forever, speed 50")
	if !s.r.running() {
		t.Fatal("run in a script without rounds should leave the system running")
	}
	if !strings.Contains(s.prompt, "(running)") {
		t.Errorf("prompt %q does not say the system runs", s.prompt)
	}
	s.fails("run", "already running")
}

func TestRunWritesTrace(t *testing.T) {
	s := newSession(t, sessionOptions{})
	path := filepath.Join(t.TempDir(), "run.jsonl")
	s.must("run --rounds 1 --speed 200 --trace "+path, "trace       "+path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"ev":"meta"`) || !strings.Contains(string(b), `"ev":"cs_enter"`) {
		t.Errorf("trace file is not a run's trace:\n%.300s", b)
	}
}

// At a terminal run follows until Ctrl-C, which returns to the prompt with
// the system still running.
func TestRunFollowsUntilCtrlC(t *testing.T) {
	s := newSession(t, sessionOptions{interactive: true})
	go func() {
		s.out.waitFor(t, 0, "I'm lightweight process")
		s.r.interrupt()
	}()
	out := s.must("run --speed 20", "following the screen", "back at the prompt; the system keeps running")
	if !s.r.running() {
		t.Fatalf("Ctrl-C stopped the system:\n%s", out)
	}
	// Node output while at the prompt is held back, and counted when the
	// next command ends.
	waitUntil(t, "node output while at the prompt", func() bool {
		s.r.con.mu.Lock()
		defer s.r.con.mu.Unlock()
		return s.r.con.hidden > 0
	})
	s.must("status", "NODE", "lines of node output not shown; `follow` shows the screen")
	pids := s.pids()
	s.must("stop", "run seed: interrupted")
	assertGone(t, pids)
}

func TestFollow(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	s.must("follow 1s", "I'm lightweight process")
	s.fails("follow 1 2", "usage: follow [DURATION]")
	s.fails("follow soon", `duration "soon"`)
	s.must("stop", "run seed: interrupted")
	s.fails("follow", "the run is over; `run` starts a new one")
}

func TestFollowInterrupted(t *testing.T) {
	s := newSession(t, sessionOptions{interactive: true})
	go func() {
		s.out.waitFor(t, 0, "I'm lightweight process")
		s.r.interrupt()
	}()
	s.must("run --speed 20")
	from := s.out.Len()
	go func() {
		s.out.waitFor(t, from, "following the screen")
		s.r.interrupt()
	}()
	s.must("follow", "back at the prompt")
}

func TestStop(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("run --speed 20")
	pids := s.pids()
	s.fails("stop now", "usage: stop")
	s.must("stop", "run seed: interrupted, 8 processes")
	assertGone(t, pids)
	s.fails("stop", "the run is over")
	s.must("status", "the run is over (interrupted)")
}

func TestRestart(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("restart", "nothing to restart yet")
	s.must("run --speed 20")
	first := s.pids()
	s.fails("restart now", "usage: restart")
	s.must("restart", "run seed: interrupted", "started seed: 8 processes, forever, speed 20")
	second := s.pids()
	if first["A1"] == second["A1"] {
		t.Error("restart kept the same processes")
	}
	assertGone(t, first)
	s.must("stop")
	s.must("restart", "started seed")
}

func TestSpeed(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.fails("speed", "usage: speed X")
	s.fails("speed 0", `"0": want a number > 0`)
	s.fails("speed fast", `"fast": want a number > 0`)
	s.must("speed 40", "speed 40")
	s.must("run", "speed 40")
	s.must("speed 80", "speed 80 from the next run; `restart` applies it now")
	s.must("restart", "started seed: 8 processes, forever, speed 80")
}

// A broken script is reported by reload; the running system is left
// alone. A good one restarts it.
func TestReload(t *testing.T) {
	good := "return require('lamport')\n"
	path := labDir(t, map[string]string{"mine.lua": good})
	s := newSession(t, sessionOptions{scenario: path})
	s.fails("reload now", "usage: reload")
	s.must("algorithm A mine", "group A uses mine")
	s.must("reload", "reloaded lab (token ring token, A mine, B ricart_agrawala)")
	s.must("run --speed 50")
	first := s.pids()
	// The nodes compile their scripts as they start: let them.
	waitEvent(t, s, func(e trace.Event) bool { return e.Ev == trace.CSEnter })
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "mine.lua"), []byte("return {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.fails("reload", "mine.lua:")
	if !s.r.running() || s.pids()["A1"] != first["A1"] {
		t.Fatal("a failed reload touched the running system")
	}
	os.WriteFile(filepath.Join(filepath.Dir(path), "mine.lua"), []byte(good), 0o644)
	s.must("reload", "reloaded lab", "run lab: interrupted", "started lab")
	if s.pids()["A1"] == first["A1"] {
		t.Error("reload did not restart the system")
	}
}

func TestAlgorithm(t *testing.T) {
	s := newSession(t, sessionOptions{})
	s.must("algorithm", "token ring  token", "group A     lamport", "group B     ricart_agrawala", "available",
		"central lamport maekawa naimi_trehel raymond ricart_agrawala roucairol_carvalho suzuki_kasami token")
	s.fails("algorithm A", "usage: algorithm [GROUP ALGORITHM]")
	s.fails("algorithm Z lamport", `no group "Z" (groups: A B, or token)`)
	s.fails("algorithm A nope", `module "nope" not found`)
	s.must("algorithm A ricart_agrawala", "group A uses ricart_agrawala")
	s.must("algorithm", "group A     ricart_agrawala")
	s.must("run --rounds 1 --speed 200", "run seed: complete")
	s.must("check", "A ricart_agrawala")
	s.must("load seed")
	s.must("algorithm", "group A     lamport")
}

func TestQuitStopsTheSystem(t *testing.T) {
	for _, word := range []string{"quit", "exit", "q"} {
		t.Run(word, func(t *testing.T) {
			s := newSession(t, sessionOptions{})
			s.must("run --speed 20")
			pids := s.pids()
			s.p.lines <- word
			select {
			case code := <-s.done:
				s.ended = true
				if code != 0 {
					t.Errorf("exit status %d", code)
				}
			case <-time.After(waitTimeout):
				t.Fatal("quit did not end the session")
			}
			assertGone(t, pids)
			s.p.mu.Lock()
			closed := s.p.closed
			s.p.mu.Unlock()
			if !closed {
				t.Error("the prompter was not closed")
			}
		})
	}
}

func TestCtrlDStopsTheSystem(t *testing.T) {
	s := newSession(t, sessionOptions{interactive: true})
	s.must("run --speed 20 --hold")
	pids := s.pids()
	if code := s.quit(); code != 0 {
		t.Errorf("exit status %d", code)
	}
	assertGone(t, pids)
	if !strings.Contains(s.out.String(), "stopping the system") {
		t.Errorf("no word about stopping:\n%s", s.out.String())
	}
}

// waitUntil polls cond until it holds, failing the test after waitTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitEvent waits until the current run's trace has an event matching
// match.
func waitEvent(t *testing.T, s *session, match func(trace.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, e := range events(t, s) {
			if match(e) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for an event; the screen:\n%s", s.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// events reads the current run's trace so far, as the REPL's views do.
func events(t *testing.T, s *session) []trace.Event {
	t.Helper()
	tr, err := s.r.cur.tr.read()
	if err != nil {
		t.Fatal(err)
	}
	return tr.Events
}
