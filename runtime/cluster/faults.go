package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
	"mutexlab/runtime/wire"
)

// A scenario's fault plan in a real run (docs/scenario.md, Faults). Each
// node's driver carries out its own share, exactly with respect to its
// events: the loss and duplication of its incoming links, its crashes
// (SIGKILL of its own process, once what it sent has left and what it
// recorded has reached the launcher) and pauses (SIGSTOP of its own
// process; the launcher sends the SIGCONT). The launcher carries out the
// rest at their times: cuts and partitions (the link commands, recorded
// by the receivers), restarts (a fresh process on the same address), and
// it records the drops of messages to a crashed node on its behalf.

// Environment of a restarted node process.
const (
	envIncarnation = "MUTEXLAB_INCARNATION" // k: the node's k-th restart
	envReceived    = "MUTEXLAB_RECEIVED"    // peer=seq,...: where each incoming channel's numbering goes on
	envCounts      = "MUTEXLAB_COUNTS"      // kind=n,...: events of the earlier incarnations
)

// flushBeforeCrash bounds how long a crashing node waits for its sends to
// be written (a peer that is itself down takes nothing).
const flushBeforeCrash = 500 * time.Millisecond

// typeFault is the control frame of a fault from a node to the launcher:
// a pause to end with SIGCONT after its duration, or a peer's restart
// taken in (restart, with the last seq sent to it).
const typeFault = "FAULT"

type faultFrame struct {
	Kind     string `json:"kind"`               // trace.Pause or trace.Restart
	Duration int64  `json:"duration,omitempty"` // pause: run ns
	Peer     string `json:"peer,omitempty"`     // restart: the peer that restarted
	Seq      int64  `json:"seq,omitempty"`      // restart: the last seq sent to it before
}

func encodeFault(sender string, f faultFrame) wire.Message {
	b, _ := json.Marshal(f)
	return wire.Message{Type: typeFault, Sender: sender, Payload: b}
}

// restartInfo is what a restarted node process is told.
type restartInfo struct {
	Incarnation int
	Received    map[string]int64
	Counts      map[string]int
}

func restartFromEnv() (restartInfo, error) {
	var r restartInfo
	v := os.Getenv(envIncarnation)
	if v == "" {
		return r, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 {
		return r, fmt.Errorf("%s: %q", envIncarnation, v)
	}
	r.Incarnation = k
	r.Received = map[string]int64{}
	r.Counts = map[string]int{}
	for kv := range strings.SplitSeq(os.Getenv(envReceived), ",") {
		if id, n, ok := strings.Cut(kv, "="); ok {
			seq, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return r, fmt.Errorf("%s: %q", envReceived, kv)
			}
			r.Received[id] = seq
		}
	}
	for kv := range strings.SplitSeq(os.Getenv(envCounts), ",") {
		if kind, n, ok := strings.Cut(kv, "="); ok {
			c, err := strconv.Atoi(n)
			if err != nil {
				return r, fmt.Errorf("%s: %q", envCounts, kv)
			}
			r.Counts[kind] = c
		}
	}
	return r, nil
}

// planFor is node id's share of the scenario's plan.
func planFor(s *scenario.Scenario, id string, again restartInfo) driver.Faults {
	f := driver.Faults{
		Seed:        s.Seed,
		Incarnation: again.Incarnation,
		Received:    again.Received,
		Counts:      again.Counts,
		Link: func(from string) driver.LinkFaults {
			l := s.Network.LinkFor(from, id)
			return driver.LinkFaults{Loss: l.Loss, Duplicate: l.Duplicate}
		},
	}
	for _, ft := range s.Faults {
		if ft.Node != id || (ft.Kind != scenario.Crash && ft.Kind != scenario.Pause) {
			continue
		}
		f.Own = append(f.Own, driver.Trigger{Kind: ft.Kind, At: scenario.Nanos(ft.At, s.Speed),
			After: ft.After, Count: ft.Count, Duration: scenario.Nanos(ft.Duration, s.Speed)})
	}
	return f
}

// flightMsg is a sent message not yet received or dropped, as much of it
// as a drop on its receiver's behalf records.
type flightMsg struct {
	typ string
	ts  int64
}

type chanKey struct {
	from, to string
	seq      int64
}

// faultState is the launcher's record of the plan's crashes, kept under
// mergeMu: it follows the merged trace.
type faultState struct {
	on     bool
	flight map[chanKey]flightMsg
	down   map[string]bool // crashed, not restarted
	lc     map[string]int64
	counts map[string]map[string]int // per node: events of the kinds a fault may follow
	lost   map[[2]string]int64       // (from, to): a restarted to's peer's sends up to this seq were lost with the dead incarnation
	inject []trace.Event             // drops to add once the merger returns
}

