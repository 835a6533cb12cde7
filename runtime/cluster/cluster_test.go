package cluster

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/runtime/trace"
)

var bin string // the mutexlab binary under test

func TestMain(m *testing.M) {
	var err error
	if bin, err = clustertest.Build(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(clustertest.Main(m))
}

type result struct {
	code   int
	stdout string
	stderr string
}

// mutexlab runs the binary in dir and waits for it.
func mutexlab(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("mutexlab %v did not finish within 90 s\n%s\n%s", args, so.String(), se.String())
	}
	return result{cmd.ProcessState.ExitCode(), so.String(), se.String()}
}

func readTrace(t *testing.T, path string) *trace.Trace {
	t.Helper()
	tr, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// assertRun checks a complete run's trace: distinct processes, entries
// with all their prints, no two critical sections overlapping in time,
// and every message matched send to recv.
func assertRun(t *testing.T, tr *trace.Trace, nodes, entries, prints int) {
	t.Helper()
	pids := map[int]string{}
	for _, e := range tr.Events {
		if e.Ev == trace.Start {
			if e.PID == 0 {
				t.Fatalf("%s started without a pid", e.Node)
			}
			pids[e.PID] = e.Node
		}
	}
	if len(pids) != nodes {
		t.Fatalf("%d distinct pids, want %d: %v", len(pids), nodes, pids)
	}
	type interval struct {
		node       string
		enter, out int64
		prints     int
	}
	var cs []interval
	open := map[string]int{}
	for _, e := range tr.Events {
		switch e.Ev {
		case trace.CSEnter:
			open[e.Node] = len(cs)
			cs = append(cs, interval{node: e.Node, enter: e.T})
		case trace.Print:
			cs[open[e.Node]].prints++
		case trace.CSExit:
			cs[open[e.Node]].out = e.T
		}
	}
	if len(cs) != entries {
		t.Fatalf("%d CS entries, want %d", len(cs), entries)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].enter < cs[j].enter })
	for i, c := range cs {
		if c.prints != prints {
			t.Fatalf("%s's CS printed %d lines, want %d", c.node, c.prints, prints)
		}
		if i > 0 && cs[i-1].out > c.enter {
			t.Fatalf("%s entered at %d before %s left at %d", c.node, c.enter, cs[i-1].node, cs[i-1].out)
		}
	}
	type key struct {
		from, to string
		seq      int64
	}
	sends, recvs := map[key]string{}, map[key]string{}
	for _, e := range tr.Events {
		switch e.Ev {
		case trace.Send:
			sends[key{e.Node, e.To, e.Seq}] = e.Type
		case trace.Recv:
			recvs[key{e.From, e.Node, e.Seq}] = e.Type
		}
	}
	if len(sends) == 0 || len(sends) != len(recvs) {
		t.Fatalf("%d sends, %d receives", len(sends), len(recvs))
	}
	for k, typ := range sends {
		if recvs[k] != typ {
			t.Fatalf("send %v (%s) matched by %q", k, typ, recvs[k])
		}
	}
}

func TestSeedRun(t *testing.T) {
	dir := t.TempDir()
	r := mutexlab(t, dir, "run", "--rounds", "2", "--speed", "100", "--trace", "t.jsonl")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tr := readTrace(t, filepath.Join(dir, "t.jsonl"))
	assertRun(t, tr, 8, 12, 10)
	// The screen shows whole lines, one lightweight at a time: A's three,
	// then B's, then A's again.
	var owners []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if id, ok := strings.CutPrefix(line, "I'm lightweight process "); ok {
			if len(owners) == 0 || owners[len(owners)-1] != id {
				owners = append(owners, id)
			}
		}
	}
	if len(owners) != 12 {
		t.Fatalf("screen runs %v: two lightweights' lines mixed", owners)
	}
	for i, id := range owners {
		want := "AB"[(i/3)%2]
		if id[0] != want {
			t.Fatalf("screen order %v: entry %d is %s, want group %c", owners, i, id, want)
		}
	}
	if !strings.Contains(r.stdout, "run seed: complete, 8 processes, 12 CS entries") {
		t.Fatalf("no summary:\n%s", r.stdout)
	}
}

