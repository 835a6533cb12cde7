package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	m := Message{Type: Request, Sender: "A1", TS: 12, Payload: []byte(`{"round":2}`)}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"REQUEST","sender":"A1","ts":12,"payload":{"round":2}}` + "\n"; string(b) != want {
		t.Fatalf("Encode = %q, want %q", b, want)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != m.Type || got.Sender != m.Sender || got.TS != m.TS || string(got.Payload) != string(m.Payload) {
		t.Fatalf("round trip: %+v != %+v", got, m)
	}
}

func TestEncodeEmptyPayload(t *testing.T) {
	b, err := Encode(Message{Type: Done, Sender: "B2", TS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"payload":{}`) {
		t.Fatalf("empty payload not {}: %s", b)
	}
}

func TestDecodeBad(t *testing.T) {
	cases := []struct{ name, line, want string }{
		{"not json", `hello`, "bad frame"},
		{"unknown field", `{"type":"REQUEST","sender":"A1","ts":1,"payload":{},"x":1}`, "unknown field"},
		{"missing type", `{"sender":"A1","ts":1,"payload":{}}`, `missing field "type"`},
		{"missing sender", `{"type":"REQUEST","ts":1,"payload":{}}`, `missing field "sender"`},
		{"missing ts", `{"type":"REQUEST","sender":"A1","payload":{}}`, `missing field "ts"`},
		{"missing payload", `{"type":"REQUEST","sender":"A1","ts":1}`, `missing field "payload"`},
		{"lower-case type", `{"type":"request","sender":"A1","ts":1,"payload":{}}`, "upper-case word"},
		{"long type", `{"type":"` + strings.Repeat("A", 33) + `","sender":"A1","ts":1,"payload":{}}`, "upper-case word"},
		{"bad sender", `{"type":"REQUEST","sender":"1x","ts":1,"payload":{}}`, "not a node id"},
		{"negative ts", `{"type":"REQUEST","sender":"A1","ts":-1,"payload":{}}`, "negative"},
		{"string ts", `{"type":"REQUEST","sender":"A1","ts":"1","payload":{}}`, "bad frame"},
		{"array payload", `{"type":"REQUEST","sender":"A1","ts":1,"payload":[]}`, "JSON object"},
		{"null payload", `{"type":"REQUEST","sender":"A1","ts":1,"payload":null}`, "payload"},
		{"two values", `{"type":"REQUEST","sender":"A1","ts":1,"payload":{}} {}`, "more than one"},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.line))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

func TestReaderFraming(t *testing.T) {
	good := `{"type":"REPLY","sender":"A2","ts":3,"payload":{}}`
	long := `{"type":"REPLY","sender":"A2","ts":3,"payload":{"x":"` + strings.Repeat("y", MaxLine) + `"}}`
	r := NewReader(strings.NewReader(good + "\n" + long + "\n"))
	m, err := r.Read()
	if err != nil || m.Type != Reply {
		t.Fatalf("first frame: %v %v", m, err)
	}
	if _, err := r.Read(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("oversized frame: err = %v, want ErrTooLong", err)
	}

	r = NewReader(strings.NewReader(good + "\n"))
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
	r = NewReader(strings.NewReader(good))
	if _, err := r.Read(); err != io.ErrUnexpectedEOF {
		t.Fatalf("cut frame: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestEncodeTooLong(t *testing.T) {
	big := `{"x":"` + strings.Repeat("y", MaxLine) + `"}`
	if _, err := Encode(Message{Type: Reply, Sender: "A1", TS: 1, Payload: []byte(big)}); err == nil {
		t.Fatal("oversized message encoded")
	}
	if _, err := Encode(Message{Type: "bad", Sender: "A1"}); err == nil {
		t.Fatal("bad type encoded")
	}
}

func TestHello(t *testing.T) {
	known := func(id string) bool { return id == "A1" || id == "A2" }
	b, _ := Encode(NewHello("A1", "s3cret"))
	m, err := NewReader(bytes.NewReader(b)).Read()
	if err != nil {
		t.Fatal(err)
	}
	if id, err := CheckHello(m, "s3cret", known); err != nil || id != "A1" {
		t.Fatalf("good hello: %q %v", id, err)
	}
	if _, err := CheckHello(m, "other", known); err == nil || !strings.Contains(err.Error(), "wrong session") {
		t.Fatalf("wrong secret accepted: %v", err)
	}
	if _, err := CheckHello(NewHello("Z9", "s3cret"), "s3cret", known); err == nil || !strings.Contains(err.Error(), "not a node") {
		t.Fatalf("stranger accepted: %v", err)
	}
	if _, err := CheckHello(Message{Type: Request, Sender: "A1", Payload: EmptyPayload}, "s3cret", known); err == nil {
		t.Fatal("REQUEST accepted as HELLO")
	}
}

func TestValidTypeAndID(t *testing.T) {
	types := map[string]bool{"REQUEST": true, "CS_GRANT": true, "A": true, "X9_": true, strings.Repeat("A", 32): true,
		"": false, "request": false, "9A": false, "_A": false, "A-B": false, strings.Repeat("A", 33): false, "AÉ": false}
	for s, want := range types {
		if ValidType(s) != want {
			t.Errorf("ValidType(%q) = %v", s, !want)
		}
	}
	ids := map[string]bool{"A1": true, "launcher": true, "b_2": true, strings.Repeat("a", 32): true,
		"": false, "1A": false, "_a": false, "A 1": false, strings.Repeat("a", 33): false}
	for s, want := range ids {
		if ValidID(s) != want {
			t.Errorf("ValidID(%q) = %v", s, !want)
		}
	}
}

// The frames a node reads, decoded and encoded: the fast paths' gain is
// measured against the strict decoder and json.Marshal.
var benchFrame = []byte(`{"type":"REQUEST","sender":"A1","ts":12,"payload":{"round":1}}` + "\n")

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := Decode(benchFrame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStrict(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := decodeStrict(benchFrame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	m := Message{Type: Request, Sender: "A1", TS: 12, Payload: []byte(`{"round":1}`)}
	b.ReportAllocs()
	for range b.N {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// Lines longer than the reader's first buffer, up to MaxLine exactly,
// come whole; one byte more is ErrTooLong.
func TestReaderLongLines(t *testing.T) {
	frame := func(n int) string { // a frame of n bytes, newline included
		head := `{"type":"REPLY","sender":"A2","ts":3,"payload":{"x":"`
		tail := `"}}`
		return head + strings.Repeat("y", n-len(head)-len(tail)-1) + tail + "\n"
	}
	small := `{"type":"REPLY","sender":"A2","ts":4,"payload":{}}` + "\n"
	in := frame(readBuffer+1) + small + frame(MaxLine) + small + frame(3*readBuffer) + frame(MaxLine+1)
	r := NewReader(strings.NewReader(in))
	for i, want := range []int{readBuffer + 1, len(small), MaxLine, len(small), 3 * readBuffer} {
		m, err := r.Read()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		b, _ := Encode(m)
		if len(b) != want {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(b), want)
		}
	}
	if _, err := r.Read(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("a frame of MaxLine+1 bytes: %v, want ErrTooLong", err)
	}
}
