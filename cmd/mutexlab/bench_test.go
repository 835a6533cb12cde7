package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/runtime/perf"
)

// TestBenchJSON runs the bench at tiny sizes against a binary built from
// the tree: every key the issue names is there, with a figure that makes
// sense. It asserts no speed.
func TestBenchJSON(t *testing.T) {
	bin := clustertest.Binary(t)
	tiny := perf.Config{Trials: 1, Pings: 20, Algorithms: []string{"lamport"}, Sizes: []int{3}, SatRounds: 2, SatTrials: 1,
		LauncherRounds: []int{1}, SimFor: 50 * time.Millisecond, SimTrials: 1}
	benchSizes, benchBinary = &tiny, func() (string, error) { return bin, nil }
	t.Cleanup(func() { benchSizes, benchBinary = nil, nil })
	var out bytes.Buffer
	if err := runBench(commands["bench"], &out, []string{"--json"}); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	t.Logf("%s", out.String())
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, out.String())
	}
	for _, k := range []string{"pingpong_raw_us", "pingpong_lua_us", "pingpong_handler_us", "seed_round_ms",
		"critical_path_hops", "limit_ratio", "startup_ms", "rss_mb_max", "launcher_rss_mb", "sim_runs_per_s"} {
		v, ok := doc[k].(float64)
		if !ok || !(v > 0) {
			t.Errorf("%s = %v, want a number > 0", k, doc[k])
		}
	}
	if th, ok := doc["throughput"].([]any); !ok || len(th) != 1 {
		t.Errorf("throughput = %v, want one figure", doc["throughput"])
	}
	var rep perf.Report
	json.Unmarshal(out.Bytes(), &rep)
	// The seed round's chain: a grant, the group's requests and replies,
	// DONE, the token to B, ... at least the hand-over between the groups.
	if rep.CriticalPathHops < 5 {
		t.Errorf("critical path of the seed round: %d messages, want at least 5", rep.CriticalPathHops)
	}
	var text bytes.Buffer
	printBench(&text, &rep)
	for _, want := range []string{"ping-pong, raw", "seed round", "saturation", "lamport"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, text.String())
		}
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
