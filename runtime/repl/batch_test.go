package repl

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Batch sessions through the real binary: commands on stdin, no prompt.

// The acceptance line, through the real binary and a pipe.
func TestPipedSession(t *testing.T) {
	cmd := replProcess(t, "repl")
	cmd.Stdin = strings.NewReader("run --rounds 1 --speed 200\nstatus\ncheck\nquit\n")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mutexlab repl: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"run seed: complete", "NODE", "mutual exclusion  PASS"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, id := range []string{"A", "B", "A1", "A2", "A3", "B1", "B2", "B3"} {
		if !strings.Contains(text, "\n"+id+" ") {
			t.Errorf("status lacks a row for %s", id)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

func TestPipedSessionExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		code         int
	}{
		{"all succeed", "help\nspeed 5\n# a comment\n\nquit\n", 0},
		{"one fails", "help\nhodl all\nhelp\n", 1},
		{"end of input quits", "speed 5\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := replProcess(t, "repl")
			cmd.Stdin = strings.NewReader(tc.script)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit status %d, want %d\n%s", code, tc.code, out)
			}
		})
	}
}

func TestPipedSessionErrorNamesTheLine(t *testing.T) {
	cmd := replProcess(t, "repl")
	cmd.Stdin = strings.NewReader("help\nhold all\n")
	out, _ := cmd.CombinedOutput()
	if want := "line 2: hold: no system is running"; !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// The example sessions in examples/ run clean.
func TestExampleSessions(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.txt")
	if len(files) == 0 {
		t.Fatal("no example sessions")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			cmd := replProcess(t, "repl")
			cmd.Stdin = in
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("mutexlab repl < %s: %v\n%s", f, err, out)
			}
			if !strings.Contains(string(out), "mutual exclusion  PASS") {
				t.Errorf("%s: no passing check:\n%s", f, out)
			}
		})
	}
}

// SIGTERM, or Ctrl-C in a script, stops the system: no process is left
// behind.
func TestSignalsStopTheSystem(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			bin := testBinary(t)
			cmd := replProcess(t, "repl")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out := newSyncBuffer()
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			io.WriteString(stdin, "run --speed 20\nfollow\n")
			out.waitFor(t, 0, "I'm lightweight process")
			cmd.Process.Signal(sig)
			err = cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Errorf("mutexlab repl after %v: %v, want exit status 1\n%s", sig, err, out.String())
			}
			if left := processesOf(bin); len(left) > 0 {
				t.Errorf("processes left behind: %s", strings.Join(left, "; "))
			}
			if !strings.Contains(out.String(), "run seed: interrupted") {
				t.Errorf("the run's end was not reported:\n%s", out.String())
			}
		})
	}
}

// A stall freezes the system instead of ending it: status shows what each
// node waits for, inspect reads its tables, and stop ends the run as
// stalled.
func TestStallFreezesForInspection(t *testing.T) {
	cmd := replProcess(t, "repl", "exercises/after_you")
	cmd.Stdin = strings.NewReader("run --speed 20\nstatus\ninspect A1 deferred\npending\nstop\nstatus\ncheck\nquit\n")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, _ := cmd.CombinedOutput()
	text := string(out)
	for _, want := range []string{
		"the run stalled: deadlock A1 → A2 → A1",
		"the system is frozen",
		"paused (requesting: REPLY from A2,A3)",
		"paused (waiting for grant)",
		"no message is waiting",
		"run after_you: stalled",
		"exited (stalled) requesting: REPLY from A2,A3",
		"liveness          FAIL  stall: deadlock A1 → A2 → A1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// inspect answered with A1's deferred peers: a Lua list of two ids.
	if !strings.Contains(text, `{"A2", "A3"}`) && !strings.Contains(text, `{"A3", "A2"}`) {
		t.Errorf("inspect A1 deferred did not show two peers")
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}
