package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// Issue "Failures that teach": each bullet through the real binary.

// lab makes a copy of the shipped scripts as `mutexlab init` does and
// returns its folder.
func lab(t *testing.T) (dir, mylab string) {
	t.Helper()
	dir = t.TempDir()
	if out, errOut, code := mutexlab(t, dir, "init", "mylab"); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	return dir, filepath.Join(dir, "mylab")
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), old, new, 1)
	if s == string(b) {
		t.Fatalf("%s: no %q to replace", path, old)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// oneLine asserts that stderr is exactly one line containing want.
func oneLine(t *testing.T, what, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("%s: stderr %q, want one line with %q", what, stderr, want)
	}
}

// Before anything starts: a syntax error, a missing module or an unknown
// algorithm is one line and exit status 2, and nothing runs; the syntax
// error names the real token and line.
func TestBrokenScriptStartsNothing(t *testing.T) {
	dir, mylab := lab(t)
	edit(t, filepath.Join(mylab, "algorithms", "lamport.lua"), "function M.request()", "function M.request(")
	const want = "mylab/algorithms/lamport.lua:76: syntax error near '.'"
	for _, args := range [][]string{
		{"run", "mylab/seed.lua", "--rounds", "1", "--speed", "100", "--trace", "t.jsonl"},
		{"explore", "mylab/seed.lua", "--runs", "5"},
		{"compare", "mylab/seed.lua", "--runs", "5"},
	} {
		out, errOut, code := mutexlab(t, dir, args...)
		if code != 2 || out != "" {
			t.Errorf("%s: exit %d, stdout %q; want 2 and nothing on stdout", args[0], code, out)
		}
		oneLine(t, args[0], errOut, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.jsonl")); err == nil {
		t.Errorf("run wrote a trace: something started")
	}

	// The REPL's run goes through the same launcher.
	cmd := replProcess(t, "repl", "mylab/seed.lua")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("run --rounds 1 --speed 100\nquit\n")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), want) || strings.Contains(string(out), "I'm lightweight") {
		t.Errorf("repl run:\n%s", out)
	}

	// An algorithm that does not exist: "did you mean".
	edit(t, filepath.Join(mylab, "algorithms", "lamport.lua"), "function M.request(", "function M.request()")
	edit(t, filepath.Join(mylab, "seed.lua"), `"lamport"`, `"lamprot"`)
	for _, c := range []string{"run", "explore"} {
		out, errOut, code := mutexlab(t, dir, c, "mylab/seed.lua")
		if code != 2 || out != "" {
			t.Errorf("%s lamprot: exit %d, stdout %q", c, code, out)
		}
		oneLine(t, c+" lamprot", errOut, `mylab/seed.lua: groups[1].algorithm: no module "lamprot" (searched mylab, the embedded scripts); did you mean "lamport"?`)
	}
	out2, errOut, code := mutexlab(t, dir, "compare", "--algorithms", "lamport,ricart_agrawal")
	if code != 2 || out2 != "" {
		t.Errorf("compare: exit %d, stdout %q", code, out2)
	}
	oneLine(t, "compare", errOut, `did you mean "ricart_agrawala"?`)
}

// Say what runs: the headers name the scenario's file and each script's
// origin, and note the edited copies an embedded scenario does not use.
func TestHeadersSayWhatRuns(t *testing.T) {
	dir, mylab := lab(t)
	edit(t, filepath.Join(mylab, "algorithms", "lamport.lua"), "-- On leaving", "-- (edited) On leaving")

	out, errOut, code := mutexlab(t, mylab, "explore", "--runs", "5")
	if code != 0 {
		t.Fatalf("explore: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"  scenario  seed (embedded)\n",
		"  scripts   lamport, ricart_agrawala, token, heavyweight, lightweight  embedded\n",
		"  note      algorithms/lamport.lua here is not used (the scenario is the embedded one); to run them: mutexlab explore seed.lua\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explore in mylab: output lacks %q:\n%s", want, out)
		}
	}

	out, errOut, code = mutexlab(t, dir, "run", "mylab/seed.lua", "--rounds", "1", "--speed", "200")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"run seed: 8 processes, 1 round, speed 200\n  scenario  mylab/seed.lua\n",
		"  scripts   lamport  mylab/algorithms/lamport.lua\n",
		"            token  mylab/algorithms/token.lua\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run: output lacks %q:\n%s", want, out)
		}
	}

	out, _, _ = mutexlab(t, dir, "explore", "exercises/eager_entry", "--runs", "1")
	if !strings.Contains(out, "  scripts   ricart_agrawala  examples/exercises/eager_entry/ricart_agrawala.lua (embedded)\n"+
		"            token, heavyweight, lightweight  embedded\n") {
		t.Errorf("explore eager_entry: the exercise's copy is not named:\n%s", out)
	}
}

