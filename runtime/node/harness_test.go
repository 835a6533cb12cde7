package node

import (
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"mutexlab/algorithms"
	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
	"mutexlab/scripts"
)

// testNet drives nodes step by step in one goroutine: a random ready
// channel's head is delivered, and when no message is in flight virtual
// time jumps to the next timer. It is a small stand-in for the simulator.
type testNet struct {
	t      *testing.T
	now    int64
	nodes  map[string]*Node
	ids    []string
	chans  map[[2]string][]wire.Message
	timers []netTimer
	events []trace.Event
	rng    *rand.Rand
	errs   map[string]error
}

type netTimer struct {
	at   int64
	node string
	id   uint64
}

type netHost struct {
	net *testNet
	id  string
}

func (h netHost) Now() int64 { return h.net.now }
func (h netHost) Send(to string, m wire.Message) error {
	k := [2]string{h.id, to}
	h.net.chans[k] = append(h.net.chans[k], m)
	return nil
}
func (h netHost) SetTimer(at int64, id uint64) {
	h.net.timers = append(h.net.timers, netTimer{at, h.id, id})
}
func (h netHost) Record(e trace.Event) { h.net.events = append(h.net.events, e) }

// library returns the shipped scripts plus a folder of test scripts.
func library(t *testing.T, files map[string]string) *Library {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &Library{Dirs: []string{dir}, Embedded: []EmbeddedFS{
		{Prefix: "algorithms/", FS: algorithms.FS}, {Prefix: "scripts/", FS: scripts.FS}}}
}

// newNet builds one node per spec, all running script (or their role's).
func newNet(t *testing.T, lib *Library, specs []scenario.Node, script string, cs scenario.CS, rounds int, seed int64) *testNet {
	t.Helper()
	return newNetBudget(t, lib, specs, script, cs, rounds, seed, luabox.Budget{})
}

// newNetBudget is newNet with the nodes' Lua budget.
func newNetBudget(t *testing.T, lib *Library, specs []scenario.Node, script string, cs scenario.CS, rounds int, seed int64, budget luabox.Budget) *testNet {
	t.Helper()
	net := &testNet{t: t, nodes: map[string]*Node{}, chans: map[[2]string][]wire.Message{},
		rng: rand.New(rand.NewSource(seed)), errs: map[string]error{}}
	var ring []string
	for _, s := range specs {
		net.ids = append(net.ids, s.ID)
		if s.Role == scenario.Heavyweight {
			ring = append(ring, s.ID)
		}
	}
	for _, s := range specs {
		n, err := New(Config{Spec: s, Nodes: net.ids, Ring: ring, Script: script, CS: cs,
			Rounds: rounds, Speed: 1, Library: lib, Budget: budget}, netHost{net, s.ID})
		if err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		net.nodes[s.ID] = n
	}
	return net
}

// run starts every node and steps until nothing is left to do.
func (net *testNet) run(maxSteps int) {
	for _, id := range net.ids {
		if err := net.nodes[id].Start(); err != nil {
			net.errs[id] = err
		}
	}
	for step := 0; step < maxSteps; step++ {
		var ready [][2]string
		for k, q := range net.chans {
			if len(q) > 0 && net.errs[k[1]] == nil {
				ready = append(ready, k)
			}
		}
		if len(ready) > 0 {
			sort.Slice(ready, func(i, j int) bool {
				return ready[i][0]+ready[i][1] < ready[j][0]+ready[j][1]
			})
			k := ready[net.rng.Intn(len(ready))]
			m := net.chans[k][0]
			net.chans[k] = net.chans[k][1:]
			if err := net.nodes[k[1]].Deliver(m); err != nil {
				net.errs[k[1]] = err
			}
			continue
		}
		if len(net.timers) == 0 {
			return
		}
		sort.SliceStable(net.timers, func(i, j int) bool { return net.timers[i].at < net.timers[j].at })
		tm := net.timers[0]
		net.timers = net.timers[1:]
		if tm.at > net.now {
			net.now = tm.at
		}
		if net.errs[tm.node] == nil {
			if err := net.nodes[tm.node].Fire(tm.id); err != nil {
				net.errs[tm.node] = err
			}
		}
	}
	net.t.Fatalf("still running after %d steps", maxSteps)
}

// logs returns the texts of node's log events.
func (net *testNet) logs(node string) []string {
	var out []string
	for _, e := range net.events {
		if e.Node == node && e.Ev == trace.Log {
			out = append(out, e.Text)
		}
	}
	return out
}

// assertExclusive fails when two nodes are ever inside the critical
// section at once, and returns the number of entries per node.
func assertExclusive(t *testing.T, events []trace.Event) map[string]int {
	t.Helper()
	inside := ""
	entries := map[string]int{}
	for _, e := range events {
		switch e.Ev {
		case trace.CSEnter:
			if inside != "" {
				t.Fatalf("%s entered the critical section while %s was inside", e.Node, inside)
			}
			inside = e.Node
			entries[e.Node]++
		case trace.CSExit:
			if inside != e.Node {
				t.Fatalf("%s left a critical section it was not in (inside: %q)", e.Node, inside)
			}
			inside = ""
		}
	}
	return entries
}

// pair is two plain nodes, X and Y, that can message each other.
func pair() []scenario.Node {
	return []scenario.Node{
		{ID: "X", Group: "X", Role: scenario.Lightweight, Peers: []string{"Y"}},
		{ID: "Y", Group: "X", Role: scenario.Lightweight, Peers: []string{"X"}},
	}
}

// group returns count lightweights of one group running algorithm.
func group(count int, algorithm string) []scenario.Node {
	var ids []string
	for i := 1; i <= count; i++ {
		ids = append(ids, "A"+string(rune('0'+i)))
	}
	var specs []scenario.Node
	for _, id := range ids {
		var peers []string
		for _, p := range ids {
			if p != id {
				peers = append(peers, p)
			}
		}
		specs = append(specs, scenario.Node{ID: id, Group: "A", Role: scenario.Lightweight,
			Algorithm: algorithm, Peers: peers})
	}
	return specs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
