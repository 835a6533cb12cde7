package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mutexlab/runtime/netns"
	"mutexlab/runtime/trace"
)

// The seed across network namespaces (run --netns): every check passes,
// each node listens on its group's host address (recorded in the trace),
// and nothing the run made is left. It reports the round's time against
// its critical path in hops times the network delay (a figure, not an
// assertion).
func TestRunNetns(t *testing.T) {
	if err := netns.Probe(); err != nil {
		t.Skipf("no network namespaces here: %v", err)
	}
	dir := t.TempDir()
	const delay = 5 * time.Millisecond
	scen := fmt.Sprintf(`return { name = "seed_netns", groups = { { id = "A", algorithm = "lamport", lightweights = 3 },
  { id = "B", algorithm = "ricart_agrawala", lightweights = 3 } },
  cs = { prints = 1, interval = 0 }, rounds = 1, network = { delay = %g }, seed = 1 }`, delay.Seconds())
	if err := os.WriteFile(filepath.Join(dir, "s.lua"), []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testBinary(t), "run", "--netns", "s.lua", "--trace", "t.jsonl")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	out := stdout.String()
	if err != nil || !strings.Contains(out, "verdict           PASS  every check") {
		t.Fatalf("run --netns: %v\n%s%s", err, out, stderr.String())
	}
	header := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  network") {
			header = l
		}
	}
	if !strings.Contains(header, "2 hosts: namespaces") {
		t.Errorf("no network line in the header:\n%s", out)
	}
	left, _ := exec.Command("ip", "netns", "list").Output()
	if mine := fmt.Sprintf("%s%d-", netns.Prefix, cmd.Process.Pid); strings.Contains(string(left), mine) {
		t.Errorf("namespaces left behind:\n%s", left)
	}

	tr, err := trace.ReadFile(filepath.Join(dir, "t.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	hostOf := map[string]string{}
	for id, a := range tr.Meta.Addresses {
		host, _, _ := strings.Cut(a, ":")
		if !strings.HasPrefix(host, "10.") || !strings.HasSuffix(host, ".1") {
			t.Errorf("%s listens on %s, not on a namespace's host address", id, a)
		}
		hostOf[id] = host
	}
	if hostOf["A1"] != hostOf["A"] || hostOf["B1"] != hostOf["B"] || hostOf["A"] == hostOf["B"] {
		t.Errorf("groups not on hosts of their own: %v", hostOf)
	}
	// The critical path: the longest happened-before chain of messages.
	hops := map[string]int{}
	sent := map[string]int{}
	var first, last int64 = -1, 0
	for _, e := range tr.Events {
		switch e.Ev {
		case trace.Start:
			if first < 0 || e.T < first {
				first = e.T
			}
		case trace.Send:
			sent[fmt.Sprint(e.Node, e.To, e.Seq)] = hops[e.Node] + 1
		case trace.Recv:
			hops[e.Node] = max(hops[e.Node], sent[fmt.Sprint(e.From, e.Node, e.Seq)])
		case trace.CSExit:
			last = max(last, e.T)
		}
	}
	path := 0
	for _, h := range hops {
		path = max(path, h)
	}
	round := time.Duration(last - first)
	t.Logf("%s", strings.TrimSpace(header))
	t.Logf("round %v; critical path %d hops × %v = %v; ratio %.2f", round.Round(time.Microsecond), path, delay,
		time.Duration(path)*delay, float64(round)/float64(time.Duration(path)*delay))
}

// A launcher killed with SIGKILL cannot clean up: what it made is named
// with its pid, and the next start sweeps it away.
func TestRunNetnsKilledIsSwept(t *testing.T) {
	if err := netns.Probe(); err != nil {
		t.Skipf("no network namespaces here: %v", err)
	}
	cmd := exec.Command(testBinary(t), "run", "--netns", "--speed", "10")
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mine := fmt.Sprintf("%s%d-", netns.Prefix, cmd.Process.Pid)
	list := func() string {
		out, _ := exec.Command("ip", "netns", "list").Output()
		return string(out)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(list(), mine); {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("run --netns made no namespace within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !strings.Contains(list(), mine) {
		t.Fatal("the namespaces went with the launcher: nothing to sweep")
	}
	netns.Sweep()
	if l := list(); strings.Contains(l, mine) {
		t.Fatalf("a killed launcher's namespaces survived the sweep:\n%s", l)
	}
	if out, _ := exec.Command("ip", "link", "show", fmt.Sprintf("%s%db", netns.Prefix, cmd.Process.Pid)).CombinedOutput(); !strings.Contains(string(out), "does not exist") {
		t.Fatalf("a killed launcher's bridge survived the sweep: %s", out)
	}
}
