package diagram

import (
	"bytes"
	"io"
	"os"
	"testing"

	"mutexlab/runtime/trace"
)

// FuzzRender: no trace the reader accepts makes the HTML diagram, the
// timeline or the ShiViz export panic. Seeds: testdata/small.jsonl and
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	if b, err := os.ReadFile("testdata/small.jsonl"); err == nil {
		f.Add(b, uint8(0))
		f.Add(b, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, last uint8) {
		tr, err := trace.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := HTML(io.Discard, tr, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := Timeline(io.Discard, tr, TimelineOptions{Last: int(last), Width: 80}); err != nil {
			t.Fatal(err)
		}
		if err := ShiViz(io.Discard, tr); err != nil {
			t.Fatal(err)
		}
	})
}
