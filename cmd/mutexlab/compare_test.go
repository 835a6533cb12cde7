package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
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
	want := map[string]float64{"lamport": 6, "ricart_agrawala": 4}
	if len(doc.Algorithms) != len(want) {
		t.Fatalf("want one row per algorithm, got %d", len(doc.Algorithms))
	}
	for _, st := range doc.Algorithms {
		w, ok := want[st.Algorithm]
		if !ok {
			t.Errorf("unexpected row %q", st.Algorithm)
			continue
		}
		if st.Runs != 5 || st.Passed != 5 || st.Failed != 0 {
			t.Errorf("%s: runs %d passed %d failed %d", st.Algorithm, st.Runs, st.Passed, st.Failed)
		}
		if st.MessagesPerEntry == nil || *st.MessagesPerEntry != w {
			t.Errorf("%s: messages per entry %v, want %v", st.Algorithm, st.MessagesPerEntry, w)
		}
		if st.TextbookValue == nil || *st.TextbookValue != w {
			t.Errorf("%s: textbook %v, want %v", st.Algorithm, st.TextbookValue, w)
		}
		// 6 lightweights, one round each, in 5 runs.
		if st.Entries != 30 {
			t.Errorf("%s: %d entries, want 30", st.Algorithm, st.Entries)
		}
		if st.WaitingMS == nil || st.RunTimeMS == nil || *st.RunTimeMS <= 0 {
			t.Errorf("%s: missing times: %+v", st.Algorithm, st)
		}
	}
}

func TestCompareTable(t *testing.T) {
	out, err := compareCmd("--runs", "3", "--algorithms", "ricart_agrawala")
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	for _, want := range []string{"algorithm", "msgs/entry", "ricart_agrawala", "3/3", "2(N-1) = 4"} {
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
