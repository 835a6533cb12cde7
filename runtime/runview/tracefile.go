package runview

import (
	"fmt"
	"os"
	"strings"
)

// TraceFile is where a run's trace goes: the --trace file or, without
// one, a temporary file. The end-of-run check and the REPL's views read
// the trace back from it; nothing keeps the run's events in memory.
type TraceFile struct {
	Path string
	Temp bool     // made up for the run: removed at its end unless kept
	File *os.File // open until Close
}

// CreateTrace creates path, or a temporary file named after the scenario
// when path is "".
func CreateTrace(path, scenarioName string) (*TraceFile, error) {
	if path == "" {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == os.PathSeparator || r == '*' {
				return '-'
			}
			return r
		}, scenarioName)
		f, err := os.CreateTemp("", "mutexlab-"+name+"-*.jsonl")
		if err != nil {
			return nil, fmt.Errorf("a temporary trace file: %w", err)
		}
		return &TraceFile{Path: f.Name(), Temp: true, File: f}, nil
	}
	f, err := CreateLocked(path)
	if err != nil {
		return nil, err
	}
	return &TraceFile{Path: path, File: f}, nil
}

// Close closes the file; the trace stays.
func (t *TraceFile) Close() error {
	if t.File == nil {
		return nil
	}
	err := t.File.Close()
	t.File = nil
	return err
}

// Discard closes the file and removes it if it is temporary.
func (t *TraceFile) Discard() {
	t.Close()
	if t.Temp {
		os.Remove(t.Path)
	}
}
