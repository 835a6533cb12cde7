package sim

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/runtime/node"
	"mutexlab/runtime/trace"
)

// The replay tests record real runs over TCP with the mutexlab binary,
// built once when the first of them needs it.
func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("records a real run over TCP")
	}
	return clustertest.Binary(t)
}

// record runs the system over TCP and returns its trace.
func record(t *testing.T, args ...string) *trace.Trace {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.jsonl")
	cmd := exec.Command(binary(t), append(append([]string{"run"}, args...), "--trace", path)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mutexlab run %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	tr, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestReplayTCP(t *testing.T) {
	for _, args := range [][]string{
		{"--rounds", "1", "--speed", "200"},
		{"three_groups", "--rounds", "2", "--speed", "50"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			rec := record(t, args...)
			res, err := Replay(rec, ReplayOptions{Lib: node.NewLibrary(), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Divergence != nil {
				t.Fatalf("diverged: %s", res.Divergence)
			}
			if res.Outcome != Ended {
				t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
			}
			if len(res.Recorded) == 0 || !res.SameCSOrder() {
				t.Fatalf("CS order: recorded %v, replayed %v", res.Recorded, res.Replayed)
			}
			if rep := check.Run(res.Trace, check.Options{}); rep.Failed() {
				var b bytes.Buffer
				rep.Print(&b, false)
				t.Fatalf("the replay fails its checks:\n%s", &b)
			}
			// Every node went through the same receives, in the same order.
			if got, want := deliveries(res.Trace), deliveries(rec); !equalDeliveries(got, want) {
				t.Fatalf("deliveries differ:\nrecorded %v\nreplayed %v", want, got)
			}
		})
	}
}

func equalDeliveries(a, b map[string][]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slicesEqual(v, b[k]) {
			return false
		}
	}
	return true
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// An edited script makes the replay leave its recording: the first event
// that differs is named, and the replay still ends.
func TestReplayDiverges(t *testing.T) {
	rec := record(t, "--rounds", "1", "--speed", "200")
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "algorithms", "lamport.lua"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "node.on(\"REPLY\", function(msg)\n",
		"node.on(\"REPLY\", function(msg)\n  node.log(\"reply from \" .. msg.sender)\n", 1)
	if edited == string(src) {
		t.Fatal("lamport.lua changed: cannot insert the log line")
	}
	if err := os.WriteFile(filepath.Join(dir, "lamport.lua"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(rec, ReplayOptions{Lib: node.NewLibrary(dir), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Divergence
	if d == nil {
		t.Fatal("no divergence reported")
	}
	if !strings.HasPrefix(d.Node, "A") || !strings.Contains(d.Got, `log "reply from`) || d.Line == 0 {
		t.Fatalf("divergence %s", d)
	}
	if res.Outcome != Complete && res.Outcome != Ended {
		t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
	}
	// A log line changes no decision: the critical sections keep their order.
	if !res.SameCSOrder() {
		t.Fatalf("CS order: recorded %v, replayed %v", res.Recorded, res.Replayed)
	}
}

// A simulated trace replays to the same events, in the same order.
func TestReplaySimTrace(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		seed     int64
	}{
		{"testdata/eager.lua", 1},
		{"testdata/jitter.lua", 3},
		{"testdata/lamport_reorder.lua", 6},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			s := load(t, tc.scenario, 0)
			orig := runSeed(t, s, tc.seed, Options{})
			res, err := Replay(orig.Trace, ReplayOptions{Lib: libFor(s), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Divergence != nil {
				t.Fatalf("diverged: %s", res.Divergence)
			}
			a, b := orig.Trace.Events, res.Trace.Events
			if len(a) != len(b) {
				t.Fatalf("%d events, replay %d", len(a), len(b))
			}
			for i := range a {
				if !sameEvent(&a[i], &b[i]) || a[i].Node != b[i].Node {
					t.Fatalf("event %d: %s %s, replay %s %s", i+1, a[i].Node, describe(&a[i]), b[i].Node, describe(&b[i]))
				}
			}
		})
	}
}

func TestScenarioFromMeta(t *testing.T) {
	s := load(t, "three_groups", 2)
	r := runSeed(t, s, 1, Options{})
	got, err := ScenarioFromMeta(r.Trace.Meta)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != s.Name || got.Token != s.Token || got.Rounds != 2 || got.CS != s.CS ||
		strings.Join(got.NodeIDs(), " ") != strings.Join(s.NodeIDs(), " ") || len(got.Groups) != len(s.Groups) {
		t.Fatalf("rebuilt %+v, want %+v", got, s)
	}
	for i, g := range got.Groups {
		if g != s.Groups[i] {
			t.Fatalf("group %d: %+v, want %+v", i, g, s.Groups[i])
		}
	}
	m := r.Trace.Meta
	m.Groups = map[string][]string{"A": {"X1"}, "B": {"B1"}}
	if _, err := ScenarioFromMeta(m); err == nil {
		t.Fatal("a meta header whose nodes do not fit its groups was accepted")
	}
}
