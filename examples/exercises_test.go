package examples_test

// Real runs of the shipped seed and of every exercise: the mutexlab binary
// is built once, each scenario runs as OS processes over TCP with its
// network delay and jitter, and `mutexlab check --json` judges the trace.
// An exercise must end with status 1 and fail the check it was written to
// fail; the same scenario with the shipped algorithms must pass every check.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"mutexlab/algorithms"
	"mutexlab/examples"
	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/scripts"
)

// bin is the mutexlab binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	var err error
	if bin, err = clustertest.Build(); err != nil {
		fmt.Fprintln(os.Stderr, "examples: the real runs need the mutexlab binary:", err)
		os.Exit(1)
	}
	os.Exit(clustertest.Main(m))
}

// speed makes the runs quick: the exercises' critical sections take
// 3 x 0.2 s at speed 1.
const speed = "20"

// exercise is one broken algorithm and the check it must fail.
type exercise struct {
	name  string
	check string // the check the bug is meant to fail
	also  string // a second check that must fail too, or ""
	runs  int    // real runs from the source folder, each must fail
}

var exercises = []exercise{
	{name: "eager_entry", check: "mutual exclusion", also: "screen", runs: 2},
	{name: "after_you", check: "liveness", runs: 2},
	{name: "ring_of_four", check: "order", also: "liveness", runs: 1},
	{name: "own_clock", check: "mutual exclusion", also: "order", runs: 1},
	{name: "right_now", check: "mutual exclusion", runs: 1},
	{name: "no_inquire", check: "liveness", runs: 1},
}

// report is what `mutexlab check --json` prints.
type report struct {
	Failed  bool `json:"failed"`
	Results []struct {
		Check   string `json:"check"`
		Status  string `json:"status"`
		Summary string `json:"summary"`
	} `json:"results"`
}

func (r *report) status(check string) string {
	for _, res := range r.Results {
		if res.Check == check {
			return res.Status
		}
	}
	return "missing"
}

// String lists the verdicts, for failure messages.
func (r *report) String() string {
	var b strings.Builder
	for _, res := range r.Results {
		fmt.Fprintf(&b, "\n  %-16s %-4s  %s", res.Check, res.Status, res.Summary)
	}
	return b.String()
}

// mutexlab runs the binary in dir and returns its exit status and output.
// A run that hangs is interrupted (the launcher then stops its children).
func mutexlab(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("mutexlab %s: did not finish within 90s\n%s", strings.Join(args, " "), tail(out))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	default:
		t.Fatalf("mutexlab %s: %v", strings.Join(args, " "), err)
		return -1, ""
	}
}

// tail keeps the end of a run's output without the critical sections'
// lines: the summary, the report and any error.
func tail(out []byte) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if !strings.HasPrefix(l, "I'm lightweight process") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 40 {
		lines = append([]string{"..."}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "\n")
}

// runAndCheck runs scenario in dir with a trace, then judges the trace
// with `mutexlab check --json`. It returns the run's exit status.
func runAndCheck(t *testing.T, dir, scenario string) (int, *report, string) {
	t.Helper()
	tr := filepath.Join(t.TempDir(), "run.jsonl")
	code, out := mutexlab(t, dir, "run", scenario, "--speed", speed, "--trace", tr)
	if code != 0 && code != 1 {
		t.Fatalf("mutexlab run %s: exit status %d, want 0 or 1\n%s", scenario, code, tail([]byte(out)))
	}
	checkCode, js := mutexlab(t, dir, "check", "--json", tr)
	var r report
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("mutexlab check --json %s: %v\n%s", tr, err, js)
	}
	if want := map[bool]int{false: 0, true: 1}[r.Failed]; checkCode != want {
		t.Errorf("mutexlab check: exit status %d with failed=%v", checkCode, r.Failed)
	}
	return code, &r, out
}

// assertFails requires the run to end with status 1 and the exercise's
// checks to fail.
func assertFails(t *testing.T, ex exercise, how string, code int, r *report, out string) {
	t.Helper()
	var wrong []string
	if code != 1 {
		wrong = append(wrong, fmt.Sprintf("exit status %d, want 1", code))
	}
	for _, c := range []string{ex.check, ex.also} {
		if c != "" && r.status(c) != "fail" {
			wrong = append(wrong, fmt.Sprintf("check %q is %s, want fail", c, r.status(c)))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%s %s: %s\n%s", ex.name, how, strings.Join(wrong, "; "), tail([]byte(out)))
	}
}

// The package folder holds exercises/NAME/scenario.lua: run the source
// files, as a teacher editing them would.
func TestExercisesFailTheirCheck(t *testing.T) {
	for _, ex := range exercises {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			for i := 1; i <= ex.runs; i++ {
				how := fmt.Sprintf("(run %d of %d)", i, ex.runs)
				code, r, out := runAndCheck(t, ".", path.Join("exercises", ex.name, "scenario.lua"))
				assertFails(t, ex, how, code, r, out)
				// The live monitor says so while the run goes on.
				if ex.check == "mutual exclusion" && ex.name == "eager_entry" &&
					!strings.Contains(out, "MUTUAL EXCLUSION VIOLATED: ") {
					t.Fatalf("%s %s: no live monitor line\n%s", ex.name, how, tail([]byte(out)))
				}
			}
		})
	}
}

