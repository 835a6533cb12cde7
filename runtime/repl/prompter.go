package repl

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// prompter reads the REPL's command lines. The REPL owns one; the liner
// adapter edits lines on a terminal, lineReader reads a script from a pipe,
// and the tests use a fake.
type prompter interface {
	// PromptInput shows prompt and returns the line typed, without its
	// newline. It returns io.EOF at the end of input (Ctrl-D) and
	// errInterrupted when the user pressed Ctrl-C at the prompt.
	PromptInput(prompt string) (string, error)
	// AppendHistory records a line for the up arrow and the history file.
	AppendHistory(line string)
	// SetCompleter installs tab completion.
	SetCompleter(c completer)
	// Close gives the terminal back as it was.
	Close() error
}

// completer is liner's word completer: it returns what comes before the
// word at pos, the candidates for that word, and what follows it.
type completer func(line string, pos int) (head string, completions []string, tail string)

// errInterrupted is Ctrl-C at the prompt: the line is dropped.
var errInterrupted = errors.New("interrupted")

// historyLimit is how many lines the history file keeps.
const historyLimit = 1000

// linerPrompter edits lines with github.com/peterh/liner. It is created
// only when stdin and stdout are terminals, because liner switches the
// terminal to raw mode when it starts and only Close switches it back.
type linerPrompter struct {
	st   *liner.State
	file string // the history file, "" for none
}

func newLinerPrompter(historyFile string) *linerPrompter {
	p := &linerPrompter{st: liner.NewLiner(), file: historyFile}
	p.st.SetCtrlCAborts(true)
	p.st.SetTabCompletionStyle(liner.TabPrints)
	p.loadHistory()
	return p
}

// loadHistory reads the history file and, when it has grown past the
// limit, rewrites it with the newest lines only.
func (p *linerPrompter) loadHistory() {
	if p.file == "" {
		return
	}
	b, err := os.ReadFile(p.file)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > historyLimit {
		lines = lines[len(lines)-historyLimit:]
		os.WriteFile(p.file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	}
	p.st.ReadHistory(strings.NewReader(strings.Join(lines, "\n")))
}

func (p *linerPrompter) PromptInput(prompt string) (string, error) {
	line, err := p.st.Prompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return line, err
}

// AppendHistory adds line to the session's history and appends it to the
// history file at once, so that a crash loses nothing typed.
func (p *linerPrompter) AppendHistory(line string) {
	p.st.AppendHistory(line)
	if p.file == "" {
		return
	}
	f, err := os.OpenFile(p.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	f.WriteString(line + "\n")
	f.Close()
}

func (p *linerPrompter) SetCompleter(c completer) {
	p.st.SetWordCompleter(liner.WordCompleter(c))
}

func (p *linerPrompter) Close() error { return p.st.Close() }

// historyPath is ~/.mutexlab_history, or "" when there is no home.
func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".mutexlab_history")
}

// lineReader reads commands from a pipe or a file: no prompt, no editing,
// no history.
type lineReader struct {
	sc *bufio.Scanner
}

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	return &lineReader{sc: sc}
}

func (l *lineReader) PromptInput(string) (string, error) {
	if l.sc.Scan() {
		return l.sc.Text(), nil
	}
	if err := l.sc.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

func (l *lineReader) AppendHistory(string)   {}
func (l *lineReader) SetCompleter(completer) {}
func (l *lineReader) Close() error           { return nil }
