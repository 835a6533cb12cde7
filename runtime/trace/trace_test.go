package trace

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteMeta(Meta{Scenario: "seed", Nodes: []string{"A", "A1"}}); err != nil {
		t.Fatal(err)
	}
	w.Record(Event{Ev: Send, T: 5, Node: "A", LC: 1, To: "A1", Type: "CS_GRANT", TS: 1, Seq: 1})
	w.Record(Event{Ev: Recv, T: 9, Node: "A1", LC: 2, From: "A", Type: "CS_GRANT", TS: 1, Seq: 1})
	if !strings.HasPrefix(buf.String(), `{"ev":"meta","scenario":"seed"`) {
		t.Fatalf("header: %s", buf.String())
	}
	tr, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Meta.Scenario != "seed" || len(tr.Events) != 2 {
		t.Fatalf("read back %+v", tr)
	}
	if e := tr.Events[1]; e.Ev != Recv || e.From != "A" || e.Seq != 1 || e.Line != 3 {
		t.Fatalf("second event %+v", e)
	}
}

func TestReadTruncatedAndMalformed(t *testing.T) {
	head := `{"ev":"meta","scenario":"x","nodes":["A"]}` + "\n"
	ev := `{"ev":"start","t":0,"node":"A","lc":0}` + "\n"
	tr, err := Read(strings.NewReader(head + ev + `{"ev":"sen`))
	if err != nil {
		t.Fatalf("truncated last line: %v", err)
	}
	if len(tr.Events) != 1 || len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "line 3") {
		t.Fatalf("truncated: events %d warnings %v", len(tr.Events), tr.Warnings)
	}
	_, err = Read(strings.NewReader(head + "garbage\n" + ev))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed middle line: %v", err)
	}
	_, err = Read(strings.NewReader(ev))
	if err == nil || !strings.Contains(err.Error(), "meta") {
		t.Fatalf("no header: %v", err)
	}
	if _, err = Read(strings.NewReader("")); err == nil {
		t.Fatal("empty trace read")
	}
}

// A header declaring more nodes than a scenario can have is refused
// before anything is built for them; so are events naming too many.
func TestReadRefusesTooManyNodes(t *testing.T) {
	many := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%q", fmt.Sprintf("N%d", i))
		}
		return strings.Join(ids, ",")
	}
	for _, tt := range []struct{ name, src, want string }{
		{"header", `{"ev":"meta","nodes":[` + many(100_000) + `]}` + "\n", "line 1: the header declares 100000 nodes, more than the 1690 a scenario can have"},
		{"events", `{"ev":"meta","nodes":["A"]}` + "\n" + func() string {
			var b strings.Builder
			for i := range MaxNodes + 5 {
				fmt.Fprintf(&b, `{"ev":"start","node":"X%d"}`+"\n", i)
			}
			return b.String()
		}(), "more than 1690 nodes, the most a scenario can have"},
		{"long line", `{"ev":"meta","nodes":["A"]}` + "\n" + `{"ev":"log","node":"A","text":"` + strings.Repeat("x", 2*MaxLine) + `"}` + "\n", "longer than 1048576 bytes"},
	} {
		_, err := Read(strings.NewReader(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
}
