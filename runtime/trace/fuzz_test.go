package trace

import (
	"bytes"
	"testing"
)

// FuzzRead: no input makes the reader panic; what it reads it can write
// back and read again to the same events. Seeds: testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"ev":"meta","scenario":"seed","nodes":["A","B","A1"]}` + "\n" + `{"ev":"start","t":1,"node":"A1","lc":0}` + "\n"))
	f.Add([]byte(`{"ev":"meta","nodes":["A"]}` + "\n" + `{"ev":"block","node":"A","wait":{"kind":"receive","type":"X","from":["B"]}}` + "\n" + `{"ev":"send"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.WriteMeta(tr.Meta)
		for _, e := range tr.Events {
			w.Record(e)
		}
		if w.Err() != nil {
			return // an event whose payload is not JSON the writer accepts
		}
		again, err := Read(&buf)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if len(again.Events) != len(tr.Events) {
			t.Fatalf("%d events read back, want %d", len(again.Events), len(tr.Events))
		}
	})
}
