package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// fullSpeed is the seed at full speed: critical sections of one line and
// no pause, forever.
const fullSpeed = `return {
  name = "fullspeed",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 1, interval = 0 },
}
`

// assertConsistent checks a trace read back: no warning, and every
// receive (or drop) after the send it matches.
func assertConsistent(t *testing.T, path string) *trace.Trace {
	t.Helper()
	tr := readTrace(t, path)
	if len(tr.Warnings) > 0 {
		t.Fatalf("%s: %v", path, tr.Warnings)
	}
	type key struct {
		from, to string
		seq      int64
	}
	sent := map[key]bool{}
	for _, e := range tr.Events {
		switch e.Ev {
		case trace.Send:
			sent[key{e.Node, e.To, e.Seq}] = true
		case trace.Recv, trace.Drop:
			if !sent[key{e.From, e.Node, e.Seq}] {
				t.Fatalf("%s line %d: %s %s #%d from %s has no send before it", path, e.Line, e.Node, e.Ev, e.Seq, e.From)
			}
		}
	}
	return tr
}

// Fifty full-speed runs stopped by SIGTERM or SIGINT at random moments,
// from the launch on: each trace is consistent, holds every node's exit,
// and passes check; so does the run's own verdict.
func TestStoppedAtRandomTheTraceIsConsistentAndPasses(t *testing.T) {
	runs := 50
	if testing.Short() {
		runs = 8
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fullspeed.lua"), []byte(fullSpeed), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	for i := range runs {
		// From 50 ms (the launcher listens for signals by then) into
		// the run, most of them while nodes are at full speed.
		delay := time.Duration(50+r.Intn(800)) * time.Millisecond
		sig := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT}[r.Intn(2)]
		name := fmt.Sprintf("run%02d", i)
		path := filepath.Join(dir, name+".jsonl")
		cmd := exec.Command(bin, "run", "fullspeed.lua", "--trace", path)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay) // the random moment: what is tested is any moment
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("%s: stopped by %v after %v: %v\n%s\n%s", name, sig, delay, err, tail(so.String()), se.String())
		}
		tr := assertConsistent(t, path)
		exits := 0
		for _, e := range tr.Events {
			if e.Ev == trace.Exit {
				exits++
			}
		}
		if exits != 8 {
			t.Fatalf("%s: %d exit events, want 8 (stopped by %v after %v)", name, exits, sig, delay)
		}
		if res := mutexlab(t, dir, "check", path); res.code != 0 {
			t.Fatalf("%s: check exits %d (stopped by %v after %v):\n%s%s", name, res.code, sig, delay, res.stdout, res.stderr)
		}
		if strings.Contains(se.String(), "left out of the trace") {
			t.Errorf("%s: events were left out: %s", name, se.String())
		}
		os.Remove(path)
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-12):], "\n")
}

// A trace that cannot be written is one line and exit status 3, never a
// run that seems to pass.
func TestTraceThatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"disk full", []string{"--trace", "/dev/full"}, "no space left on device"},
		{"no such folder", []string{"--trace", filepath.Join(dir, "no", "t.jsonl")}, "no such file or directory"},
		{"html", []string{"--html", filepath.Join(dir, "no", "d.html")}, "--html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mutexlab(t, dir, append([]string{"run", "--rounds", "1", "--speed", "200"}, tc.args...)...)
			if res.code != 3 {
				t.Fatalf("exit status %d, want 3\n%s%s", res.code, res.stdout, res.stderr)
			}
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "mutexlab run: ") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("stderr is not one line about %q:\n%s", tc.want, res.stderr)
			}
		})
	}
}

// Without --trace the run's trace is a temporary file: gone after a run
// that passes, kept and named after one whose check fails.
func TestTemporaryTrace(t *testing.T) {
	tmp := t.TempDir()
	run := func(args ...string) (result, []string) {
		cmd := exec.Command(bin, append([]string{"run"}, args...)...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "TMPDIR="+tmp)
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmd.Run()
		left, _ := filepath.Glob(filepath.Join(tmp, "mutexlab-*.jsonl"))
		return result{cmd.ProcessState.ExitCode(), so.String(), se.String()}, left
	}
	res, left := run("--rounds", "1", "--speed", "200")
	if res.code != 0 || len(left) != 0 || strings.Contains(res.stdout, "  trace ") {
		t.Fatalf("a passing run: exit %d, left %v\n%s%s", res.code, left, res.stdout, res.stderr)
	}
	res, left = run("exercises/after_you", "--speed", "20") // a deadlock: it stalls every time
	if res.code != 1 || len(left) != 1 || !strings.Contains(res.stdout, "  trace       "+left[0]) {
		t.Fatalf("a failing run: exit %d, left %v\n%s%s", res.code, left, res.stdout, res.stderr)
	}
	if res := mutexlab(t, tmp, "check", left[0]); res.code != 1 {
		t.Errorf("check of the kept trace exits %d", res.code)
	}
}

// failingWriter accepts n bytes, then fails as a full disk does.
type failingWriter struct {
	mu sync.Mutex
	n  int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("no space left on device")
	}
	w.n -= len(p)
	return len(p), nil
}

func loadFullSpeed(t testing.TB) *scenario.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fullspeed.lua")
	if err := os.WriteFile(path, []byte(fullSpeed), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Resolve(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A disk that fills up in the middle of a forever run stops it, and the
// outcome says why.
func TestTraceWriteErrorStopsTheRun(t *testing.T) {
	c, err := Start(Options{Scenario: loadFullSpeed(t), Binary: bin, Trace: &failingWriter{n: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(60 * time.Second):
		c.Stop("stopped")
		t.Fatal("the run went on without its trace")
	}
	if out := c.Outcome(); !strings.Contains(out.TraceErr, "no space left") {
		t.Fatalf("outcome %+v", out)
	}
	if _, err := Start(Options{Scenario: loadFullSpeed(t), Binary: bin, Trace: &failingWriter{}}); err == nil ||
		!strings.Contains(err.Error(), "writing the trace") {
		t.Fatalf("a trace whose header cannot be written: %v", err)
	}
}

// In process: what OnEvent sees is exactly the trace, line for line, and
// the launcher keeps nothing of it.
func TestOnEventSeesTheTraceLineForLine(t *testing.T) {
	var buf syncBuffer
	var mu sync.Mutex
	var seen []string
	c, err := Start(Options{Scenario: loadFullSpeed(t), Binary: bin, Trace: &buf, OnEvent: func(e trace.Event) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s %d", e.Node, e.Ev, e.LC))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Let it run until some thousands of events are in, then stop.
	for {
		n, err := c.FlushTrace()
		if err != nil {
			t.Fatal(err)
		}
		if n > 1<<20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Stop("interrupted")
	tr, err := trace.Read(bytes.NewReader(buf.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Events) != len(seen) {
		t.Fatalf("the trace has %d events, OnEvent saw %d", len(tr.Events), len(seen))
	}
	for i, e := range tr.Events {
		if got := fmt.Sprintf("%s %s %d", e.Node, e.Ev, e.LC); got != seen[i] {
			t.Fatalf("event %d: trace %q, OnEvent %q", i, got, seen[i])
		}
	}
	if c.merger.Held() != 0 || c.merger.InFlight() > 64 {
		t.Errorf("after the run the merger holds %d events and %d sends", c.merger.Held(), c.merger.InFlight())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
