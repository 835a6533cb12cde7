package check

import (
	"slices"
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

// A duplicated CS_GRANT is no grant of its own: a copy left unused is no
// grant missed, an entry made on a copy is an entry the heavyweight never
// granted. The whole and the walked checks say the same.
func TestDuplicateGrant(t *testing.T) {
	const head = `{"ev":"meta","scenario":"x","nodes":["A","A1","A2"],"groups":{"A":["A1","A2"]},"cs":{"prints":1,"interval":0},"rounds":2}` + "\n"
	send := func(seq string) string {
		return `{"ev":"send","t":1,"node":"A","lc":1,"to":"A1","type":"CS_GRANT","ts":1,"seq":` + seq + `}` + "\n"
	}
	recv := func(seq string, dup bool) string {
		d := ""
		if dup {
			d = `,"dup":true`
		}
		return `{"ev":"recv","t":2,"node":"A1","lc":2,"from":"A","type":"CS_GRANT","ts":1,"seq":` + seq + d + `}` + "\n"
	}
	cs := func(round string) string {
		return `{"ev":"cs_enter","t":3,"node":"A1","lc":3,"round":` + round + `}` + "\n" +
			`{"ev":"print","t":4,"node":"A1","lc":3,"text":"I'm lightweight process A1"}` + "\n" +
			`{"ev":"cs_exit","t":5,"node":"A1","lc":3,"round":` + round + `}` + "\n"
	}
	for _, tt := range []struct {
		name, events, want string
	}{
		{"an unused copy", send("1") + recv("1", false) + cs("1") + send("2") + recv("2", false) + recv("2", true) + cs("2"), ""},
		{"an entry on the copy", send("1") + recv("1", false) + recv("1", true) + cs("1") + cs("2"),
			"A1 entered the critical section (line 8) on a duplicate of a CS_GRANT (line 4): its heavyweight granted it once"},
	} {
		data := []byte(head + tt.events)
		tr, err := trace.Read(strings.NewReader(string(data)))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		res := Run(tr, Options{}).Result(Liveness)
		switch {
		case tt.want == "" && res.Status != Pass:
			t.Errorf("%s: liveness %s %q, want a pass\n%s", tt.name, res.Status, res.Summary, texts(res.Evidence))
		case tt.want != "" && (res.Status != Fail || !slices.ContainsFunc(res.Evidence, func(e Evidence) bool { return e.Text == tt.want })):
			t.Errorf("%s: liveness %s %q; want a failure saying\n  %s\ngot\n%s", tt.name, res.Status, res.Summary, tt.want, texts(res.Evidence))
		}
		sameReport(t, tt.name, data)
	}
}
