package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mutexlab/runtime/scenario"
)

// simTestdata is the simulator's folder of test scenarios (broken
// algorithms included).
var simTestdata, _ = filepath.Abs(filepath.Join("..", "..", "runtime", "sim", "testdata"))

// mutexlab runs the binary in dir and returns stdout, stderr and the exit
// status.
func mutexlab(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestExploreCommandPasses(t *testing.T) {
	out, errOut, code := mutexlab(t, t.TempDir(), "explore", "--runs", "50", "--seed", "1")
	if code != 0 || !strings.Contains(out, "all 50 schedules passed every check") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr is not a terminal, yet: %q", errOut)
	}
}

// replayLine finds the first replay command: the first failing schedule's.
var replayLine = regexp.MustCompile(`(?m)^ +replay +mutexlab (.*)$`)

// A failing schedule: status 1, its trace and diagram in --out, and a
// replay command that writes the very same trace.
func TestExploreCommandFailure(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := mutexlab(t, dir, "explore", filepath.Join(simTestdata, "lamport_reorder.lua"), "--out", "found")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"schedule 6 (seed 6) FAILED", "mutual exclusion  FAIL", "found/lamport_reorder-seed6.jsonl", "found/lamport_reorder-seed6.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	saved, err := os.ReadFile(filepath.Join(dir, "found", "lamport_reorder-seed6.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "found", "lamport_reorder-seed6.html")); err != nil {
		t.Error(err)
	}
	m := replayLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay command:\n%s", out)
	}
	args := strings.Fields(m[1])
	if !strings.Contains(m[1], "--runs 1 --seed 6") || args[len(args)-2] != "--trace" {
		t.Fatalf("replay command %q", m[1])
	}
	out2, errOut2, code2 := mutexlab(t, dir, args...)
	if code2 != 1 {
		t.Fatalf("the replay command exited %d, want 1\n%s%s", code2, out2, errOut2)
	}
	again, err := os.ReadFile(filepath.Join(dir, args[len(args)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, again) {
		t.Fatal("the replay command wrote a different trace")
	}
}

func TestExploreCommandExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explore", filepath.Join(simTestdata, "crash.lua")}, 2, "attempt to index"},
		{[]string{"explore", filepath.Join(simTestdata, "greedy.lua")}, 1, "stalled"},
		{[]string{"explore", "no_such_scenario"}, 2, "no such"},
		{[]string{"explore", "--runs", "x"}, 2, `--runs: expected an integer from 1 to 1000000000, got "x"`},
		{[]string{"explore", filepath.Join(simTestdata, "tiny.lua"), "--exhaustive"}, 0, "all 3 distinct schedules covered"},
		{[]string{"explore", "--faults", "2", "--fault-kind", "crash,boom"}, 2, `--fault-kind: fault kind "boom": expected crash, loss, duplicate`},
		{[]string{"explore", "--fault-kind", "crash"}, 2, "--fault-kind crash: give --faults N too"},
		{[]string{"explore", "--faults", "101"}, 2, "--faults: expected an integer from 0 to 100"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			out, errOut, code := mutexlab(t, t.TempDir(), tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d, want %d and %q\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}

func TestExploreCommandJSON(t *testing.T) {
	out, errOut, code := mutexlab(t, t.TempDir(), "explore", filepath.Join(simTestdata, "eager.lua"), "--json")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var doc struct {
		Result struct {
			Runs    int `json:"runs"`
			Failure struct {
				Seed   int64 `json:"seed"`
				Checks struct {
					Failed bool `json:"failed"`
				} `json:"checks"`
			} `json:"failure"`
		} `json:"result"`
		Trace  string `json:"trace"`
		Replay string `json:"replay"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Result.Runs != 1 || doc.Result.Failure.Seed != 1 || !doc.Result.Failure.Checks.Failed ||
		doc.Trace == "" || !strings.HasPrefix(doc.Replay, "mutexlab explore ") {
		t.Fatalf("%+v", doc)
	}
}

// An exhaustive failure has no seed: its replay command replays the trace.
func TestReplayCommandOfExhaustiveFailure(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := mutexlab(t, dir, "explore", filepath.Join(simTestdata, "eager.lua"), "--exhaustive", "--out", ".")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	m := replayLine.FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(m[1], "replay ") {
		t.Fatalf("replay command: %q\n%s", m, out)
	}
	args := append(strings.Fields(m[1]), "--trace", "again.jsonl", "--html", "again.html")
	out, errOut, code = mutexlab(t, dir, args...)
	if code != 1 || !strings.Contains(out, "followed the recording to the end") || !strings.Contains(out, "(as recorded)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, f := range []string{"again.jsonl", "again.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestReplayCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("not a trace\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"replay"}, {"replay", "missing.jsonl"}, {"replay", "bad.jsonl"}} {
		if out, errOut, code := mutexlab(t, dir, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
}

// The REPL's explore runs on its loaded scenario through replExplore.
func TestREPLExploreHook(t *testing.T) {
	s, err := scenario.Load(filepath.Join(simTestdata, "eager.lua"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var b bytes.Buffer
	if err := replExplore(context.Background(), &b, s, nil, []string{"--runs", "20", "--out", dir}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "schedule 1 (seed 1) FAILED") ||
		!strings.Contains(b.String(), "replay   mutexlab explore "+filepath.Join(simTestdata, "eager.lua")+" --runs 1 --seed 1") {
		t.Fatalf("output:\n%s", &b)
	}
	seed, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := replExplore(context.Background(), &b, seed, nil, []string{"--runs", "20"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "explore seed: 8 processes, 1 round") || !strings.Contains(b.String(), "all 20 schedules passed") {
		t.Fatalf("output:\n%s", &b)
	}
	if seed.Rounds != 0 {
		t.Error("explore changed the REPL's scenario")
	}
	if err := replExplore(context.Background(), &b, seed, nil, []string{"--bogus"}); err == nil {
		t.Error("a bad flag was accepted")
	}
}

// explore --faults finds the fault that breaks the token ring (a crash, a
// lost message), names it, and the replay command repeats the failing
// schedule, its faults included, byte for byte.
func TestExploreCommandFaults(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := mutexlab(t, dir, "explore", "tiny", "--faults", "1", "--fault-kind", "crash", "--runs", "50", "--rounds", "1", "--out", "found", "--no-shrink")
	if code != 1 || !strings.Contains(out, "faults chosen: crash ") || !strings.Contains(out, "up to 1 fault per schedule (crash)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	m := replayLine.FindStringSubmatch(out)
	if m == nil || !strings.Contains(m[1], "--faults 1 --fault-kind crash") {
		t.Fatalf("replay command: %v\n%s", m, out)
	}
	args := strings.Fields(m[1])
	if _, _, code := mutexlab(t, dir, args...); code != 1 {
		t.Fatalf("the replay command exited %d", code)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "found", "*.jsonl"))
	if len(saved) != 1 {
		t.Fatalf("saved %v", saved)
	}
	a, err1 := os.ReadFile(saved[0])
	b, err2 := os.ReadFile(filepath.Join(dir, args[len(args)-1]))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("the replay command wrote a different trace (%v, %v)", err1, err2)
	}
	if !bytes.Contains(a, []byte(`"ev":"crash"`)) {
		t.Error("the failing trace has no crash")
	}
}
