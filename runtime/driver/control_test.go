package driver

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
)

// events is a trace sink whose contents can be awaited.
type events struct {
	mu      sync.Mutex
	list    []trace.Event
	changed chan struct{}
}

func newEvents() *events { return &events{changed: make(chan struct{})} }

func (s *events) Record(e trace.Event) {
	s.mu.Lock()
	s.list = append(s.list, e)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *events) snapshot() []trace.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// await waits until cond holds for the events so far.
func (s *events) await(t *testing.T, what string, cond func([]trace.Event) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		ok, ch := cond(s.list), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waiting for %s: not within 10 s", what)
		}
	}
}

// received lists the types the node received (or dropped, as "-TYPE").
func received(evs []trace.Event) []string {
	var out []string
	for _, e := range evs {
		switch e.Ev {
		case trace.Recv:
			out = append(out, e.Type)
		case trace.Drop:
			out = append(out, "-"+e.Type)
		}
	}
	return out
}

// controlled drives node X under control commands; Y sends it four
// messages once X's links are held.
type controlled struct {
	t    *testing.T
	cmds chan Request
	x    *events
}

func (c *controlled) do(cmd Command) Result {
	c.t.Helper()
	reply := make(chan Result, 1)
	c.cmds <- Request{Command: cmd, Reply: reply}
	return <-reply
}

func (c *controlled) ok(cmd Command) Result {
	c.t.Helper()
	res := c.do(cmd)
	if res.Err != "" {
		c.t.Fatalf("%s: %s", cmd.Op, res.Err)
	}
	return res
}

// pendingTypes waits until X's link from Y holds want (nothing pending is
// an event nobody records: ask again until it shows).
func (c *controlled) pendingTypes(want ...string) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := c.ok(Command{Op: OpPending})
		var got []string
		for _, row := range res.Pending {
			if row.From == "Y" && row.To == "X" {
				got = row.Types
			}
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pending on Y->X: %v, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func startControlled(t *testing.T) *controlled {
	t.Helper()
	lib := library(t, map[string]string{"role.lua": `
if node.id == "Y" then
  for _, typ in ipairs({"A", "B", "C", "D"}) do node.send("X", typ) end
  return
end
for i = 1, 3 do node.receive() end
`})
	net := transport.NewMemNetwork()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	c := &controlled{t: t, cmds: make(chan Request), x: newEvents()}
	run := func(id string, sink trace.Sink, cmds chan Request) {
		var spec scenario.Node
		for _, s := range pair() {
			if s.ID == id {
				spec = s
			}
		}
		d := &Driver{Transport: net.Join(id), Sink: sink, Epoch: time.Now(), Speed: 1, Seed: 1, Commands: cmds}
		n, err := node.New(node.Config{Spec: spec, Nodes: []string{"X", "Y"}, Script: "role", Rounds: 1, Speed: 1, Library: lib}, d)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := d.Run(ctx, n); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		})
	}
	run("X", c.x, c.cmds)
	c.ok(Command{Op: OpHold, Links: Links{All: true}})
	run("Y", newEvents(), nil)
	return c
}

// Hold, pending, deliver N, drop and release, as the REPL steps a link.
func TestDriverSteersALink(t *testing.T) {
	c := startControlled(t)
	c.pendingTypes("A", "B", "C", "D")
	if got := received(c.x.snapshot()); len(got) != 0 {
		t.Fatalf("received %v through a held link", got)
	}
	res := c.ok(Command{Op: OpPending})
	if len(res.Pending) != 1 || !res.Pending[0].Held {
		t.Fatalf("pending = %+v, want one held link", res.Pending)
	}

	if res := c.ok(Command{Op: OpDeliver, Links: Links{From: []string{"Y"}}, N: 2}); res.Moved != 2 {
		t.Fatalf("deliver 2 moved %d", res.Moved)
	}
	c.x.await(t, "A and B", func(evs []trace.Event) bool { return len(received(evs)) == 2 })
	c.pendingTypes("C", "D")

	// The next message is lost: a deliver lets it go to its loss.
	c.ok(Command{Op: OpDrop, Links: Links{From: []string{"Y"}}, N: 1})
	if res := c.ok(Command{Op: OpDeliver, Links: Links{From: []string{"Y"}}, N: 1}); res.Moved != 1 {
		t.Fatalf("deliver 1 moved %d", res.Moved)
	}
	c.x.await(t, "C dropped", func(evs []trace.Event) bool { return len(received(evs)) == 3 })
	// Asking for more than waits moves what waits.
	if res := c.ok(Command{Op: OpDeliver, Links: Links{All: true}, N: 5}); res.Moved != 1 {
		t.Fatalf("deliver 5 with one waiting moved %d", res.Moved)
	}
	c.x.await(t, "D", func(evs []trace.Event) bool { return len(received(evs)) == 4 })
	if res := c.ok(Command{Op: OpDeliver, Links: Links{From: []string{"Y"}}, N: 1}); res.Moved != 0 {
		t.Fatalf("deliver with nothing waiting moved %d", res.Moved)
	}
	c.ok(Command{Op: OpRelease, Links: Links{All: true}})
	if res := c.ok(Command{Op: OpPending}); len(res.Pending) != 0 {
		t.Fatalf("pending after everything went: %+v", res.Pending)
	}
	if got, want := received(c.x.snapshot()), []string{"A", "B", "-C", "D"}; !slices.Equal(got, want) {
		t.Errorf("X saw %v, want %v", got, want)
	}
}

func TestDriverRefuses(t *testing.T) {
	c := startControlled(t)
	neg := -1.0
	for _, tc := range []struct {
		cmd  Command
		want string
	}{
		{Command{Op: "shout"}, `"shout" is not a command a node applies`},
		{Command{Op: OpStop}, `"stop" is not a command a node applies`},
		{Command{Op: OpHold}, "hold needs a link's sender, or all"},
		{Command{Op: OpHold, Links: Links{From: []string{"Z"}}}, "no link Z->X"},
		{Command{Op: OpCut, Links: Links{From: []string{"X"}}}, "no link X->X"},
		{Command{Op: OpDeliver, Links: Links{All: true}}, "deliver: count 0: expected a whole number ≥ 1"},
		{Command{Op: OpDrop, Links: Links{All: true}, N: -2}, "drop: count -2"},
		{Command{Op: OpDelay, Links: Links{All: true}, Delay: &neg}, "delay: -1 s: expected a number of seconds ≥ 0"},
		{Command{Op: OpEval, Expr: "1 +"}, "syntax error"},
	} {
		if res := c.do(tc.cmd); !strings.Contains(res.Err, tc.want) {
			t.Errorf("%+v: err %q, want %q", tc.cmd, res.Err, tc.want)
		}
	}
	if res := c.ok(Command{Op: OpStatus}); res.Status == nil || res.Status.ID != "X" {
		t.Errorf("status = %+v", res.Status)
	}
	if res := c.ok(Command{Op: OpEval, Expr: "node.id"}); !strings.Contains(res.Value, "X") {
		t.Errorf("eval node.id = %q", res.Value)
	}
}
