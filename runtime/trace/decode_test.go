package trace

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// sameAsJSON checks that Decode gives what encoding/json gives for line.
func sameAsJSON(t *testing.T, d *Decoder, line []byte) (fast bool) {
	t.Helper()
	var want, got Event
	werr := json.Unmarshal(line, &want)
	gerr := d.Decode(line, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json says %v, Decode says %v", line, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\nencoding/json %+v\nDecode        %+v", line, want, got)
	}
	var e Event
	return d.fast(line, &e)
}

func randomEvent(r *rand.Rand) Event {
	kinds := []string{Start, Exit, Send, Recv, Drop, CSEnter, Print, CSExit, Block, Unblock, Log, Error, Tick, Finish,
		Crash, Restart, Pause, Resume, Cut, Heal}
	ids := []string{"A", "B", "A1", "A2", "B12", "Z64"}
	texts := []string{"", "I'm lightweight process A1", "stopped", "lamport.lua:13: boom", "ünïcode ✓", `quote " and \ slash`, "tab\there", "<html>&"}
	e := Event{Ev: kinds[r.Intn(len(kinds))], T: r.Int63n(1 << 50), Node: ids[r.Intn(len(ids))], LC: r.Int63n(100000)}
	switch e.Ev {
	case Start:
		e.PID = r.Intn(1 << 22)
	case Send, Recv, Drop:
		if e.Ev == Send {
			e.To = ids[r.Intn(len(ids))]
			payloads := []string{`{}`, `{"n":1}`, `{"ids":["A1","A2"],"s":"a}b\"c","x":{"y":[1,2.5e3,null,true]}}`}
			e.Payload = json.RawMessage(payloads[r.Intn(len(payloads))])
		} else {
			e.From = ids[r.Intn(len(ids))]
		}
		e.Type = []string{"REQUEST", "REPLY", "CS_GRANT"}[r.Intn(3)]
		e.TS, e.Seq = r.Int63n(1000), 1+r.Int63n(1000)
		if r.Intn(4) == 0 {
			e.Seq += SeqBase(1 + r.Intn(3))
		}
		switch e.Ev {
		case Recv:
			e.Dup = r.Intn(3) == 0
		case Drop:
			e.Reason = []string{"", ReasonLoss, ReasonCut, ReasonCrashed, ReasonSteered}[r.Intn(5)]
		}
	case Cut, Heal:
		e.From, e.To = ids[r.Intn(len(ids))], ids[r.Intn(len(ids))]
	case Crash, Restart, Pause, Resume:
	case CSEnter, CSExit:
		e.Round = r.Intn(100)
	case Block:
		e.On = []string{"receive CS_GRANT", "wait_until REPLY from A2,A3"}[r.Intn(2)]
		waits := []*Wait{nil, {Kind: "receive", Type: "CS_GRANT", From: []string{"A"}},
			{Kind: "condition", Type: "REPLY", From: []string{"A2", "A3"}, Label: "replies"}, {Kind: "condition", Label: "ünïcode ✓"},
			{Kind: "receive"}}
		e.Wait = waits[r.Intn(len(waits))]
	default:
		e.Text = texts[r.Intn(len(texts))]
	}
	return e
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	d := NewDecoder()
	var enc LineEncoder
	fast := 0
	for range 5000 {
		e := randomEvent(r)
		line, err := enc.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if sameAsJSON(t, d, line) {
			fast++
		}
	}
	// Only the texts with escapes leave the fast path.
	if fast < 4000 {
		t.Errorf("only %d of 5000 encoded events took the fast path", fast)
	}
}

