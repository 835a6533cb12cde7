package wire

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzDecode: no line makes Decode panic, and what it accepts encodes
// back to a frame that decodes to the same message. The seed corpus is in
// testdata/fuzz/FuzzDecode; `go test` runs it, `go test -fuzz FuzzDecode`
// searches further.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"REQUEST","sender":"A1","ts":12,"payload":{}}`))
	f.Add([]byte(`{"type":"HELLO","sender":"A1","ts":0,"payload":{"session":"x"}}`))
	f.Add([]byte(`{"type":"REPLY","sender":"B2","ts":3,"payload":{"a":[1,2,{"b":null}]}}` + "\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Decode(line)
		if err != nil {
			return
		}
		frame, err := Encode(m)
		if err != nil {
			if len(line) < MaxLine/2 {
				t.Fatalf("decoded %q but cannot encode it: %v", line, err)
			}
			return
		}
		m2, err := Decode(frame)
		if err != nil || m2.Type != m.Type || m2.Sender != m.Sender || m2.TS != m.TS {
			t.Fatalf("round trip of %q: %+v, %v", line, m2, err)
		}
		// The first line of a connection, read with a small buffer.
		if _, err := ReadFirst(bufio.NewReaderSize(bytes.NewReader(frame), 512)); err != nil && len(frame) <= 512 {
			t.Fatalf("ReadFirst of %q: %v", frame, err)
		}
	})
}
