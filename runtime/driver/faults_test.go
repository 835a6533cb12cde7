package driver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/transport"
)

// faultPair runs X and Y over the in-memory network, X with faults and
// commands; Y runs ySrc, X runs xSrc. It returns X's events and a channel
// with X's Run error.
func faultPair(t *testing.T, xSrc, ySrc string, f Faults, cmds chan Request) (*events, chan error) {
	t.Helper()
	lib := library(t, map[string]string{"role.lua": "if node.id == \"Y\" then\n" + ySrc + "\nreturn\nend\n" + xSrc})
	net := transport.NewMemNetwork()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	x := newEvents()
	xerr := make(chan error, 1)
	for _, spec := range pair() {
		d := &Driver{Transport: net.Join(spec.ID), Sink: newEvents(), Epoch: time.Now(), Speed: 1, Seed: scenario.NodeSeed(7, spec.ID)}
		if spec.ID == "X" {
			d.Sink, d.Faults, d.Commands = x, f, cmds
		}
		n, err := node.New(node.Config{Spec: spec, Nodes: []string{"X", "Y"}, Script: "role", Rounds: 1, Speed: 1, Library: lib}, d)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			err := d.Run(ctx, n)
			if spec.ID == "X" {
				xerr <- err
			}
		})
	}
	return x, xerr
}

// fates lists, per message of Y->X in order, "+" delivered, "-" lost,
// "+2" delivered twice; it checks the numbering on the way.
func fates(t *testing.T, evs []trace.Event) []string {
	t.Helper()
	var out []string
	var last int64
	for _, e := range evs {
		if (e.Ev != trace.Recv && e.Ev != trace.Drop) || e.From != "Y" {
			continue
		}
		if e.Dup {
			if e.Seq != last || len(out) == 0 || out[len(out)-1] != "+" {
				t.Fatalf("duplicate of seq %d after %v (last seq %d)", e.Seq, out, last)
			}
			out[len(out)-1] = "+2"
			continue
		}
		if e.Seq != last+1 {
			t.Fatalf("%s seq %d after %d: the numbering skipped", e.Ev, e.Seq, last)
		}
		last = e.Seq
		switch {
		case e.Ev == trace.Recv:
			out = append(out, "+")
		case e.Reason == trace.ReasonLoss:
			out = append(out, "-")
		default:
			t.Fatalf("drop for %q", e.Reason)
		}
	}
	return out
}

func count(evs []trace.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Ev == kind {
			n++
		}
	}
	return n
}

// Loss and duplicates are drawn per message at the receiver: the link's
// numbering stays in step (a loss is a drop numbered in its turn, a
// duplicate comes right after its message with its seq), and the same
// seed loses and duplicates the same messages again.
func TestDriverLossAndDuplicate(t *testing.T) {
	const n = 200
	ySrc := fmt.Sprintf(`for i = 1, %d do node.send("X", "M") end`, n)
	f := Faults{Link: func(from string) LinkFaults { return LinkFaults{Loss: 0.3, Duplicate: 0.2} }}
	run := func() []string {
		x, _ := faultPair(t, `node.on("M", function() end)`, ySrc, f, nil)
		x.await(t, "every message received or lost", func(evs []trace.Event) bool {
			k := 0
			for _, e := range evs {
				if (e.Ev == trace.Recv || e.Ev == trace.Drop) && !e.Dup {
					k++
				}
			}
			return k == n
		})
		return fates(t, x.snapshot())
	}
	first := run()
	lost, twice := 0, 0
	for _, f := range first {
		switch f {
		case "-":
			lost++
		case "+2":
			twice++
		}
	}
	t.Logf("%d lost, %d duplicated of %d", lost, twice, n)
	if lost < n/10 || lost > n/2 || twice < n/20 || twice > n/3 {
		t.Fatalf("%d lost and %d duplicated of %d with loss 0.3, duplicate 0.2", lost, twice, n)
	}
	if again := run(); !slices.Equal(first, again) {
		t.Fatalf("the same seed drew other fates:\n%v\n%v", first, again)
	}
}

