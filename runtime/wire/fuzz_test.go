package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
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

// FuzzFastDecode: whatever the fast path accepts, the strict decoder
// accepts as the same message.
func FuzzFastDecode(f *testing.F) {
	f.Add([]byte(`{"type":"REQUEST","sender":"A1","ts":12,"payload":{}}`))
	f.Add([]byte(`{"type":"REPLY","sender":"B2","ts":0,"payload":{"a":[1,2,{"b":null}]}}` + "\n"))
	f.Add([]byte(`{"type":"REPLY","sender":"B2","ts":3,"payload":{"a":1}}}`))
	f.Add([]byte(`{"type":"REPLY","sender":"B2","ts":03,"payload":{}}`))
	f.Add([]byte(`{"type":"REPLY","sender":"B2","ts":3,"payload":{"x":"}"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := decodeFast(line)
		if !ok {
			return
		}
		strict, err := decodeStrict(line)
		if err != nil {
			t.Fatalf("fast path took %q, the strict decoder refuses it: %v", line, err)
		}
		if fast.Type != strict.Type || fast.Sender != strict.Sender || fast.TS != strict.TS || !bytes.Equal(fast.Payload, strict.Payload) {
			t.Fatalf("%q: fast %+v, strict %+v", line, fast, strict)
		}
	})
}

// FuzzFastEncode: the fast encoder writes what json.Marshal writes.
func FuzzFastEncode(f *testing.F) {
	f.Add("REQUEST", "A1", int64(12), []byte(`{}`))
	f.Add("REPLY", "B2", int64(0), []byte(`{"a":[1,2,{"b":null}],"s":"x"}`))
	f.Add("REPLY", "B2", int64(7), []byte(`{"a": 1}`))
	f.Add("REPLY", "B2", int64(7), []byte(`{"h":"<&>"}`))
	f.Fuzz(func(t *testing.T, typ, sender string, ts int64, payload []byte) {
		m := Message{Type: typ, Sender: sender, TS: ts, Payload: payload}
		if m.Validate() != nil {
			return
		}
		fast, ok := appendFast(nil, m)
		if !ok {
			return
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("fast path encoded %+v, json.Marshal refuses it: %v", m, err)
		}
		if want = append(want, '\n'); !bytes.Equal(fast, want) {
			t.Fatalf("fast %q, json.Marshal %q", fast, want)
		}
	})
}
