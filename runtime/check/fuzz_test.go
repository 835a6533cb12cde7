package check

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"mutexlab/runtime/trace"
)

// FuzzCheck: no trace the reader accepts makes a check panic, the
// report prints and encodes, and walking the trace (RunIndex) gives the
// same report as reading it whole (Run). Seeds: testdata/*.jsonl and
// testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := trace.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		r := Run(tr, Options{})
		r.Print(io.Discard, true)
		want, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		ix, err := trace.NewIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("Read reads what NewIndex refuses: %v", err)
		}
		w, err := RunIndex(ix, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := w.JSON()
		if !bytes.Equal(want, got) {
			t.Fatalf("walked:\n%s\nwhole:\n%s", got, want)
		}
	})
}
