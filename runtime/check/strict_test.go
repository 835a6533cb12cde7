package check

import (
	"strconv"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// What a student can get wrong in the role scripts' protocol and the
// critical section, each found by a check.
func TestStrictChecks(t *testing.T) {
	const head = `{"ev":"meta","scenario":"x","nodes":["A","A1","A2"],"groups":{"A":["A1","A2"]},"cs":{"prints":1,"interval":0},"rounds":1}` + "\n"
	grant := func(to string, seq int) string {
		return `{"ev":"recv","t":1,"node":"` + to + `","lc":2,"from":"A","type":"CS_GRANT","ts":1,"seq":` + string(rune('0'+seq)) + `}` + "\n" +
			`{"ev":"send","t":1,"node":"A","lc":1,"to":"` + to + `","type":"CS_GRANT","ts":1,"seq":` + string(rune('0'+seq)) + `}` + "\n"
	}
	cs := func(node string, t int) string {
		ts := string(rune('0' + t))
		return `{"ev":"cs_enter","t":` + ts + `0,"node":"` + node + `","lc":3,"round":1}` + "\n" +
			`{"ev":"print","t":` + ts + `1,"node":"` + node + `","lc":3,"text":"I'm lightweight process ` + node + `"}` + "\n" +
			`{"ev":"cs_exit","t":` + ts + `2,"node":"` + node + `","lc":3,"round":1}` + "\n"
	}
	tests := []struct {
		name, events, check, want string
	}{
		{"a critical section without a grant", cs("A1", 1), Liveness, "A1 entered the critical section (line 2) without a CS_GRANT"},
		{"two entries on one grant", grant("A1", 1) + cs("A1", 1) + cs("A1", 2), Liveness,
			"A1 entered the critical section again (line 7) on the grant it used at line 4: one entry per grant"},
		{"more entries than rounds", grant("A1", 1) + cs("A1", 1) + grant("A1", 2) + cs("A1", 2) +
			`{"ev":"finish","t":30,"node":"A1","lc":3}` + "\n", Liveness, "A1 finished its rounds after 2 critical sections; the run has 1"},
		{"an event after the exit", `{"ev":"exit","t":1,"node":"A2","lc":0,"text":"stopped"}` + "\n" +
			`{"ev":"log","t":2,"node":"A2","lc":0,"text":"boo"}` + "\n", Liveness, "A2 recorded log (line 3) after its exit (line 2)"},
		{"another node's body", grant("A1", 1) + strings.Replace(cs("A1", 1), "process A1", "process A2", 1), Screen,
			`A1 printed "I'm lightweight process A2" in its critical section (line 5), want "I'm lightweight process A1"`},
		{"a critical section never left before the next", grant("A1", 1) + grant("A1", 2) +
			`{"ev":"cs_enter","t":5,"node":"A1","lc":3,"round":1}` + "\n" + cs("A1", 7), Screen,
			"A1 entered the critical section again (line 7) without leaving the one it entered at line 6"},
	}
	for _, tt := range tests {
		tr, err := trace.Read(strings.NewReader(head + tt.events))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		res := Run(tr, Options{}).Result(tt.check)
		found := false
		for _, e := range res.Evidence {
			found = found || e.Text == tt.want
		}
		if res.Status != Fail || !found {
			t.Errorf("%s: %s %s %q; want a failure saying\n  %s\ngot\n%s", tt.name, tt.check, res.Status, res.Summary, tt.want, texts(res.Evidence))
		}
	}
}

// A section never closed in the middle of a node's history is concurrent
// with every later section of the others: every unordered pair is named.
func TestUnclosedSectionNamesEveryPair(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"ev":"meta","scenario":"x","nodes":["A1","A2","A3"],"cs":{"prints":0}}` + "\n")
	at := 0
	section := func(node string, leave bool) {
		at += 10
		b.WriteString(`{"ev":"cs_enter","t":` + itoa(at) + `,"node":"` + node + `","lc":1}` + "\n")
		if leave {
			b.WriteString(`{"ev":"cs_exit","t":` + itoa(at+1) + `,"node":"` + node + `","lc":1}` + "\n")
		}
	}
	section("A1", false) // never left: A1 enters again below
	section("A1", true)
	section("A1", true)
	section("A2", true)
	section("A2", true)
	section("A3", true)
	section("A3", true)
	tr, err := trace.Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	res := Run(tr, Options{MaxEvidence: 100}).Result(MutualExclusion)
	// No messages: no two sections of different nodes are ordered. A1 has
	// 3, A2 2, A3 2: 3·2 + 3·2 + 2·2 = 16 pairs.
	if res.Status != Fail || len(res.Evidence) != 16 {
		t.Fatalf("%s %q with %d pairs, want 16:\n%s", res.Status, res.Summary, len(res.Evidence), texts(res.Evidence))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Ties in (ts, id) order go by the number in the id (docs/lua-api.md,
// "Ties").
func TestIDBefore(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"A3", "A12", true}, {"A12", "A3", false}, {"A2", "A10", true}, {"A1", "A1", false},
		{"A9", "B1", true}, {"B1", "A9", false}, {"x", "y", true},
	} {
		if got := idBefore(tt.a, tt.b); got != tt.want {
			t.Errorf("idBefore(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
