package diagram

import (
	"bytes"
	"io"
	"os"
	"testing"

	"mutexlab/runtime/trace"
)

// FuzzRender: no trace the reader accepts makes the HTML diagram, the
// timeline or the ShiViz export panic, and the timeline walked
// (TimelineIndex) is the timeline drawn whole. Seeds: testdata/small.jsonl and
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
		var whole, walked bytes.Buffer
		if err := Timeline(&whole, tr, TimelineOptions{Last: int(last), Width: 80}); err != nil {
			t.Fatal(err)
		}
		ix, err := trace.NewIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("Read reads what NewIndex refuses: %v", err)
		}
		if err := TimelineIndex(&walked, ix, TimelineOptions{Last: int(last), Width: 80}); err != nil {
			t.Fatal(err)
		}
		if whole.String() != walked.String() {
			t.Fatalf("walked:\n%s\nwhole:\n%s", walked.String(), whole.String())
		}
		if err := ShiViz(io.Discard, tr); err != nil {
			t.Fatal(err)
		}
	})
}