func newFaultState(s *scenario.Scenario) faultState {
	return faultState{on: len(s.Faults) > 0, flight: map[chanKey]flightMsg{}, down: map[string]bool{}, lc: map[string]int64{},
		counts: map[string]map[string]int{}, lost: map[[2]string]int64{}}
}

// followFaults keeps, from each event let through, what the plan's
// crashes need: the messages in flight, who is down. A message to a node
// that is down, or in flight when it crashed, is dropped on its behalf
// (reason crashed), right after. The caller holds mergeMu.
func (c *Cluster) followFaults(e *trace.Event) {
	f := &c.faults
	if !f.on {
		return
	}
	switch e.Ev {
	case trace.Send:
		k := chanKey{e.Node, e.To, e.Seq}
		if c.lostToCrash(k) {
			c.dropFor(k, flightMsg{e.Type, e.TS})
			return
		}
		f.flight[k] = flightMsg{e.Type, e.TS}
	case trace.Recv, trace.Drop:
		if !e.Dup {
			delete(f.flight, chanKey{e.From, e.Node, e.Seq})
		}
	case trace.Crash:
		f.down[e.Node] = true
		c.tellDown(e.Node)
		for l := range f.lost {
			if l[1] == e.Node {
				delete(f.lost, l) // of an earlier incarnation
			}
		}
		var keys []chanKey
		for k := range f.flight {
			if k.to == e.Node {
				keys = append(keys, k)
			}
		}
		order := map[string]int{}
		for i, id := range c.ids {
			order[id] = i
		}
		sort.Slice(keys, func(i, j int) bool {
			a, b := keys[i], keys[j]
			if a.from != b.from {
				return order[a.from] < order[b.from]
			}
			return a.seq < b.seq
		})
		for _, k := range keys {
			c.dropFor(k, f.flight[k])
		}
	case trace.Restart:
		delete(f.down, e.Node)
	}
	switch e.Ev {
	case trace.CSEnter, trace.CSExit, trace.Send, trace.Recv:
		m := f.counts[e.Node]
		if m == nil {
			m = map[string]int{}
			f.counts[e.Node] = m
		}
		m[e.Ev]++
	}
	if e.Ev != trace.Crash {
		f.lc[e.Node] = max(f.lc[e.Node], e.LC)
	}
}

// lostToCrash reports whether message k was lost with its receiver's
// crash: sent to a node that is down and whose sender has not been told
// of its restart, or sent to its dead incarnation before.
func (c *Cluster) lostToCrash(k chanKey) bool {
	f := &c.faults
	last, told := f.lost[[2]string{k.from, k.to}]
	if f.down[k.to] && !told {
		return true
	}
	return told && k.seq <= last
}

// dropFor records, on message k's receiver's behalf, that the message was
// lost with it: added to the merge once the merger returns.
func (c *Cluster) dropFor(k chanKey, m flightMsg) {
	f := &c.faults
	delete(f.flight, k)
	f.inject = append(f.inject, trace.Event{Ev: trace.Drop, T: c.now(), Node: k.to, LC: f.lc[k.to],
		From: k.from, Type: m.typ, TS: m.ts, Seq: k.seq, Reason: trace.ReasonCrashed})
}

// mergeAdd adds an event to the merge, then the drops it called for. The
// caller holds mergeMu.
func (c *Cluster) mergeAdd(e *trace.Event, line []byte) {
	c.merger.Add(e, line)
	c.drainInjected()
}

func (c *Cluster) drainInjected() {
	for len(c.faults.inject) > 0 {
		e := c.faults.inject[0]
		c.faults.inject = c.faults.inject[1:]
		line, err := c.enc.Encode(e)
		if err != nil {
			continue
		}
		c.merger.Add(&e, line)
	}
}

// crashedForGood reports whether a node crashed by the plan and will not
// restart: the run ends without it. The caller holds mu.
func (c *Cluster) crashedForGood(id string) bool {
	return c.state[id].crashed && c.restartsDue[id] == 0
}

// takeFault handles a FAULT frame from node id, in the order of its
// stream. The caller holds mergeMu.
func (c *Cluster) takeFault(id string, m wire.Message) {
	var f faultFrame
	if err := json.Unmarshal(m.Payload, &f); err != nil {
		return
	}
	switch f.Kind {
	case trace.Pause:
		c.pausedByPlan(id, time.Duration(f.Duration))
	case trace.Restart:
		// id's messages to the restarted peer up to Seq were lost with
		// its dead incarnation; the ones after go to the new one. It comes
		// before any later event of id's, so no send is judged before.
		if slices.Contains(c.ids, f.Peer) {
			c.faults.lost[[2]string{id, f.Peer}] = f.Seq
		}
	}
}
