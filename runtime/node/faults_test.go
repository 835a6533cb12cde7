package node

import (
	"testing"

	"mutexlab/runtime/luabox"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// The calls a driver makes to carry out a fault plan: a restarted
// node's sends numbered from its incarnation's base, a duplicate handled
// again without moving the numbering, a drop with its reason, and the
// numbering moved to a restarted peer's.
func TestFaultCalls(t *testing.T) {
	lib := library(t, map[string]string{"role.lua": `
local got = 0
node.on("M", function(msg) got = got + 1; node.log("got", msg.sender, got) end)
if node.id == "Y" then node.send("X", "M") end
node.wait_until(function() return false end, "forever")
`})
	net := &testNet{t: t, nodes: map[string]*Node{}, chans: map[[2]string][]wire.Message{}, errs: map[string]error{}}
	specs := pair()
	for i, inc := range []int{0, 2} {
		n, err := New(Config{Spec: specs[i], Nodes: []string{"X", "Y"}, Script: "role", CS: scenario.CS{Prints: 1},
			Speed: 1, Library: lib, Budget: luabox.Budget{}, Incarnation: inc}, netHost{net, specs[i].ID})
		if err != nil {
			t.Fatal(err)
		}
		net.nodes[specs[i].ID] = n
	}
	x := net.nodes["X"]
	for _, id := range []string{"X", "Y"} {
		if err := net.nodes[id].Start(); err != nil {
			t.Fatal(err)
		}
	}
	m := net.chans[[2]string{"Y", "X"}][0]
	x.Renumber("Y", trace.SeqBase(2))
	if err := x.Deliver(m); err != nil {
		t.Fatal(err)
	}
	if err := x.DeliverDup(m); err != nil {
		t.Fatal(err)
	}
	x.DropBecause(m, trace.ReasonLoss)
	x.Drop(m)
	var got []trace.Event
	for _, e := range net.events {
		if e.Ev == trace.Send || e.Ev == trace.Recv || e.Ev == trace.Drop {
			got = append(got, e)
		}
	}
	base := trace.SeqBase(2)
	want := []struct {
		ev     string
		seq    int64
		dup    bool
		reason string
	}{{trace.Send, base + 1, false, ""}, {trace.Recv, base + 1, false, ""}, {trace.Recv, base + 1, true, ""},
		{trace.Drop, base + 2, false, trace.ReasonLoss}, {trace.Drop, base + 3, false, trace.ReasonSteered}}
	if len(got) != len(want) {
		t.Fatalf("events %+v", got)
	}
	for i, w := range want {
		e := got[i]
		if e.Ev != w.ev || e.Seq != w.seq || e.Dup != w.dup || e.Reason != w.reason {
			t.Errorf("event %d: %s seq %d dup %v reason %q, want %+v", i, e.Ev, e.Seq, e.Dup, e.Reason, w)
		}
	}
	if logs := net.logs("X"); len(logs) != 2 || logs[1] != "got Y 2" {
		t.Errorf("X logged %q: the duplicate was not handled again", logs)
	}
	if x.Received("Y") != base+3 {
		t.Errorf("Received = %d", x.Received("Y"))
	}
}
