package check

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"mutexlab/runtime/trace"
)

// FuzzCheck: no trace the reader accepts makes a check panic, and the
// report prints and encodes. Seeds: testdata/*.jsonl and
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
		if _, err := r.JSON(); err != nil {
			t.Fatal(err)
		}
	})
}