func TestDecodeOddLines(t *testing.T) {
	d := NewDecoder()
	for _, line := range []string{
		`{"ev":"send","t":1,"node":"A","lc":2,"to":"B","type":"X","ts":2,"seq":1,"payload":{}}`,
		` { "ev" : "recv" , "t" : -5 , "node":"B" } `,
		`{"ev":"log","node":"A","text":"a\"b"}`,
		`{"ev":"log","node":"A","text":"\u00e9"}`,
		"{\"ev\":\"log\",\"node\":\"A\",\"text\":\"bad \xff utf8\"}",
		`{"ev":"log","text":null}`,
		`{"ev":"log","t":1.5}`,
		`{"ev":"log","t":1e3}`,
		`{"ev":"log","t":01}`,
		`{"ev":"log","t":-}`,
		`{"ev":"log","t":123456789012345678901}`,
		`{"ev":"log","t":"1"}`,
		`{"EV":"log"}`,
		`{"ev":"log","line":7}`,
		`{"ev":"log","wait":{"kind":"receive"}}`,
		`{"ev":"recv","dup":true}`,
		`{"ev":"recv","dup":false,"reason":"loss"}`,
		`{"ev":"recv","dup":true,"dup":false}`,
		`{"ev":"recv","dup":null}`,
		`{"ev":"recv","dup":truex}`,
		`{"ev":"recv","dup":tru}`,
		`{"ev":"recv","dup":"true"}`,
		`{"ev":"recv","dup":1}`,
		`{"ev":"drop","reason":"cut","reason":"loss"}`,
		`{"ev":"drop","reason":7}`,
		`{"ev":"block","wait":{"kind":"receive","from":[]}}`,
		`{"ev":"block","wait":{"kind":"receive","from":["A", "B" ]}}`,
		`{"ev":"block","wait":{}}`,
		`{"ev":"block","wait":null}`,
		`{"ev":"block","wait":{"kind":"a","kind":"b"}}`,
		`{"ev":"block","wait":{"Kind":"a"}}`,
		`{"ev":"block","wait":{"kind":"a"},"wait":{"type":"X"}}`,
		`{"ev":"block","wait":{"kind":"a","from":"A"}}`,
		`{"ev":"block","wait":{"kind":"a","from":[1]}}`,
		`{"ev":"block","wait":{"kind":"a",}}`,
		`{"ev":"block","wait":{"kind":"a","x":1}}`,
		`{"ev":"a","ev":"b"}`,
		`{"ev":"send","payload":null}`,
		`{"ev":"send","payload":[1,{"a":"]}"}]}`,
		`{"ev":"send","payload":{"a":tru}}`,
		`{"ev":"send","payload":{"a":1}x}`,
		`{"ev":"send","payload":{"a":1},}`,
		`{"ev":"send"} trailing`,
		`{"ev":"send"`,
		`{}`,
		`{ }`,
		`[]`,
		``,
		`"ev"`,
	} {
		sameAsJSON(t, d, []byte(line))
	}
}

// TestEncodeMatchesEncodingJSON: the fast encoder writes what
// encoding/json writes, and takes the events a run records.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var enc LineEncoder
	fast := 0
	for range 5000 {
		e := randomEvent(r)
		got, err := enc.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := enc.encodeJSON(e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("fast %s\njson %s", got, want)
		}
		if _, ok := appendEvent(nil, &e); ok {
			fast++
		}
	}
	// Texts to escape (4 of 8) and a non-ASCII label leave the fast path.
	if fast < 3500 {
		t.Errorf("only %d of 5000 events took the fast path", fast)
	}
	e := Event{Ev: Send, State: map[string]string{"x": "1"}}
	if _, ok := appendEvent(nil, &e); ok {
		t.Error("an event with a State took the fast path")
	}
}

