package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// ev is the evidence a test expects: the nodes named and the trace lines
// of the events shown, in order.
type ev struct {
	nodes string // space-separated
	lines []int
}

// want is what a test expects of a trace. Checks not named in status must
// pass; checks named in evidence must fail with exactly that evidence.
type want struct {
	status   map[string]Status
	evidence map[string][]ev
	summary  map[string]string // substrings of summaries
	opts     Options
}

func TestTraces(t *testing.T) {
	noCS := map[string]Status{MutualExclusion: Skip, Screen: Skip}
	tests := []struct {
		file string
		want want
	}{
		{"clean_lamport.jsonl", want{summary: map[string]string{
			Messages: "A lamport 6/6 for 2 entries",
			Order:    "A lamport: 2 entries in (ts, id) order",
		}}},
		{"clean_ra.jsonl", want{summary: map[string]string{
			Messages: "A ricart_agrawala 12/12 for 3 entries",
			Order:    "token: 2 passes in ring order",
		}}},
		// clean_ra with its lines grouped by node: receives before their sends.
		{"shuffled.jsonl", want{summary: map[string]string{
			MutualExclusion: "4 critical sections, every two ordered",
		}}},
		{"truncated.jsonl", want{}},
		{"unknown_algorithm.jsonl", want{
			status: map[string]Status{Order: Skip, Messages: Skip},
			summary: map[string]string{
				Order:    `A: "my_mutex" not checked`,
				Messages: `token: "my_token" has no textbook count`,
			},
		}},
		// A2 enters after A1 left by wall time, but before A1's RELEASE
		// reaches it: no causal path.
		{"concurrent_no_overlap.jsonl", want{
			evidence: map[string][]ev{MutualExclusion: {{"A1 A2", []int{30, 33, 37, 40}}}},
			summary:  map[string]string{MutualExclusion: "1 pair among 3 critical sections not ordered by happened-before (0 overlapping in wall time)"},
		}},
		{"interleaved_prints.jsonl", want{
			evidence: map[string][]ev{
				MutualExclusion: {{"A1 A2", []int{30, 35, 32, 37}}},
				Screen:          {{"A1 A2", []int{31, 33, 34}}},
			},
			summary: map[string]string{MutualExclusion: "(1 overlapping in wall time)", Screen: "1 interleaving"},
		}},
		{"missing_print.jsonl", want{
			evidence: map[string][]ev{Screen: {{"A2", []int{39, 41}}}},
			summary:  map[string]string{Screen: "1 of 3 critical sections printed the wrong number of lines"},
		}},
		{"stall.jsonl", want{
			status: noCS,
			evidence: map[string][]ev{Liveness: {
				{"A1 A2 A B B1", []int{17, 21, 13, 10, 9}},
				{"A1", []int{14}}, {"A2", []int{18}},
			}},
			summary: map[string]string{Liveness: "stall: deadlock A1 → A2 → A1: A1 waits for REPLY from A2; A2 waits for REPLY from A1; A, B, B1 wait behind it (also 2 grants never followed by an entry)"},
		}},
		{"granted_never_entered.jsonl", want{
			evidence: map[string][]ev{Liveness: {{"A1", []int{14}}}},
			summary:  map[string]string{Liveness: "1 grant never followed by an entry"},
		}},
		// The same, judged as interrupted by the caller.
		{"granted_never_entered.jsonl", want{opts: Options{Interrupted: true}, summary: map[string]string{
			Liveness: "interrupted run judged on what completed: 2 of 3 grants entered",
		}}},
		// Ctrl-C while requests are in flight: no failure, no stall.
		{"interrupted.jsonl", want{status: noCS, summary: map[string]string{
			Liveness: "interrupted run",
			Messages: "A lamport 2/6 for 0 entries + 2 pending",
		}}},
		// A1 dies; A2 waits for its reply forever: no cycle, every blocked node named.
		{"script_error.jsonl", want{
			status: noCS,
			evidence: map[string][]ev{Liveness: {
				{"A B A2 B1 A1", []int{13, 10, 21, 9}},
				{"A1", []int{14}}, {"A2", []int{18}},
				{"A1", []int{16}},
			}},
			summary: map[string]string{Liveness: "stall: A waits for DONE; B waits for TOKEN; A2 waits for REPLY from A1, but A1 (script error) has ended; B1 waits for CS_GRANT (also 2 grants never followed by an entry, 1 script error)"},
		}},
		{"out_of_order.jsonl", want{
			evidence: map[string][]ev{Order: {{"A2 A1", []int{16, 20, 28, 38}}}},
			summary:  map[string]string{Order: "1 entry out of (ts, id) order"},
		}},
		// out_of_order.jsonl under Roucairol–Carvalho: A2 had received A1's
		// earlier request (payload ts 2 < 3) when it entered. RELEASE is
		// not one of its messages, hence the count.
		{"rc_out_of_order.jsonl", want{
			evidence: map[string][]ev{
				Order:    {{"A2 A1", []int{16, 20, 28, 38}}},
				Messages: {{"A1 A2", nil}},
			},
			summary: map[string]string{Order: "1 entry out of (ts, id) order", Messages: "A roucairol_carvalho 6/≤4 for 2 entries"},
		}},
		{"token_out_of_order.jsonl", want{
			status:   noCS,
			evidence: map[string][]ev{Order: {{"A C", []int{7}}}},
			summary:  map[string]string{Order: "1 of 4 token passes out of ring order"},
		}},
		{"recv_lc_not_past_ts.jsonl", want{
			evidence: map[string][]ev{Clock: {{"A1 A", []int{11, 14}}}},
			summary:  map[string]string{Clock: "1 of 14 receives left the clock at or below the message's ts"},
		}},
		{"lc_decreasing.jsonl", want{
			evidence: map[string][]ev{Clock: {{"A2", []int{43, 44}}}},
			summary:  map[string]string{Clock: "a clock went back 1 time"},
		}},
		{"too_many_messages.jsonl", want{
			evidence: map[string][]ev{Messages: {{"A1 A2", nil}}},
			summary:  map[string]string{Messages: "A ricart_agrawala 6/4 for 2 entries"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := Run(readTrace(t, tt.file), tt.want.opts)
			if len(r.Results) != 6 {
				t.Fatalf("%d results, want 6", len(r.Results))
			}
			for _, res := range r.Results {
				want := Pass
				if s, ok := tt.want.status[res.Check]; ok {
					want = s
				}
				if _, ok := tt.want.evidence[res.Check]; ok {
					want = Fail
				}
				if res.Status != want {
					t.Errorf("%s: %s (%s), want %s", res.Check, res.Status, res.Summary, want)
				}
				if sub, ok := tt.want.summary[res.Check]; ok && !strings.Contains(res.Summary, sub) {
					t.Errorf("%s summary %q, want it to contain %q", res.Check, res.Summary, sub)
				}
				if got, want := describe(res.Evidence), tt.want.evidence[res.Check]; !slices.EqualFunc(got, want, sameEv) {
					t.Errorf("%s evidence\n got %v\nwant %v\n%s", res.Check, got, want, texts(res.Evidence))
				}
				for _, e := range res.Evidence {
					if e.Text == "" {
						t.Errorf("%s: evidence without a sentence", res.Check)
					}
				}
			}
			if r.Failed() != (len(tt.want.evidence) > 0) {
				t.Errorf("Failed() = %v", r.Failed())
			}
			if len(r.Warnings) > 0 {
				t.Errorf("warnings on a consistent trace: %q", r.Warnings)
			}
		})
	}
}

func readTrace(t *testing.T, name string) *trace.Trace {
	t.Helper()
	tr, err := trace.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func describe(evidence []Evidence) []ev {
	var out []ev
	for _, e := range evidence {
		var lines []int
		for _, r := range e.Events {
			lines = append(lines, r.Line)
		}
		out = append(out, ev{strings.Join(e.Nodes, " "), lines})
	}
	return out
}

func sameEv(a, b ev) bool { return a.nodes == b.nodes && slices.Equal(a.lines, b.lines) }

func texts(evidence []Evidence) string {
	var b strings.Builder
	for _, e := range evidence {
		fmt.Fprintf(&b, "  %s\n", e.Text)
	}
	return b.String()
}

func TestTruncatedTraceWarns(t *testing.T) {
	tr := readTrace(t, "truncated.jsonl")
	if len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "line 74") {
		t.Fatalf("warnings %q", tr.Warnings)
	}
	if r := Run(tr, Options{}); r.Failed() || len(r.Warnings) != 0 {
		t.Fatalf("failed %v, warnings %q", r.Failed(), r.Warnings)
	}
}

// The evidence names the sentence's facts: wall-time relation, requests,
// clocks.
func TestEvidenceText(t *testing.T) {
	tests := []struct {
		file, check, text string
	}{
		{"concurrent_no_overlap.jsonl", MutualExclusion, "A1's critical section (lines 30-33) and A2's (lines 37-40) are concurrent: neither's cs_exit happened before the other's cs_enter; their wall times do not overlap (A2 entered 4ms after A1 left)"},
		{"interleaved_prints.jsonl", MutualExclusion, "they overlap in wall time for 3ms"},
		{"interleaved_prints.jsonl", Screen, "A2 printed (line 33) between two lines of A1's critical section (lines 31 and 34)"},
		{"out_of_order.jsonl", Order, "A2 entered (line 28) before A1 (line 38), but A1's request (ts 3, line 16) precedes A2's (ts 4, line 20) in (ts, id) order and was pending"},
		{"rc_out_of_order.jsonl", Order, "A2 entered (line 28) before A1 (line 38), but A1's request (ts 2, line 16) precedes A2's (ts 3, line 20) in (ts, id) order and had reached A2"},
		{"rc_out_of_order.jsonl", Messages, "group A (roucairol_carvalho, N=2) sent 6 messages among its lightweights (RELEASE 2, REPLY 2, REQUEST 2) for 2 entries; at most 2 per entry (0..2(N-1)) allows 4"},
		{"recv_lc_not_past_ts.jsonl", Clock, "A1 received CS_GRANT from A (ts 1) with lc 1 at line 14"},
		{"lc_decreasing.jsonl", Clock, "A2's clock went back from 10 (line 43, send) to 5 (line 44, send)"},
		{"too_many_messages.jsonl", Messages, "group A (ricart_agrawala, N=2) sent 6 messages among its lightweights (RELEASE 2, REPLY 2, REQUEST 2) for 2 entries; 2(N-1) = 2 per entry allows 4"},
		{"script_error.jsonl", Liveness, "A1 stopped with an error (line 16): lamport.lua:12: attempt to index a nil value (field 'queue')"},
		{"token_out_of_order.jsonl", Order, "A passed the token to C (line 7), but the next in the ring is B"},
	}
	for _, tt := range tests {
		r := Run(readTrace(t, tt.file), Options{})
		res := r.Result(tt.check)
		found := false
		for _, e := range res.Evidence {
			found = found || strings.Contains(e.Text, tt.text)
		}
		if !found {
			t.Errorf("%s %s: no evidence says %q; got\n%s", tt.file, tt.check, tt.text, texts(res.Evidence))
		}
	}
}

// Vector clocks rebuilt from the trace: A1's exit happened before A2's
// entry in the clean run, not in the broken one, and never the other way.
func TestVectorClocks(t *testing.T) {
	tests := []struct {
		file              string
		exitA1, enterA2   int // lines
		exitBeforeEnter   bool
		wantEnterVCOfA1At int64
	}{
		{"clean_lamport.jsonl", 33, 39, true, 15},
		{"concurrent_no_overlap.jsonl", 33, 37, false, 8},
	}
	for _, tt := range tests {
		h := newHistory(readTrace(t, tt.file))
		at := func(line int) int {
			for i, e := range h.ev {
				if e.Line == line {
					return i
				}
			}
			t.Fatalf("%s: no line %d", tt.file, line)
			return -1
		}
		exit, enter := at(tt.exitA1), at(tt.enterA2)
		if got := h.before(exit, enter); got != tt.exitBeforeEnter {
			t.Errorf("%s: exit before enter = %v", tt.file, got)
		}
		if h.before(enter, exit) {
			t.Errorf("%s: A2's entry happened before A1's exit", tt.file)
		}
		if got := h.ref(enter).VC["A1"]; got != tt.wantEnterVCOfA1At {
			t.Errorf("%s: A2's entry knows %d of A1's events, want %d", tt.file, got, tt.wantEnterVCOfA1At)
		}
	}
}

// A receive that precedes its own send through the nodes' orders cannot
// happen in a real run; the replay must not hang and must say so.
func TestReplayCycle(t *testing.T) {
	src := `{"ev":"meta","scenario":"x","nodes":["A1","A2"]}
{"ev":"recv","t":1,"node":"A1","lc":2,"from":"A2","type":"PING","ts":1,"seq":1}
{"ev":"send","t":2,"node":"A1","lc":3,"to":"A2","type":"PING","ts":3,"seq":1}
{"ev":"recv","t":1,"node":"A2","lc":4,"from":"A1","type":"PING","ts":3,"seq":1}
{"ev":"send","t":2,"node":"A2","lc":5,"to":"A1","type":"PING","ts":1,"seq":1}
{"ev":"recv","t":3,"node":"A1","lc":9,"from":"A3","type":"PING","ts":1,"seq":1}
`
	tr, err := trace.Read(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(tr, Options{})
	if len(r.Warnings) != 2 {
		t.Fatalf("warnings %q, want the cycle and the unmatched receive", r.Warnings)
	}
	if !strings.Contains(r.Warnings[0], "no matching send") || !strings.Contains(r.Warnings[1], "precedes its own send") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// MaxEvidence caps the root causes kept per check, and what follows from
// each: the stall and one of its two unused grants.
func TestMaxEvidence(t *testing.T) {
	r := Run(readTrace(t, "stall.jsonl"), Options{MaxEvidence: 1})
	res := r.Result(Liveness)
	if len(res.Evidence) != 2 || res.More != 1 || res.Evidence[1].Cause != res.Evidence[0].ID {
		t.Fatalf("%d evidence items, %d more; want 2 (a root and its consequence) and 1", len(res.Evidence), res.More)
	}
}

// Stall edge cases on small inline traces: who counts as dead, as
// running, as in flight.
func TestStallCases(t *testing.T) {
	const head = `{"ev":"meta","scenario":"x","nodes":["A1","A2"]}` + "\n"
	tests := []struct {
		name, events, want string // want: the liveness summary, "" for a pass
	}{
		{"killed mid-run is dead", `
{"ev":"start","t":1,"node":"A2","lc":0}
{"ev":"exit","t":2,"node":"A2","lc":0,"text":"killed"}
{"ev":"start","t":1,"node":"A1","lc":0}
{"ev":"block","t":3,"node":"A1","lc":0,"on":"wait_until REPLY from A2","wait":{"kind":"messages","type":"REPLY","from":["A2"]}}
{"ev":"exit","t":5,"node":"A1","lc":0,"text":"stopped"}`,
			"stall: A1 waits for REPLY from A2, but A2 (killed) has ended"},
		{"killed as the run ends keeps its state", `
{"ev":"start","t":1,"node":"A1","lc":0}
{"ev":"block","t":2,"node":"A1","lc":0,"on":"receive PING","wait":{"kind":"receive","type":"PING"}}
{"ev":"start","t":1,"node":"A2","lc":0}
{"ev":"block","t":3,"node":"A2","lc":0,"on":"wait_until REPLY from A1","wait":{"kind":"messages","type":"REPLY","from":["A1"]}}
{"ev":"exit","t":5,"node":"A1","lc":0,"text":"stopped"}
{"ev":"exit","t":6,"node":"A2","lc":0,"text":"stopped"}`,
			"stall: A1 waits for PING; A2 waits for REPLY from A1"},
		{"killed in the critical section: the others wait for the dead", `
{"ev":"start","t":1,"node":"A1","lc":0}
{"ev":"cs_enter","t":2,"node":"A1","lc":3}
{"ev":"start","t":1,"node":"A2","lc":0}
{"ev":"block","t":3,"node":"A2","lc":4,"on":"wait_until RELEASE from A1","wait":{"kind":"messages","type":"RELEASE","from":["A1"]}}
{"ev":"exit","t":5,"node":"A1","lc":3,"text":"killed"}
{"ev":"exit","t":6,"node":"A2","lc":4,"text":"interrupted"}`,
			"stall: A2 waits for RELEASE from A1, but A1 (killed) has ended"},
		{"a deadlock is the cycle, whatever the script's words", `
{"ev":"block","t":2,"node":"A1","lc":0,"on":"wait_until 🍕 hungry","wait":{"kind":"messages","type":"FORK","from":["A2"],"label":"🍕 hungry"}}
{"ev":"block","t":3,"node":"A2","lc":0,"on":"wait_until zzz","wait":{"kind":"messages","type":"FORK","from":["A1"],"label":"zzz"}}`,
			"stall: deadlock A1 → A2 → A1: A1 waits for FORK from A2 (🍕 hungry); A2 waits for FORK from A1 (zzz)"},
		{"a sleeping node is not stalled", `
{"ev":"unblock","t":2,"node":"A1","lc":0}
{"ev":"block","t":3,"node":"A2","lc":0,"on":"wait_until REPLY from A1","wait":{"kind":"messages","type":"REPLY","from":["A1"]}}`,
			""},
		{"a node inside the critical section is not stalled", `
{"ev":"cs_enter","t":2,"node":"A1","lc":0}
{"ev":"block","t":3,"node":"A1","lc":0,"on":"receive TICK","wait":{"kind":"receive","type":"TICK"}}
{"ev":"block","t":3,"node":"A2","lc":0,"on":"wait_until REPLY from A1","wait":{"kind":"messages","type":"REPLY","from":["A1"]}}`,
			""},
		{"a message in flight", `
{"ev":"block","t":2,"node":"A1","lc":0,"on":"receive PING","wait":{"kind":"receive","type":"PING"}}
{"ev":"send","t":3,"node":"A2","lc":1,"to":"A1","type":"PING","ts":1,"seq":1}
{"ev":"block","t":4,"node":"A2","lc":1,"on":"wait_until REPLY from A1","wait":{"kind":"messages","type":"REPLY","from":["A1"]}}`,
			""},
		{"a dropped message is not in flight", `
{"ev":"block","t":2,"node":"A1","lc":0,"on":"receive PING","wait":{"kind":"receive","type":"PING"}}
{"ev":"send","t":3,"node":"A2","lc":1,"to":"A1","type":"PING","ts":1,"seq":1}
{"ev":"block","t":4,"node":"A2","lc":1,"on":"wait_until REPLY from A1","wait":{"kind":"messages","type":"REPLY","from":["A1"]}}
{"ev":"drop","t":5,"node":"A1","lc":0,"from":"A2","type":"PING","ts":1,"seq":1}`,
			"stall: A1 waits for PING; A2 waits for REPLY from A1; its PING to A1 was lost (dropped by hand)"},
		{"a finished node only answers", `
{"ev":"finish","t":2,"node":"A1","lc":0}
{"ev":"block","t":4,"node":"A2","lc":1,"on":"receive REPLY from A1","wait":{"kind":"receive","type":"REPLY","from":["A1"]}}`,
			"stall: A2 waits for REPLY from A1"},
	}
	for _, tt := range tests {
		tr, err := trace.Read(strings.NewReader(head + strings.TrimSpace(tt.events) + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		res := Run(tr, Options{}).Result(Liveness)
		switch {
		case tt.want == "" && res.Status != Pass:
			t.Errorf("%s: %s %q, want pass", tt.name, res.Status, res.Summary)
		case tt.want != "" && (res.Status != Fail || res.Summary != tt.want):
			t.Errorf("%s: %s %q, want fail %q", tt.name, res.Status, res.Summary, tt.want)
		}
	}
}

// A critical section cut short by the end of the trace (Ctrl-C in the
// middle of it) is not a screen failure, and the summary says so.
func TestScreenSectionCutShort(t *testing.T) {
	tr, err := trace.ReadFile(filepath.Join("testdata", "clean_lamport.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	prints := 0
	for i, e := range tr.Events {
		if e.Ev == trace.Print {
			prints++
			if prints == 1 {
				tr.Events = tr.Events[:i+1]
				break
			}
		}
	}
	r := Run(tr, Options{Interrupted: true})
	res := r.Result(Screen)
	if res.Status != Pass || !strings.Contains(res.Summary, "1 cut short by the end of the trace") {
		t.Fatalf("screen: %s %q", res.Status, res.Summary)
	}
}

// A run with faults (testdata/crash_restart.jsonl, simulated: A crashes
// after its first send and restarts, B1 crashes in its critical section
// and restarts, the network duplicates messages) is judged fairly: a
// restarted node's clock starting again from 0 is not a clock going back,
// its section cut short by the crash is not entered again without being
// left, a duplicate is not a message received twice; what fails is what
// the faults broke (the restarted B1 waits for a grant B already gave).
func TestFaultsJudgedFairly(t *testing.T) {
	tr := readTrace(t, "crash_restart.jsonl")
	kinds := map[string]int{}
	for _, e := range tr.Events {
		kinds[e.Ev]++
		if e.Dup {
			kinds["dup"]++
		}
	}
	if kinds[trace.Crash] != 2 || kinds[trace.Restart] != 2 || kinds["dup"] == 0 {
		t.Fatalf("the trace does not have its faults: %v", kinds)
	}
	r := Run(tr, Options{})
	if len(r.Warnings) > 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
	for _, res := range r.Results {
		switch res.Check {
		case Clock, MutualExclusion, Screen, Order:
			if res.Status != Pass {
				t.Errorf("%s: %s %s", res.Check, res.Status, res.Summary)
			}
		case Liveness:
			if res.Status != Fail || !strings.Contains(res.Summary, "deadlock B → B1 → B") {
				t.Errorf("liveness: %s %s", res.Status, res.Summary)
			}
		}
	}
}

// Run reuses its buffers from trace to trace: a report must share none
// of them. Every report of the testdata, judged one after another and
// again in reverse, reads the same after all the others as right after
// its own run.
func TestReportsShareNothing(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil || len(files) < 10 {
		t.Fatalf("%d traces: %v", len(files), err)
	}
	type kept struct {
		name string
		r    *Report
		json string
	}
	var all []kept
	for pass := range 2 {
		for k := range files {
			f := files[k]
			if pass == 1 {
				f = files[len(files)-1-k]
			}
			tr, err := trace.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {MaxEvidence: 1}} {
				r := Run(tr, o)
				j, err := r.JSON()
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, kept{f, r, string(j)})
			}
		}
	}
	// The heavyweights' token algorithm above its bound: the finding
	// names the heavyweights, a list the history keeps.
	for _, hw := range [][2]string{{"A", "B"}, {"X", "Y"}} {
		tr := &trace.Trace{
			Meta: trace.Meta{Scenario: "token", Nodes: []string{hw[0], hw[1]}, Token: "suzuki_kasami",
				Groups: map[string][]string{hw[0]: nil, hw[1]: nil}, Algorithms: map[string]string{}},
			Events: []trace.Event{},
		}
		for k := range 4 { // 4 messages for one pending visit, of at most 2
			tr.Events = append(tr.Events, trace.Event{Ev: trace.Send, T: int64(k), Node: hw[0], LC: int64(k + 1),
				To: hw[1], Type: "REQUEST", TS: int64(k + 1), Seq: int64(k + 1), Line: k + 2})
		}
		r := Run(tr, Options{})
		if res := r.Result(Messages); res == nil || res.Status != Fail || len(res.Evidence) == 0 || len(res.Evidence[0].Nodes) != 2 {
			t.Fatalf("heavyweights %v: %+v", hw, res)
		}
		j, _ := r.JSON()
		all = append(all, kept{"heavyweights " + hw[0], r, string(j)})
	}
	for _, k := range all {
		if j, _ := k.r.JSON(); string(j) != k.json {
			t.Fatalf("%s: the report changed after later runs:\n%s\n--- was:\n%s", k.name, j, k.json)
		}
	}
}