func TestThreeGroupsMixed(t *testing.T) {
	dir := t.TempDir()
	r := mutexlab(t, dir, "run", "three_groups", "--rounds", "1", "--speed", "100", "--trace", "t.jsonl")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	assertRun(t, readTrace(t, filepath.Join(dir, "t.jsonl")), 18, 15, 3)
}

// A student's lamport.lua in --scripts is the one that runs, written only
// against the documented node API.
func TestScriptsFolderOverrides(t *testing.T) {
	dir := t.TempDir()
	student := filepath.Join(dir, "mine")
	os.Mkdir(student, 0o755)
	os.WriteFile(filepath.Join(student, "lamport.lua"), []byte(`
-- A central-server style lock, to prove the student's file is used.
local M = {}
local holder, waiting = nil, {}
node.log("student lamport loaded")
node.on("LOCK", function(msg)
  if holder == nil then holder = msg.sender; node.send(msg.sender, "GRANTED")
  else table.insert(waiting, msg.sender) end
end)
node.on("UNLOCK", function(msg)
  holder = table.remove(waiting, 1)
  if holder then node.send(holder, "GRANTED") end
end)
local server = node.parent .. "1"
function M.request()
  if node.id == server then
    node.wait_until(function() return holder == nil or holder == node.id end, "the lock")
    holder = holder or node.id
  else
    node.send(server, "LOCK"); node.receive("GRANTED")
  end
end
function M.release()
  if node.id == server then
    holder = table.remove(waiting, 1)
    if holder then node.send(holder, "GRANTED") end
  else node.send(server, "UNLOCK") end
end
return M
`), 0o644)
	r := mutexlab(t, dir, "run", "--rounds", "2", "--speed", "200", "--scripts", "mine", "--trace", "t.jsonl")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tr := readTrace(t, filepath.Join(dir, "t.jsonl"))
	assertRun(t, tr, 8, 12, 10)
	loaded := map[string]bool{}
	for _, e := range tr.Events {
		if e.Ev == trace.Log && e.Text == "student lamport loaded" {
			loaded[e.Node] = true
		}
	}
	if len(loaded) != 3 || !loaded["A1"] || !loaded["A2"] || !loaded["A3"] {
		t.Fatalf("student script loaded on %v, want A1..A3", loaded)
	}
}

func TestScriptErrorsAreOneLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// Found before any process starts (the preflight): no node to name.
		{"syntax", "local M = {}\nlocal x = = 1\nreturn M\n", `^mine/lamport.lua:2: syntax error near '='$`},
		{"handler raises", "local M = {}\nnode.on(\"REQUEST\", function(msg)\n  error(\"bad handler\")\nend)\n" +
			"function M.request() node.broadcast(node.peers, \"REQUEST\"); node.wait_until(function() return false end) end\n" +
			"function M.release() end\nreturn M\n", `^A[123]: mine/lamport.lua:3: bad handler$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "mine"), 0o755)
			os.WriteFile(filepath.Join(dir, "mine", "lamport.lua"), []byte(c.src), 0o644)
			r := mutexlab(t, dir, "run", "--rounds", "1", "--speed", "200", "--scripts", "mine", "--trace", "t.jsonl")
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			last := strings.TrimPrefix(lines[len(lines)-1], "mutexlab run: ")
			if len(lines) != 1 || !matches(c.want, last) {
				t.Fatalf("stderr %q, want one line matching %s", r.stderr, c.want)
			}
			if c.name == "syntax" {
				if r.stdout != "" {
					t.Errorf("stdout %q: nothing should have started", r.stdout)
				}
				if _, err := os.Stat(filepath.Join(dir, "t.jsonl")); err == nil {
					t.Errorf("a trace was written: something started")
				}
				return
			}
			assertNoneLeft(t, readTrace(t, filepath.Join(dir, "t.jsonl")))
		})
	}
}

func TestBadScenarioExit2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.lua"), []byte(`return { groups = { {id = "A", algorithm = "lamport", lightweights = 0}, {id = "B", algorithm = "lamport", lightweights = 1} } }`), 0o644)
	r := mutexlab(t, dir, "run", "bad.lua")
	if r.code != 2 || !strings.Contains(r.stderr, "bad.lua: groups[1].lightweights") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = mutexlab(t, dir, "run", "--speed", "-1")
	if r.code != 2 || !strings.Contains(r.stderr, "--speed") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = mutexlab(t, dir, "run", "nosuch.lua")
	if r.code != 2 || !strings.Contains(r.stderr, "nosuch.lua") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// assertNoneLeft fails if any process of the trace is still alive.
func assertNoneLeft(t *testing.T, tr *trace.Trace) {
	t.Helper()
	for _, e := range tr.Events {
		if e.Ev == trace.Start && alive(e.PID) {
			waitGone(t, e.PID)
		}
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent's wait is missing.
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// waitGone waits (bounded) for a process to disappear.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d still running 10 s after the launcher ended", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func matches(pattern, s string) bool {
	ok, _ := regexpMatch(pattern, s)
	return ok
}

// startRun starts a forever run and waits until its first CS line is on
// the screen; it returns the command and the node pids from the trace.
func startRun(t *testing.T, dir string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(bin, "run", "--speed", "50", "--trace", "t.jsonl")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	// The header says what runs; the nodes' lines follow it.
	line, err := r.ReadString('\n')
	for n := 0; err == nil && n < 10 && !strings.HasPrefix(line, "I'm lightweight process"); n++ {
		line, err = r.ReadString('\n')
	}
	if err != nil || !strings.HasPrefix(line, "I'm lightweight process") {
		cmd.Process.Kill()
		t.Fatalf("first line %q, %v", line, err)
	}
	return cmd, r
}

func TestInterruptStopsEverything(t *testing.T) {
	dir := t.TempDir()
	cmd, r := startRun(t, dir)
	go io.Copy(io.Discard, r)
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("interrupted run: %v", err)
	}
	tr := readTrace(t, filepath.Join(dir, "t.jsonl"))
	exits := 0
	for _, e := range tr.Events {
		if e.Ev == trace.Exit {
			exits++
			if e.Text != "interrupted" {
				t.Fatalf("%s exited %q", e.Node, e.Text)
			}
		}
	}
	if exits != 8 {
		t.Fatalf("%d exit events", exits)
	}
	assertNoneLeft(t, tr)
}

func TestKilledLauncherLeavesNoOrphans(t *testing.T) {
	dir := t.TempDir()
	cmd, _ := startRun(t, dir)
	kids := children(cmd.Process.Pid)
	if len(kids) != 8 {
		cmd.Process.Kill()
		t.Fatalf("launcher has %d children, want 8", len(kids))
	}
	cmd.Process.Kill()
	cmd.Wait()
	for _, pid := range kids {
		waitGone(t, pid)
	}
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var child int
		if _, err := fmt.Sscan(e.Name(), &child); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		var state string
		var ppid int
		fmt.Sscan(rest, &state, &ppid)
		if ppid == pid {
			out = append(out, child)
		}
	}
	return out
}

// TestByHand starts the eight nodes one by one, as a user would in eight
// terminals, on the scenario's fixed ports.
func TestByHand(t *testing.T) {
	dir := t.TempDir()
	base := freePorts(t, 8)
	scen := fmt.Sprintf(`return { name = "byhand", port = %d, rounds = 1, speed = 100, cs = { prints = 2, interval = 1 },
  groups = { {id = "A", algorithm = "lamport", lightweights = 3}, {id = "B", algorithm = "ricart_agrawala", lightweights = 3} } }`, base)
	os.WriteFile(filepath.Join(dir, "byhand.lua"), []byte(scen), 0o644)
	ids := []string{"B3", "A2", "B", "A1", "B1", "A", "A3", "B2"} // any order
	lines := make(chan string, 100)
	type exit struct {
		id, stderr string
		err        error
	}
	exits := make(chan exit, len(ids))
	var cmds []*exec.Cmd
	running := 0
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
		}
		for ; running > 0; running-- {
			<-exits
		}
	}()
	for _, id := range ids {
		cmd := exec.Command(bin, "node", "--id", id, "byhand.lua")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), EnvSecret+"=a-secret-for-this-test")
		out, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		running++
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			// Wait only once the screen is read to its end.
			err := cmd.Wait()
			exits <- exit{id, stderr.String(), err}
		}()
	}
	seen := map[string]int{}
	deadline := time.After(60 * time.Second)
	for total := 0; total < 12; total++ {
		select {
		case l := <-lines:
			seen[strings.TrimPrefix(l, "I'm lightweight process ")]++
		case e := <-exits:
			// A node that ends on its own (a port taken after all) says why.
			running--
			t.Fatalf("%s exited early: %v\n%s", e.id, e.err, e.stderr)
		case <-deadline:
			t.Fatalf("by hand: only %v after 60 s", seen)
		}
	}
	for _, id := range []string{"A1", "A2", "A3", "B1", "B2", "B3"} {
		if seen[id] != 2 {
			t.Fatalf("lines per node %v", seen)
		}
	}
	for _, c := range cmds {
		c.Process.Signal(os.Interrupt)
	}
	for ; running > 0; running-- {
		select {
		case e := <-exits:
			if e.err != nil {
				t.Errorf("%s exited with %v after Ctrl-C\n%s", e.id, e.err, e.stderr)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%d nodes still running 20 s after Ctrl-C", running)
		}
	}
}

// freePorts finds n consecutive free ports below the ephemeral range
// (where other tests' outgoing connections take theirs), for nodes
// started by hand on fixed ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := 20000 + (os.Getpid()*7919+try*97)%10000
		var held []net.Listener
		ok := true
		for i := 0; i < n; i++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no 8 consecutive free ports found")
	return 0
}

// TestInitThenEdit: `mutexlab init` copies the scripts, and an edit of the
// copy is what a run of the copied scenario uses.
func TestInitThenEdit(t *testing.T) {
	dir := t.TempDir()
	if r := mutexlab(t, dir, "init", "lab"); r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	path := filepath.Join(dir, "lab", "algorithms", "ricart_agrawala.lua")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "function M.request()", "function M.request()\n  node.log(\"edited copy\")", 1)
	if edited == string(src) {
		t.Fatal("ricart_agrawala.lua has no M.request to edit")
	}
	os.WriteFile(path, []byte(edited), 0o644)
	r := mutexlab(t, dir, "run", "lab/seed.lua", "--rounds", "1", "--speed", "200", "--trace", "t.jsonl")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	n := 0
	for _, e := range readTrace(t, filepath.Join(dir, "t.jsonl")).Events {
		if e.Ev == trace.Log && e.Text == "edited copy" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("edited copy ran %d times, want 3 (B1..B3)", n)
	}
	if r := mutexlab(t, dir, "init", "lab"); r.code != 2 || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("init over existing files: %d %s", r.code, r.stderr)
	}
}

// Bad usage is one line on stderr and status 2; -h is the usage on stdout.
func TestUsageErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "--rounds", "abc"}, {"explore", "--bogus"}, {"run", "a", "b"}, {"bogus"},
		{"check"}, {"diagram"}, {"node"}, {"init"},
	} {
		r := mutexlab(t, dir, args...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stderr == "" || r.stdout != "" {
			t.Errorf("mutexlab %v: exit %d, stdout %q, stderr %q: want one line on stderr and status 2", args, r.code, r.stdout, r.stderr)
		}
	}
	r := mutexlab(t, dir, "run", "-h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: mutexlab run") || !strings.Contains(r.stdout, "-rounds") {
		t.Errorf("run -h: exit %d, stdout %q", r.code, r.stdout)
	}
}