// The trace's header records the scenario's file and each script with its
// hash; replay finds them from another folder and says when one changed.
func TestReplayFindsRecordedScripts(t *testing.T) {
	dir, mylab := lab(t)
	if out, errOut, code := mutexlab(t, dir, "run", "mylab/seed.lua", "--rounds", "1", "--speed", "200", "--trace", "rec.jsonl"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	rec, err := trace.ReadFile(filepath.Join(dir, "rec.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Meta.File != filepath.Join(mylab, "seed.lua") {
		t.Errorf("meta file %q", rec.Meta.File)
	}
	mods := map[string]trace.Script{}
	for _, sc := range rec.Meta.Scripts {
		mods[sc.Module] = sc
	}
	if sc := mods["lamport"]; sc.Path != filepath.Join(mylab, "algorithms", "lamport.lua") || len(sc.SHA256) != 64 {
		t.Errorf("meta scripts %+v", rec.Meta.Scripts)
	}

	elsewhere := t.TempDir()
	out, errOut, code := mutexlab(t, elsewhere, "replay", filepath.Join(dir, "rec.jsonl"), "--trace", "r.jsonl")
	if code != 0 || !strings.Contains(out, "followed the recording to the end") || strings.Contains(out, "script ") {
		t.Fatalf("replay from elsewhere: exit %d\n%s%s", code, out, errOut)
	}
	edit(t, filepath.Join(mylab, "algorithms", "lamport.lua"), "  node.send(msg.sender, \"REPLY\")\n", "")
	out, errOut, _ = mutexlab(t, elsewhere, "replay", filepath.Join(dir, "rec.jsonl"), "--trace", "r.jsonl")
	want := "  script    " + filepath.Join(mylab, "algorithms", "lamport.lua") + " (lamport) changed since the recording: the replay runs it as it is now\n"
	if !strings.Contains(out, want) || !strings.Contains(out, "DIVERGES") {
		t.Fatalf("replay after an edit: output lacks %q and a divergence:\n%s%s", want, out, errOut)
	}
}

// "did you mean" for subcommands.
func TestSubcommandDidYouMean(t *testing.T) {
	for typo, want := range map[string]string{"rnu": "run", "explroe": "explore", "chek": "check"} {
		out, errOut, code := mutexlab(t, t.TempDir(), typo)
		if code != 2 || out != "" {
			t.Errorf("%s: exit %d", typo, code)
		}
		oneLine(t, typo, errOut, `unknown command "`+typo+`"; did you mean `+want+"?")
	}
}

// A trace or diagram file another run is writing is refused, and the
// first run's trace stays whole.
func TestTraceAndHTMLFilesLocked(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(testBinary(t), "run", "--speed", "50", "--trace", "t.jsonl", "--html", "d.html")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("the first run ended before its first CS line: %v", err)
		}
		if strings.HasPrefix(line, "I'm lightweight process") {
			break
		}
	}
	go io.Copy(io.Discard, r)
	for _, args := range [][]string{
		{"run", "--rounds", "1", "--speed", "200", "--trace", "t.jsonl"},
		{"run", "--rounds", "1", "--speed", "200", "--html", "d.html"},
	} {
		out, errOut, code := mutexlab(t, dir, args...)
		if code != 3 || out != "" {
			t.Errorf("%v: exit %d, stdout %q; want 3 and nothing started", args, code, out)
		}
		oneLine(t, strings.Join(args, " "), errOut, "another mutexlab run is writing it")
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	tr, err := trace.ReadFile(filepath.Join(dir, "t.jsonl"))
	if err != nil || len(tr.Warnings) > 0 || tr.Meta.Scenario != "seed" {
		t.Fatalf("the first run's trace: %v %v", err, tr.Warnings)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "d.html")); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("the first run's diagram: %v", err)
	}
}

