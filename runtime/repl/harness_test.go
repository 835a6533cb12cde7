package repl

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/cluster/clustertest"
)

// The REPL tests start real node processes: they need the mutexlab
// binary, built once (lazily, so tests that need no processes do not wait
// for it).
func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// testBinary returns the path of a freshly built mutexlab.
func testBinary(t *testing.T) string { return clustertest.Binary(t) }

// replProcess returns `mutexlab ARGS` for a test. It cannot outlive the
// test: it gets SIGTERM (which stops its nodes) when the test binary dies
// or the test's time is up, and SIGKILL if that is not enough.
func replProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, testBinary(t), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// waitTimeout bounds every wait of these tests: long enough for a slow
// machine under -race, short enough to fail rather than hang.
const waitTimeout = 30 * time.Second

// syncBuffer is a bytes.Buffer safe for the REPL's goroutines, which can
// be waited on for some text.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// waitFor waits until the text after offset from contains want, and
// returns the offset just past it.
func (s *syncBuffer) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		s.mu.Lock()
		text := s.b.String()
		ch := s.changed
		s.mu.Unlock()
		if from > len(text) {
			from = len(text)
		}
		if i := strings.Index(text[from:], want); i >= 0 {
			return from + i + len(want)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %q; the screen after offset %d:\n%s", want, from, text[from:])
		}
	}
}

// fakePrompter is the user at the keyboard: each line sent on lines is
// typed at the next prompt; closing lines is Ctrl-D, "\x03" is Ctrl-C at
// the prompt.
type fakePrompter struct {
	lines   chan string
	prompts chan string
	mu      sync.Mutex
	history []string
	comp    completer
	closed  bool
}

func newFakePrompter() *fakePrompter {
	return &fakePrompter{lines: make(chan string), prompts: make(chan string)}
}

func (f *fakePrompter) PromptInput(prompt string) (string, error) {
	f.prompts <- prompt
	line, ok := <-f.lines
	switch {
	case !ok:
		return "", io.EOF
	case line == "\x03":
		return "", errInterrupted
	}
	return line, nil
}

func (f *fakePrompter) AppendHistory(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.history = append(f.history, line)
}

func (f *fakePrompter) SetCompleter(c completer) { f.comp = c }

func (f *fakePrompter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// session is a REPL driven through the fake prompter.
type session struct {
	t      *testing.T
	r      *repl
	p      *fakePrompter
	out    *syncBuffer
	errs   *syncBuffer
	last   string // the last command's error lines
	done   chan int
	prompt string // the last prompt shown
	exit   int
	ended  bool
}

type sessionOptions struct {
	interactive bool
	scenario    string // "" is the seed
	explore     ExploreFunc
}

// newSession starts a REPL on the fake prompter and waits for its first
// prompt. Error lines go to a buffer of their own.
func newSession(t *testing.T, o sessionOptions) *session {
	t.Helper()
	out, errs := newSyncBuffer(), newSyncBuffer()
	r := newREPL(out, errs, false, o.interactive)
	r.binary = testBinary(t)
	r.version, r.explore = "test", o.explore
	if err := r.load(o.scenario); err != nil {
		t.Fatalf("load %q: %v", o.scenario, err)
	}
	p := newFakePrompter()
	r.setPrompter(p)
	s := &session{t: t, r: r, p: p, out: out, errs: errs, done: make(chan int, 1)}
	go func() { s.done <- r.loop() }()
	s.awaitPrompt()
	t.Cleanup(s.close)
	return s
}

func (s *session) awaitPrompt() {
	s.t.Helper()
	select {
	case s.prompt = <-s.p.prompts:
	case code := <-s.done:
		s.ended, s.exit = true, code
	case <-time.After(waitTimeout):
		s.t.Fatalf("no prompt within %v; the screen:\n%s", waitTimeout, s.out.String())
	}
}

// do types one line and returns what the command printed, once the next
// prompt is shown.
func (s *session) do(line string) string {
	s.t.Helper()
	if s.ended {
		s.t.Fatalf("do %q: the session has ended", line)
	}
	from, efrom := s.out.Len(), s.errs.Len()
	select {
	case s.p.lines <- line:
	case <-time.After(waitTimeout):
		s.t.Fatalf("do %q: the REPL is not reading", line)
	}
	s.awaitPrompt()
	s.last = s.errs.String()[efrom:]
	return s.out.String()[from:]
}

// must types a line whose output must contain every one of want and no
// error.
func (s *session) must(line string, want ...string) string {
	s.t.Helper()
	out := s.do(line)
	if s.last != "" {
		s.t.Fatalf("%s: unexpected error: %s(output:\n%s)", line, s.last, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			s.t.Fatalf("%s: output lacks %q:\n%s", line, w, out)
		}
	}
	return out
}

// fails types a line that must fail with an error containing want.
func (s *session) fails(line, want string) {
	s.t.Helper()
	out := s.do(line)
	name, _, _ := strings.Cut(line, " ")
	if !strings.Contains(s.last, name+": ") || !strings.Contains(s.last, want) {
		s.t.Fatalf("%s: want an error containing %q, got %q (output:\n%s)", line, want, s.last, out)
	}
}

// quit ends the session with Ctrl-D and returns the exit status.
func (s *session) quit() int {
	s.t.Helper()
	if !s.ended {
		close(s.p.lines)
		select {
		case s.exit = <-s.done:
		case <-time.After(waitTimeout):
			s.t.Fatalf("the REPL did not end")
		}
		s.ended = true
	}
	return s.exit
}

func (s *session) close() {
	if !s.ended {
		close(s.p.lines)
		select {
		case s.exit = <-s.done:
		case <-time.After(waitTimeout):
		}
		s.ended = true
	}
}

// pids returns the process ids of the current run's nodes.
func (s *session) pids() map[string]int {
	s.t.Helper()
	if s.r.cur == nil {
		s.t.Fatal("no run")
	}
	return s.r.cur.c.PIDs()
}

// waitEnded waits until the current run is over.
func (s *session) waitEnded() {
	s.t.Helper()
	select {
	case <-s.r.cur.ended:
	case <-time.After(waitTimeout):
		s.t.Fatalf("the run did not end; the screen:\n%s", s.out.String())
	}
}
