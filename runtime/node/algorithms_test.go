package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
)

// contend makes every node request the critical section in every round,
// with no heavyweight holding it back: the hardest case for the algorithm.
const contend = `
local mutex = require(node.algorithm)
for round in node.rounds() do
  mutex.request()
  node.critical_section()
  mutex.release()
end
`

func TestAlgorithmsExcludeUnderContention(t *testing.T) {
	for _, algo := range []string{"lamport", "ricart_agrawala"} {
		for seed := int64(1); seed <= 30; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", algo, seed), func(t *testing.T) {
				lib := library(t, map[string]string{"contend.lua": contend})
				net := newNet(t, lib, group(4, algo), "contend", scenario.CS{Prints: 2, Interval: 1}, 3, seed)
				net.run(100000)
				if len(net.errs) > 0 {
					t.Fatal(net.errs)
				}
				entries := assertExclusive(t, net.events)
				for _, id := range net.ids {
					if entries[id] != 3 {
						t.Fatalf("%s entered %d times, want 3 (entries %v)", id, entries[id], entries)
					}
				}
				// Textbook message counts per entry.
				per := map[string]int{"lamport": 3 * 3, "ricart_agrawala": 2 * 3}[algo]
				sends := 0
				for _, e := range net.events {
					if e.Ev == trace.Send {
						sends++
					}
				}
				if sends != per*4*3 {
					t.Fatalf("%d messages for 12 entries, want %d", sends, per*4*3)
				}
			})
		}
	}
}

// seedSpecs is the seed's topology with n lightweights per group.
func seedSpecs(n int) ([]scenario.Node, []string) {
	s := &scenario.Scenario{Token: "token", Groups: []scenario.Group{
		{ID: "A", Algorithm: "lamport", Lightweights: n},
		{ID: "B", Algorithm: "ricart_agrawala", Lightweights: n},
	}}
	return s.Nodes(), []string{"A", "B"}
}

func TestSeedSystemInProcess(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		specs, _ := seedSpecs(3)
		net := newNet(t, library(t, nil), specs, "", scenario.CS{Prints: 3, Interval: 1}, 2, seed)
		net.run(100000)
		if len(net.errs) > 0 {
			t.Fatal(net.errs)
		}
		entries := assertExclusive(t, net.events)
		total := 0
		for _, c := range entries {
			total += c
		}
		if total != 12 {
			t.Fatalf("seed %d: %d entries, want 12: %v", seed, total, entries)
		}
		// A's lightweights all go before B's in each round.
		var order []string
		for _, e := range net.events {
			if e.Ev == trace.CSEnter {
				order = append(order, e.Node[:1])
			}
		}
		if got := fmt.Sprint(order); got != "[A A A B B B A A A B B B]" {
			t.Fatalf("seed %d: groups entered in order %s", seed, got)
		}
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
		n, err := New(Config{Spec: s, Nodes: ids, Ring: ring, CS: scenario.CS{Prints: 3, Interval: 1},
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

// sorted returns the events in time order (CS enters and exits of one
// node never share an instant with another's at this speed).
func (s *memSink) sorted() []trace.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]trace.Event(nil), s.events...)
	sortByTime(out)
	return out
}