// From any folder, `mutexlab run exercises/NAME` runs the embedded
// exercise, broken module included.
func TestEmbeddedExercisesFailTheirCheck(t *testing.T) {
	for _, ex := range exercises {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			code, r, out := runAndCheck(t, t.TempDir(), "exercises/"+ex.name)
			assertFails(t, ex, "(embedded, run from an empty folder)", code, r, out)
			if !r.Failed {
				t.Log("every check passed: the node processes ran the shipped modules, not the exercise's; " +
					"the scenario's Dir \"embedded:exercises/" + ex.name + "\" must reach node.NewLibrary " +
					"unchanged (runtime/cluster passes the script folders to the node processes)")
			}
		})
	}
}

// The control: each exercise's scenario, alone in a folder so that the
// shipped algorithms run, passes every check. The failures above are the
// broken modules', not the network's.
func TestExerciseScenariosPassWithShippedAlgorithms(t *testing.T) {
	for _, ex := range exercises {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src, err := os.ReadFile(filepath.Join("exercises", ex.name, "scenario.lua"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "scenario.lua"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			code, r, out := runAndCheck(t, dir, "scenario.lua")
			if code != 0 || r.Failed {
				t.Errorf("exit status %d, want 0; the report:%s\n%s", code, r, tail([]byte(out)))
			}
		})
	}
}

// The shipped seed passes every check.
func TestSeedPassesEveryCheck(t *testing.T) {
	t.Parallel()
	tr := filepath.Join(t.TempDir(), "seed.jsonl")
	code, out := mutexlab(t, t.TempDir(), "run", "seed", "--rounds", "2", "--speed", "50", "--trace", tr)
	if code != 0 {
		t.Errorf("mutexlab run seed: exit status %d, want 0\n%s", code, tail([]byte(out)))
	}
	checkCode, js := mutexlab(t, ".", "check", "--json", tr)
	var r report
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("check --json: %v\n%s", err, js)
	}
	for _, res := range r.Results {
		if res.Status != "pass" {
			t.Errorf("check %q: %s, want pass: %s", res.Check, res.Status, res.Summary)
		}
	}
	if checkCode != 0 || len(r.Results) != 6 {
		t.Errorf("check: exit status %d, %d results; want 0 and 6", checkCode, len(r.Results))
	}
}

// `mutexlab init DIR` copies every exercise into DIR/exercises/NAME (not
// the answers); `mutexlab run exercises/NAME` in DIR runs that copy, so a
// student's fix there takes effect.
func TestInitCopiesExercises(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "lab")
	if code, out := mutexlab(t, ".", "init", dir); code != 0 {
		t.Fatalf("mutexlab init: exit status %d\n%s", code, out)
	}
	for _, ex := range exercises {
		if _, err := os.Stat(filepath.Join(dir, "exercises", ex.name, "scenario.lua")); err != nil {
			t.Errorf("init did not copy %s: %v", ex.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "exercises", "README.md")); err != nil {
		t.Errorf("init did not copy the exercises' README: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "exercises", "ANSWERS.md")); err == nil {
		t.Error("init copied ANSWERS.md: the answers must not reach the students")
	}

	ex := exercises[0] // eager_entry
	code, r, out := runAndCheck(t, dir, "exercises/"+ex.name)
	assertFails(t, ex, "(the copy made by init)", code, r, out)

	// Fix the copy: the run now uses it and passes.
	module := filepath.Join(dir, "exercises", ex.name, "ricart_agrawala.lua")
	src, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(src), "return #node.peers - 1", "return #node.peers", 1)
	if fixed == string(src) {
		t.Fatalf("%s: the line to fix is gone; update this test", module)
	}
	if err := os.WriteFile(module, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, r, out = runAndCheck(t, dir, "exercises/"+ex.name)
	if code != 0 || r.Failed {
		t.Errorf("fixed copy: exit status %d, want 0; the report:%s\n%s", code, r, tail([]byte(out)))
	}
}

// Every embedded exercise has a scenario named like its folder, replaces
// only shipped modules, is listed in README.md and answered in ANSWERS.md,
// and is tested above.
func TestExercisesAreComplete(t *testing.T) {
	dirs, err := fs.Glob(examples.FS, "exercises/*/scenario.lua")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, path.Base(path.Dir(d)))
	}
	var tested []string
	for _, ex := range exercises {
		tested = append(tested, ex.name)
	}
	slices.Sort(tested)
	if !slices.Equal(names, tested) {
		t.Errorf("embedded exercises %v, tested %v", names, tested)
	}
	if len(names) < 4 {
		t.Errorf("%d exercises, want at least 4", len(names))
	}
	readme, _ := os.ReadFile(filepath.Join("exercises", "README.md"))
	answers, _ := os.ReadFile(filepath.Join("exercises", "ANSWERS.md"))
	for _, name := range names {
		src, _ := fs.ReadFile(examples.FS, path.Join("exercises", name, "scenario.lua"))
		if !strings.Contains(string(src), fmt.Sprintf("name = %q", name)) {
			t.Errorf("%s/scenario.lua: want name = %q", name, name)
		}
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not list %s", name)
		}
		if !strings.Contains(string(answers), "## "+name+" ") {
			t.Errorf("ANSWERS.md has no section for %s", name)
		}
		modules, _ := fs.Glob(examples.FS, path.Join("exercises", name, "*.lua"))
		if len(modules) < 2 {
			t.Errorf("%s: no broken module beside the scenario", name)
		}
		for _, m := range modules {
			base := path.Base(m)
			if base == "scenario.lua" {
				continue
			}
			_, errA := fs.Stat(algorithms.FS, base)
			_, errS := fs.Stat(scripts.FS, base)
			if errA != nil && errS != nil {
				t.Errorf("%s: %s replaces no shipped module", name, base)
			}
		}
	}
}
