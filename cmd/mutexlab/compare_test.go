package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"mutexlab/runtime/check"
)

// statusOf is the exit status run would give err.
func statusOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitRuntime
}

func compareCmd(args ...string) (string, error) {
	var out bytes.Buffer
	err := runCompare(commands["compare"], &out, args)
	return out.String(), err
}

func TestCompareSeedMatchesTextbook(t *testing.T) {
	out, err := compareCmd("--runs", "5", "--json")
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	var doc compareReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, out)
	}
	if doc.Scenario != "seed" || doc.Runs != 5 || doc.Rounds != 1 {
		t.Errorf("header: %+v", doc)
	}
	// The textbook's single figures; the rest of the family has ranges.
	want := map[string]float64{"lamport": 6, "ricart_agrawala": 4}
	if len(doc.Algorithms) != len(check.Family()) {
		t.Fatalf("want one row per algorithm of the family, got %d", len(doc.Algorithms))
	}
	for i, st := range doc.Algorithms {
		if st.Algorithm != check.Family()[i] {
			t.Errorf("row %d is %q, want %q", i, st.Algorithm, check.Family()[i])
		}
		if st.Runs != 5 || st.Passed != 5 || st.Failed != 0 {
			t.Errorf("%s: runs %d passed %d failed %d", st.Algorithm, st.Runs, st.Passed, st.Failed)
		}
		if w, ok := want[st.Algorithm]; ok {
			if st.MessagesPerEntry == nil || *st.MessagesPerEntry != w {
				t.Errorf("%s: messages per entry %v, want %v", st.Algorithm, st.MessagesPerEntry, w)
			}
			if st.TextbookValue == nil || *st.TextbookValue != w {
				t.Errorf("%s: textbook %v, want %v", st.Algorithm, st.TextbookValue, w)
			}
		}
		// 6 lightweights, one round each, in 5 runs.
		if st.Entries != 30 {
			t.Errorf("%s: %d entries, want 30", st.Algorithm, st.Entries)
		}
		if st.WaitingMS == nil || st.WaitingSDMS == nil || st.RunTimeMS == nil || *st.RunTimeMS <= 0 ||
			st.Throughput == nil || *st.Throughput <= 0 {
			t.Errorf("%s: missing times: %+v", st.Algorithm, st)
		}
	}
}

// Every algorithm of the family, on the seed's load and on groups of
// five, sends a number of messages per entry within its textbook's range,
// and hands over in the textbook's number of hops. The seed has no
// network delay and long critical sections: every message of a round is
// delivered before the first exit, so each handover is the textbook's.
func TestCompareFamilyWithinTextbook(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		size     int
	}{{"seed", 3}, {"suzuki_kasami", 5}} {
		out, err := compareCmd(tc.scenario, "--runs", "20", "--rounds", "2", "--json")
		if err != nil {
			t.Fatalf("compare %s: %v\n%s", tc.scenario, err, out)
		}
		var doc compareReport
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, st := range doc.Algorithms {
			tb, _ := check.TextbookOf(st.Algorithm)
			rg := tb.PerEntry(tc.size)
			if st.Failed != 0 || st.MessagesPerEntry == nil || !rg.Contains(*st.MessagesPerEntry) {
				t.Errorf("%s on %s: %d failed, %v messages per entry, textbook %s %s", st.Algorithm, tc.scenario,
					st.Failed, fmtPtr(st.MessagesPerEntry), tb.Messages, rg)
			}
			if st.WithinTextbook == nil || !*st.WithinTextbook {
				t.Errorf("%s on %s: within_textbook %v", st.Algorithm, tc.scenario, st.WithinTextbook)
			}
			hr := tb.Hops(tc.size)
			if st.SyncHops == nil || st.SyncHopsMax == nil || !hr.Contains(*st.SyncHops) || !hr.Contains(float64(*st.SyncHopsMax)) {
				t.Errorf("%s on %s: %v hops (at most %v), textbook %s", st.Algorithm, tc.scenario,
					fmtPtr(st.SyncHops), st.SyncHopsMax, hr)
			}
		}
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "null"
	}
	return fmtNum(*f)
}

func TestCompareTable(t *testing.T) {
	out, err := compareCmd("--runs", "3", "--algorithms", "ricart_agrawala")
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	for _, want := range []string{"algorithm", "msgs/entry", "hops", "spread", "entries/s", "ricart_agrawala", "3/3", "2(N-1) = 4"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "lamport") || strings.Contains(out, "\x1b[") {
		t.Errorf("unexpected row or colors:\n%s", out)
	}
}

func TestCompareBrokenExerciseFails(t *testing.T) {
	out, err := compareCmd("exercises/eager_entry", "--runs", "5")
	if got := statusOf(err); got != exitCheck {
		t.Fatalf("status %d (%v), want 1\n%s", got, err, out)
	}
	if !strings.Contains(out, "FAILED ricart_agrawala") {
		t.Errorf("no failure line for the exercise's ricart_agrawala:\n%s", out)
	}
	// The shipped lamport passes on the same load.
	out, err = compareCmd("exercises/eager_entry", "--runs", "5", "--algorithms", "lamport", "--json")
	if err != nil {
		t.Fatalf("lamport on eager_entry: %v\n%s", err, out)
	}
	var doc compareReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if st := doc.Algorithms[0]; st.Failed != 0 || st.SyncDelayMS == nil || *st.SyncDelayMS <= 0 {
		t.Errorf("lamport on eager_entry: %+v", st)
	}
}

func TestCompareBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--runs", "x"},
		{"--runs", "0"},
		{"--nope"},
		{"--algorithms", "no_such_algorithm"},
		{"--algorithms", ","},
		{"seed", "tiny"},
		{"no_such_scenario_anywhere"},
	} {
		out, err := compareCmd(args...)
		if got := statusOf(err); got != exitUsage {
			t.Errorf("compare %v: status %d (%v), want 2\n%s", args, got, err, out)
		}
	}
}
