package repl

import (
	"io"
	"mutexlab/runtime/cluster/clustertest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestTerminalSession drives the real binary in a pseudo-terminal, as a
// student would: liner edits the line, Ctrl-C is a signal while run
// follows the screen, quit stops everything and leaves nothing behind.
func TestTerminalSession(t *testing.T) {
	bin := testBinary(t)
	home := t.TempDir()
	cmd := replProcess(t)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm", "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	screen := newSyncBuffer()
	go io.Copy(screen, tty)
	typeLine := func(s string) {
		t.Helper()
		if _, err := tty.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}

	at := screen.waitFor(t, 0, "mutexlab seed> ")
	typeLine("help\r")
	at = screen.waitFor(t, at, "stop the system and leave")
	at = screen.waitFor(t, at, "mutexlab seed> ")

	typeLine("run --rounds 1 --speed 100\r")
	at = screen.waitFor(t, at, "I'm lightweight process")
	typeLine("\x03") // Ctrl-C: back to the prompt (the run may have ended by then)
	at = screen.waitFor(t, at, "mutexlab seed")
	at = screen.waitFor(t, at, "> ")

	typeLine("status\r")
	at = screen.waitFor(t, at, "NODE  ROLE")
	for _, id := range []string{"A ", "B ", "A1", "A2", "A3", "B1", "B2", "B3"} {
		at = screen.waitFor(t, at, "\n"+id)
	}
	screen.waitFor(t, at, "> ")

	typeLine("quit\r")
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("mutexlab exited with %v", err)
		}
		exited <- err // for the cleanup
	case <-time.After(waitTimeout):
		t.Fatalf("quit did not end mutexlab; the screen:\n%s", screen.String())
	}

	// No node process outlives the REPL.
	if left := processesOf(bin); len(left) > 0 {
		t.Errorf("processes left behind: %s", strings.Join(left, "; "))
	}
	// The history file holds what was typed.
	b, err := os.ReadFile(filepath.Join(home, ".mutexlab_history"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "help\nrun --rounds 1 --speed 100\nstatus\nquit\n"; string(b) != want {
		t.Errorf("history file:\n%q\nwant\n%q", b, want)
	}
	if t.Failed() {
		t.Logf("the screen:\n%s", screen.String())
	}
}

// processesOf lists the running processes started from the binary bin.
func processesOf(bin string) []string { return clustertest.Processes(bin) }