// A crash after the 2nd recv: the crash event right behind it, nothing
// after, and Run ends with ErrCrashed.
func TestDriverCrashAfterEvent(t *testing.T) {
	crashed := make(chan struct{})
	f := Faults{Own: []Trigger{{Kind: trace.Crash, After: trace.Recv, Count: 2}}, Crash: func() { close(crashed) }}
	x, xerr := faultPair(t, `for i = 1, 3 do node.receive("M") end node.log("all three")`,
		`for i = 1, 3 do node.send("X", "M") end`, f, nil)
	<-crashed
	if err := <-xerr; !errors.Is(err, ErrCrashed) {
		t.Fatalf("Run: %v, want ErrCrashed", err)
	}
	evs := x.snapshot()
	last := evs[len(evs)-1]
	if last.Ev != trace.Crash || last.Node != "X" {
		t.Fatalf("last event %+v, want X's crash", last)
	}
	if prev := evs[len(evs)-2]; prev.Ev != trace.Recv || prev.Seq != 2 {
		t.Fatalf("before the crash: %+v, want the recv of seq 2", prev)
	}
	if count(evs, trace.Exit) != 0 || count(evs, trace.Log) != 0 {
		t.Fatalf("events after the crash: %v", evs)
	}
}

// A pause at a time records pause, waits for Pause to return, then
// records resume; a crash after a send lets the message leave first.
func TestDriverPauseAndCrashAfterSend(t *testing.T) {
	goOn := make(chan struct{})
	paused := make(chan int64, 1)
	f := Faults{
		Own: []Trigger{{Kind: trace.Pause, At: 0, Duration: 5}, {Kind: trace.Crash, After: trace.Send, Count: 1}},
		Pause: func(d int64) {
			paused <- d
			<-goOn
		},
		Crash: func() {},
	}
	x, xerr := faultPair(t, `node.send("Y", "HI") node.send("Y", "AGAIN")`, `node.receive("HI") node.log("got it")`, f, nil)
	if d := <-paused; d != 5 {
		t.Fatalf("pause for %d ns, want 5", d)
	}
	close(goOn)
	if err := <-xerr; !errors.Is(err, ErrCrashed) {
		t.Fatalf("Run: %v", err)
	}
	var kinds []string
	for _, e := range x.snapshot() {
		kinds = append(kinds, e.Ev)
	}
	if got := fmt.Sprint(kinds); got != "[pause resume start send crash]" {
		t.Fatalf("X's events %s", got)
	}
}

// A cut of the plan records cut and heal; what comes meanwhile is dropped
// for "cut".
func TestDriverPlanCut(t *testing.T) {
	cmds := make(chan Request)
	c := &controlled{t: t, cmds: cmds}
	x, _ := faultPair(t, `node.receive("B") node.log("B came")`, `node.receive("GO") node.send("X", "A") node.receive("GO") node.send("X", "B")`, Faults{}, cmds)
	c.x = x
	c.ok(Command{Op: OpCut, Links: Links{From: []string{"Y"}}, Fault: true})
	// X's first receive of A happens only after the cut: Y waits for GO.
	c.ok(Command{Op: OpEval, Expr: `node.send("Y", "GO")`})
	x.await(t, "A dropped", has(func(e trace.Event) bool { return e.Ev == trace.Drop && e.Type == "A" }))
	c.ok(Command{Op: OpHeal, Links: Links{From: []string{"Y"}}, Fault: true})
	c.ok(Command{Op: OpEval, Expr: `node.send("Y", "GO")`})
	x.await(t, "B received", has(func(e trace.Event) bool { return e.Ev == trace.Log }))
	var got []string
	for _, e := range x.snapshot() {
		switch e.Ev {
		case trace.Cut, trace.Heal:
			got = append(got, e.Ev+" "+e.From+"->"+e.To)
		case trace.Drop:
			got = append(got, "drop "+e.Type+" "+e.Reason)
		}
	}
	if s := fmt.Sprint(got); s != "[cut Y->X drop A cut heal Y->X]" {
		t.Fatalf("X recorded %s", s)
	}
}

func has(match func(trace.Event) bool) func([]trace.Event) bool {
	return func(evs []trace.Event) bool { return slices.ContainsFunc(evs, match) }
}
