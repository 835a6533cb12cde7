package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchQuickJSON(t *testing.T) {
	var out bytes.Buffer
	if err := runBench(commands["bench"], &out, []string{"--quick", "--json"}); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	var doc benchReport
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, out.String())
	}
	t.Logf("%s", out.String())
	if !doc.Quick || doc.FrameBytes <= 0 {
		t.Errorf("header: %+v", doc)
	}
	if doc.Loopback.MessagesPerS <= 0 || doc.Loopback.MBPerS <= 0 {
		t.Errorf("loopback: %+v", doc.Loopback)
	}
	if doc.Transport.MessagesPerS <= 0 || doc.Transport.RatioToLoopback <= 0 {
		t.Errorf("transport: %+v", doc.Transport)
	}
	if doc.RoundTrip.Count <= 0 || doc.RoundTrip.MedianUS <= 0 || doc.RoundTrip.P99US < doc.RoundTrip.MedianUS {
		t.Errorf("round trip: %+v", doc.RoundTrip)
	}
	if doc.Sim.Runs <= 0 || doc.Sim.RunsPerS <= 0 {
		t.Errorf("simulator: %+v", doc.Sim)
	}
}

func TestBenchBadUsage(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--quick=maybe"}} {
		var out bytes.Buffer
		err := runBench(commands["bench"], &out, args)
		if got := statusOf(err); got != exitUsage {
			t.Errorf("bench %v: status %d (%v), want 2", args, got, err)
		}
		if strings.TrimSpace(out.String()) != "" {
			t.Errorf("bench %v printed %q", args, out.String())
		}
	}
}
