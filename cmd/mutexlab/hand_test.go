package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Nodes started by hand, each a real process writing its own trace (as on
// separate machines, README "Nodes on several machines"): check merges
// the eight traces and passes; given a subset, it names the nodes whose
// traces are missing (exit 2); timeline and diagram take them all too.
func TestNodesByHandCheckedTogether(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp) // where a merged trace goes
	ids := []string{"A", "B", "A1", "A2", "A3", "B1", "B2", "B3"}
	var addrs []string
	for _, id := range ids {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, fmt.Sprintf("%s = %q", id, ln.Addr().String()))
		ln.Close()
	}
	scen := `return { name = "hand", groups = { { id = "A", algorithm = "lamport", lightweights = 3 },
  { id = "B", algorithm = "ricart_agrawala", lightweights = 3 } },
  cs = { prints = 2, interval = 0.01 }, rounds = 2, speed = 20, seed = 3,
  addresses = { ` + strings.Join(addrs, ", ") + ` } }`
	if err := os.WriteFile(filepath.Join(dir, "s.lua"), []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	finished := make(chan string, len(ids))
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	}()
	for _, id := range ids {
		cmd := exec.Command(testBinary(t), "node", "--id", id, "s.lua", "--trace", id+".jsonl")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "MUTEXLAB_SECRET=a-secret-for-the-test")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "finished its rounds") {
					finished <- id
				}
			}
		}()
	}
	deadline := time.After(60 * time.Second) // a failure guard only
	for range ids {
		select {
		case <-finished:
		case <-deadline:
			t.Fatal("the nodes did not all finish their rounds within 60 s")
		}
	}
	for _, p := range procs {
		p.Process.Signal(syscall.SIGINT)
	}
	for _, p := range procs {
		p.Wait()
	}
	procs = nil

	var traces []string
	for _, id := range ids {
		traces = append(traces, id+".jsonl")
	}
	out, errOut, code := mutexlab(t, dir, append([]string{"check"}, traces...)...)
	if code != 0 || !strings.Contains(out, "verdict           PASS") || !strings.Contains(out, "12 critical sections") {
		t.Fatalf("check of all eight traces: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "merged 8 traces by happened-before") {
		t.Errorf("check did not say it merged: %s", errOut)
	}
	out, errOut, code = mutexlab(t, dir, "check", "A.jsonl", "A1.jsonl", "B2.jsonl")
	if want := "mutexlab check: the traces hold 3 of the run's 8 nodes; missing B A2 A3 B1 B3"; code != 2 || !strings.HasPrefix(errOut, want) || out != "" {
		t.Fatalf("check of a subset: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, want)
	}
	_, errOut, code = mutexlab(t, dir, "check", "A.jsonl", "A.jsonl")
	if code != 2 || !strings.Contains(errOut, "node A's events are also in A.jsonl") {
		t.Fatalf("check of one trace twice: exit %d, %s", code, errOut)
	}
	out, errOut, code = mutexlab(t, dir, append([]string{"timeline", "--last", "3"}, traces...)...)
	if code != 0 || !strings.Contains(out, "hand: 8 processes") {
		t.Fatalf("timeline: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = mutexlab(t, dir, append([]string{"diagram"}, traces...)...)
	if code != 0 || !strings.Contains(out, "wrote A-merged.html") {
		t.Fatalf("diagram: exit %d\n%s%s", code, out, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "mutexlab-merged-*")); len(left) > 0 {
		t.Errorf("merged traces left behind: %v", left)
	}
}