// TestFastEncoderKnowsEveryField: a field added to Event must be added
// to appendEvent too (and to this list), or its lines lose it.
func TestFastEncoderKnowsEveryField(t *testing.T) {
	known := map[string]bool{"ev": true, "t": true, "node": true, "lc": true, "pid": true, "to": true, "from": true,
		"type": true, "ts": true, "seq": true, "payload": true, "round": true, "text": true, "on": true, "wait": true,
		"reason": true, "dup": true, "state": true, "-": true}
	ty := reflect.TypeOf(Event{})
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		if !known[name] {
			t.Errorf("Event.%s (%q) is not written by appendEvent", ty.Field(i).Name, name)
		}
	}
	e := Event{Ev: Drop, Node: "A", From: "B", Reason: ReasonLoss}
	d := Event{Ev: Recv, Node: "A", From: "B", Dup: true}
	var enc LineEncoder
	for _, ev := range []Event{e, d} {
		got, _ := enc.Encode(ev)
		want, _ := enc.encodeJSON(ev)
		if string(got) != string(want) {
			t.Errorf("fast %s\njson %s", got, want)
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("send", int64(5), "A1", int64(3), 0, "B", "", "REQUEST", int64(3), int64(1), []byte(`{"a":1}`), 0, "", "", "", "")
	f.Add("block", int64(-5), "A1", int64(3), 7, "", "B2", "", int64(0), int64(0), []byte(nil), 2, "é", "on", "receive", "X")
	f.Fuzz(func(t *testing.T, ev string, tm int64, nd string, lc int64, pid int, to, from, typ string, ts, seq int64, payload []byte, round int, text, on, kind, label string) {
		e := Event{Ev: ev, T: tm, Node: nd, LC: lc, PID: pid, To: to, From: from, Type: typ, TS: ts, Seq: seq,
			Payload: payload, Round: round, Text: text, On: on}
		if kind != "" {
			e.Wait = &Wait{Kind: kind, Type: typ, From: []string{to, from}, Label: label}
		}
		var enc LineEncoder
		want, werr := enc.encodeJSON(e)
		fast, ok := appendEvent(nil, &e)
		if !ok {
			return
		}
		if werr != nil {
			t.Fatalf("fast path encoded %+v, encoding/json refuses it: %v", e, werr)
		}
		if string(fast) != string(want) {
			t.Fatalf("fast %s\njson %s", fast, want)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	e := Event{Ev: Block, T: 123456789, Node: "A1", LC: 42, On: "receive REPLY from A2,A3",
		Wait: &Wait{Kind: "receive", Type: "REPLY", From: []string{"A2", "A3"}}}
	b.Run("fast", func(b *testing.B) {
		var enc LineEncoder
		b.ReportAllocs()
		for b.Loop() {
			enc.EncodeEvent(&e)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var enc LineEncoder
		b.ReportAllocs()
		for b.Loop() {
			enc.encodeJSON(&e)
		}
	})
}

func TestIsEventLine(t *testing.T) {
	var enc LineEncoder
	line, _ := enc.Encode(Event{Ev: Tick, Node: "A"})
	if !IsEventLine(line) {
		t.Errorf("%s is not an event line", line)
	}
	if IsEventLine([]byte(`{"type":"RESULT","sender":"A","ts":0,"payload":{}}`)) {
		t.Error("a wire frame taken for an event")
	}
}

func FuzzDecode(f *testing.F) {
	var enc LineEncoder
	r := rand.New(rand.NewSource(2))
	for range 20 {
		line, _ := enc.Encode(randomEvent(r))
		f.Add(strings.TrimSpace(string(line)))
	}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, line string) {
		sameAsJSON(t, d, []byte(line))
	})
}

func BenchmarkDecode(b *testing.B) {
	var enc LineEncoder
	line, _ := enc.Encode(Event{Ev: Block, T: 123456789, Node: "A1", LC: 42, On: "receive REPLY from A2,A3",
		Wait: &Wait{Kind: "receive", Type: "REPLY", From: []string{"A2", "A3"}}})
	line = append([]byte(nil), line...)
	b.Run("fast", func(b *testing.B) {
		d := NewDecoder()
		var e Event
		b.ReportAllocs()
		for b.Loop() {
			d.Decode(line, &e)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var e Event
		b.ReportAllocs()
		for b.Loop() {
			e = Event{}
			json.Unmarshal(line, &e)
		}
	})
}