// network.reorder is the simulator's: run refuses it in one line; an
// exploration that fails under it says which algorithms assume FIFO.
func TestReorderIsSimulatorOnly(t *testing.T) {
	file := filepath.Join(simTestdata, "lamport_reorder.lua")
	out, errOut, code := mutexlab(t, t.TempDir(), "run", file)
	if code != 2 || out != "" {
		t.Errorf("run: exit %d, stdout %q", code, out)
	}
	oneLine(t, "run", errOut, "network.reorder: channels that reorder exist only in the simulator")

	out, _, code = mutexlab(t, t.TempDir(), "explore", file)
	if code != 1 || !strings.Contains(out, "lamport assumes FIFO channels") {
		t.Errorf("explore: exit %d\n%s", code, out)
	}
}

// Minimal counterexamples: explore saves the first failing schedule and
// the shortest it shrank to, each with its trace, diagram and replay
// command, and prints both sizes; the shortest replays the same failure.
func TestExploreShrinks(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := mutexlab(t, dir, "explore", "exercises/eager_entry", "--out", "found")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"shrunk to 44 events, 7 messages (1 round, lightweights A 1 B 2, 1 line per critical section; stopped right after the failure)",
		"verdict           FAIL  mutual exclusion (1 root cause)\n",
		"  first     465 events, 114 messages (3 rounds, lightweights A 3 B 3, 3 lines per critical section)\n" +
			"            trace    found/eager_entry-seed1.jsonl\n" +
			"            diagram  found/eager_entry-seed1.html\n" +
			"            replay   mutexlab explore exercises/eager_entry --runs 1 --seed 1 --rounds 3 --trace eager_entry-seed1.jsonl\n",
		"  shortest  44 events, 7 messages",
		"            trace    found/eager_entry-seed1-shortest.jsonl\n" +
			"            diagram  found/eager_entry-seed1-shortest.html\n" +
			"            replay   mutexlab replay found/eager_entry-seed1-shortest.jsonl\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"eager_entry-seed1.jsonl", "eager_entry-seed1.html", "eager_entry-seed1-shortest.jsonl", "eager_entry-seed1-shortest.html"} {
		if _, err := os.Stat(filepath.Join(dir, "found", f)); err != nil {
			t.Error(err)
		}
	}
	out, errOut, code = mutexlab(t, dir, "replay", "found/eager_entry-seed1-shortest.jsonl")
	if code != 1 || !strings.Contains(out, "followed the recording to the end") || !strings.Contains(out, "verdict           FAIL  mutual exclusion") {
		t.Fatalf("replay of the shortest: exit %d\n%s%s", code, out, errOut)
	}
}

// Evidence cites trace lines only where a trace file exists: a failing run
// without --trace keeps its trace, names it in the report, and the lines
// cited are the events named.
func TestEvidenceCitesAKeptTrace(t *testing.T) {
	out, errOut, code := mutexlab(t, t.TempDir(), "run", "exercises/after_you", "--speed", "50")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	m := regexp.MustCompile(`\(lines of (\S+\.jsonl)\):\n.*\n +line (\d+) +(\w+) +(\w+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no root cause citing a trace file:\n%s", out)
	}
	defer os.Remove(m[1])
	tr, err := trace.ReadFile(m[1])
	if err != nil {
		t.Fatalf("the cited trace: %v", err)
	}
	line, _ := strconv.Atoi(m[2])
	found := false
	for _, e := range tr.Events {
		found = found || e.Line == line && e.Node == m[3] && e.Ev == m[4]
	}
	if !found {
		t.Errorf("line %d of %s is not %s's %s", line, m[1], m[3], m[4])
	}
	if !strings.Contains(out, "  trace       "+m[1]+"\n") {
		t.Errorf("the summary does not name the kept trace %s", m[1])
	}
}

// replProcess is the real binary with args, for a piped REPL session.
func replProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(testBinary(t), args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}
