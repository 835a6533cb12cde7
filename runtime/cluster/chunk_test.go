package cluster

import (
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/wire"
)

// A control connection's buffer begins small and grows while reads fill
// it, up to chunkSize; every line comes out whole, a line longer than
// chunkSize is refused.
func TestChunkReaderGrows(t *testing.T) {
	var in strings.Builder
	var want []string
	for i := 0; i < 2000; i++ {
		line := strings.Repeat("x", i*7%5000) + "\n"
		want = append(want, line)
		in.WriteString(line)
	}
	cr := newChunkReader(strings.NewReader(in.String()))
	if len(cr.buf) != firstChunk {
		t.Fatalf("begins with %d bytes, want %d", len(cr.buf), firstChunk)
	}
	var got []string
	for {
		lines, _, err := cr.read(nil)
		for _, l := range lines {
			got = append(got, string(l))
		}
		if err != nil {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	if len(cr.buf) <= firstChunk || len(cr.buf) > chunkSize {
		t.Errorf("after %d bytes read at once the buffer holds %d", in.Len(), len(cr.buf))
	}
	cr = newChunkReader(strings.NewReader(strings.Repeat("y", chunkSize+10)))
	var err error
	for err == nil {
		_, _, err = cr.read(nil)
	}
	if !errors.Is(err, wire.ErrTooLong) {
		t.Errorf("a line longer than %d: %v", chunkSize, err)
	}
}
