package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"mutexlab/algorithms"
	"mutexlab/runtime/luabox"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
	"mutexlab/scripts"
)

// library returns the shipped scripts plus a folder of test scripts.
func library(t *testing.T, files map[string]string) *node.Library {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &node.Library{Dirs: []string{dir}, Embedded: []node.EmbeddedFS{
		{Prefix: "algorithms/", FS: algorithms.FS}, {Prefix: "scripts/", FS: scripts.FS}}}
}

// pair is two plain nodes, X and Y, that can message each other.
func pair() []scenario.Node {
	return []scenario.Node{
		{ID: "X", Group: "X", Role: scenario.Lightweight, Peers: []string{"Y"}},
		{ID: "Y", Group: "X", Role: scenario.Lightweight, Peers: []string{"X"}},
	}
}

func seedSpecs(n int) ([]scenario.Node, []string) {
	s := &scenario.Scenario{Token: "token", Groups: []scenario.Group{
		{ID: "A", Algorithm: "lamport", Lightweights: n},
		{ID: "B", Algorithm: "ricart_agrawala", Lightweights: n},
	}}
	return s.Nodes(), []string{"A", "B"}
}

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

type memSink struct {
	mu     sync.Mutex
	events []trace.Event
	done   int
	cond   chan struct{}
}

func (s *memSink) Record(e trace.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	if e.Ev == trace.Finish {
		s.done++
		if s.cond != nil {
			select {
			case s.cond <- struct{}{}:
			default:
			}
		}
	}
}

func (s *memSink) waitFinished(t *testing.T, n int, errs chan error) {
	t.Helper()
	s.mu.Lock()
	s.cond = make(chan struct{}, 1)
	s.mu.Unlock()
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		if done == n {
			return
		}
		select {
		case <-s.cond:
		case err := <-errs:
			t.Fatal(err)
		case <-deadline:
			t.Fatalf("only %d of %d nodes finished", done, n)
		}
	}
}

// sorted returns the events in time order.
func (s *memSink) sorted() []trace.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]trace.Event(nil), s.events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}

const peerY = `if node.id == "Y" then node.send("X", "PING") node.send("X", "GO") return end
`

// endlessReason is X's script: a reason function that loops forever once
// a PING has arrived (line 5).
const endlessReason = "local got = false\nnode.on(\"PING\", function() got = true end)\n" +
	"node.wait_until(function() return false end, function()\n  if got then while true do end end\n  return \"PING\"\nend)\n"

func short(msg string) string {
	if i := strings.Index(msg, "role.lua:"); i > 0 {
		return msg[i:]
	}
	return msg
}

func assertStopped(t *testing.T, err error, line int) {
	t.Helper()
	steps := fmt.Sprintf("role.lua:%d: ran more than %d Lua steps without blocking (an endless loop? wait with node.wait_until)", line, luabox.DefaultSteps)
	wall := fmt.Sprintf("role.lua:%d: ran longer than 1s without blocking (an endless loop? wait with node.wait_until)", line)
	var se *node.ScriptError
	if !errors.As(err, &se) || (short(se.Msg) != steps && short(se.Msg) != wall) {
		t.Fatalf("stopped with %v\nwant %s", err, steps)
	}
}

// TestDriverOverMemTransport runs the seed's eight nodes as goroutines
// with real time over the in-memory transport: the same Driver the TCP
// processes use, proving the transport seam.
func TestDriverOverMemTransport(t *testing.T) {
	specs, ring := seedSpecs(3)
	lib := library(t, nil)
	net := transport.NewMemNetwork()
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID)
	}
	sink := &memSink{}
	epoch := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(specs))
	ends := map[string]transport.Transport{}
	for _, s := range specs {
		ends[s.ID] = net.Join(s.ID)
	}
	for i, s := range specs {
		d := &Driver{Transport: ends[s.ID], Sink: sink, Epoch: epoch, Speed: 200, Seed: int64(i),
			Network: scenario.Network{Jitter: 0.2}}
		n, err := node.New(node.Config{Spec: s, Nodes: ids, Ring: ring, CS: scenario.CS{Prints: 3, Interval: 1},
			Rounds: 2, Speed: 200, Library: lib}, d)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer d.Transport.Close()
			if err := d.Run(ctx, n); err != nil {
				errs <- err
			}
		}()
	}
	// Wait for every main script to finish, then stop the nodes.
	sink.waitFinished(t, len(specs), errs)
	cancel()
	wg.Wait()
	events := sink.sorted()
	entries := assertExclusive(t, events)
	if len(entries) != 6 {
		t.Fatalf("entries %v", entries)
	}
	for id, c := range entries {
		if c != 2 {
			t.Fatalf("%s entered %d times", id, c)
		}
	}
}

// A node driven in real time by its Driver: a reason function that
// loops forever after an event stops the node with file:line, once by the
// default budget and once by a wall-clock limit alone.
func TestDrivenNodeEndlessReason(t *testing.T) {
	c := struct {
		src  string
		line int
	}{endlessReason, 5}
	for _, b := range []luabox.Budget{{}, {Wall: 50 * time.Millisecond}} {
		t.Run(fmt.Sprintf("%+v", b), func(t *testing.T) {
			lib := library(t, map[string]string{"role.lua": peerY + c.src})
			mem := transport.NewMemNetwork()
			ids := []string{"X", "Y"}
			ends := map[string]transport.Transport{"X": mem.Join("X"), "Y": mem.Join("Y")}
			sink := &memSink{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs := make(chan error, 2)
			for _, s := range pair() {
				d := &Driver{Transport: ends[s.ID], Sink: sink, Epoch: time.Now(), Speed: 1,
					Seed: scenario.NodeSeed(1, s.ID)}
				n, err := node.New(node.Config{Spec: s, Nodes: ids, Script: "role", Library: lib, Speed: 1, Budget: b}, d)
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					defer d.Transport.Close()
					errs <- d.Run(ctx, n)
				}()
			}
			// Y ends without error and waits for the stop; X fails.
			err := <-errs
			if b.Wall > 0 {
				want := fmt.Sprintf("role.lua:%d: ran longer than 50ms without blocking (an endless loop? wait with node.wait_until)", c.line)
				if err == nil || short(err.Error()) != want {
					t.Fatalf("X stopped with %v\nwant %s", err, want)
				}
			} else {
				assertStopped(t, err, c.line)
			}
			cancel()
			if err := <-errs; err != nil {
				t.Fatalf("Y: %v", err)
			}
			ended := map[string][]string{}
			for _, e := range sink.sorted() {
				if e.Ev == trace.Exit || e.Ev == trace.Error {
					ended[e.Node] = append(ended[e.Node], string(e.Ev)+" "+strings.SplitN(short(e.Text), ":", 2)[0])
				}
			}
			if got := fmt.Sprint(ended); got != "map[X:[error role.lua exit error] Y:[exit stopped]]" {
				t.Fatalf("how the nodes ended: %s", got)
			}
		})
	}
}
