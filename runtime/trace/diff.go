package trace

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Diff is where two runs of the same system part: compared node by node
// (each node's own events in order, as the fold of its state sees them),
// so that two runs that differ only in how independent events of
// different nodes interleave are the same schedule (mutexlab diff).
type Diff struct {
	// Nodes has one entry per node, in the order of the meta header.
	Nodes []NodeDiff
	// First is the node whose first difference comes first in run a's
	// order (by trace line); nil when every node's events are the same.
	First *NodeDiff
	// Delivery is the first message delivered differently: a node that
	// received, at the same point of its receives, another message.
	Delivery *DeliveryDiff
	// Entry is the first critical-section entry of a (in a's order) made
	// after its node's history left b's, with where b's node entered
	// that round; nil when there is none.
	Entry *EntryDiff
	// CS lists each run's critical-section entries in the order they
	// were entered; CSFirst is the first position where they differ, -1
	// when they do not.
	CS      [2][]CSRef
	CSFirst int
	// Messages counts the messages sent, by type.
	Messages []TypeCount
}

// Same reports whether the two runs are the same schedule: every node
// went through the same events.
func (d *Diff) Same() bool { return d.First == nil }

// NodeDiff compares one node's events.
type NodeDiff struct {
	Node string
	// Count is the node's number of events in a and in b.
	Count [2]int
	// Same is the number of events the node has in common from its
	// start; the node is the same in both runs when Same equals both
	// counts.
	Same int
	// Diff is the node's first differing event in a and b (Same is its
	// index); nil where that run has no more events.
	Diff [2]*Event
}

// Equal reports whether the node went through the same events in both.
func (n *NodeDiff) Equal() bool { return n.Same == n.Count[0] && n.Same == n.Count[1] }

// DeliveryDiff is one node's first receive that differs.
type DeliveryDiff struct {
	Node string
	// Index is the receive's number among the node's receives, from 1.
	Index int
	// Recv is the receive (or drop) in each run; nil where the run has
	// no such receive.
	Recv [2]*Event
}

// EntryDiff is a critical-section entry that differs.
type EntryDiff struct {
	Node  string
	Round int
	// Index is the node's event number of the cs_enter in each run, from
	// 1 (0: the run has no such entry); Enter is the event itself.
	Index [2]int
	Enter [2]*Event
}

// CSRef is a critical-section entry.
type CSRef struct {
	Node  string
	Round int
	Line  int
}

func (c CSRef) String() string { return fmt.Sprintf("%s#%d", c.Node, c.Round) }

// TypeCount is the number of messages of a type sent in each run.
type TypeCount struct {
	Type  string
	Count [2]int
}

// Compare aligns two runs of the same system. The error says why they
// cannot be compared: different nodes.
func Compare(a, b *Trace) (*Diff, error) {
	if !slices.Equal(a.Meta.Nodes, b.Meta.Nodes) {
		return nil, fmt.Errorf("the runs have different nodes (%s; %s): diff compares runs of the same topology",
			strings.Join(a.Meta.Nodes, " "), strings.Join(b.Meta.Nodes, " "))
	}
	d := &Diff{CSFirst: -1}
	runs := [2][][]*Event{byNode(a), byNode(b)}
	ids := a.Meta.Nodes
	for n, id := range ids {
		ea, eb := runs[0][n], runs[1][n]
		nd := NodeDiff{Node: id, Count: [2]int{len(ea), len(eb)}}
		for nd.Same < len(ea) && nd.Same < len(eb) && SameEvent(ea[nd.Same], eb[nd.Same]) {
			nd.Same++
		}
		if nd.Same < len(ea) {
			nd.Diff[0] = ea[nd.Same]
		}
		if nd.Same < len(eb) {
			nd.Diff[1] = eb[nd.Same]
		}
		d.Nodes = append(d.Nodes, nd)
	}
	for i := range d.Nodes {
		nd := &d.Nodes[i]
		if nd.Equal() {
			continue
		}
		if d.First == nil || firstLine(nd) < firstLine(d.First) {
			d.First = nd
		}
	}
	d.Delivery = firstDelivery(ids, runs)
	d.Entry = firstEntry(d, runs)
	for k, t := range []*Trace{a, b} {
		d.CS[k] = csEntries(t)
	}
	for i := range max(len(d.CS[0]), len(d.CS[1])) {
		if i >= len(d.CS[0]) || i >= len(d.CS[1]) || d.CS[0][i].Node != d.CS[1][i].Node || d.CS[0][i].Round != d.CS[1][i].Round {
			d.CSFirst = i
			break
		}
	}
	d.Messages = messageCounts(a, b)
	return d, nil
}

// byNode lists each node's events in its own order, per meta node.
func byNode(t *Trace) [][]*Event {
	index := make(map[string]int, len(t.Meta.Nodes))
	for i, id := range t.Meta.Nodes {
		index[id] = i
	}
	out := make([][]*Event, len(t.Meta.Nodes))
	for i := range t.Events {
		e := &t.Events[i]
		if n, ok := index[e.Node]; ok {
			out[n] = append(out[n], e)
		}
	}
	return out
}

// firstLine orders node differences by where they show in run a (then b).
func firstLine(n *NodeDiff) int {
	if n.Diff[0] != nil {
		return n.Diff[0].Line
	}
	if n.Diff[1] != nil {
		return 1 << 30 // a ended; b went on
	}
	return 1 << 31
}

func firstDelivery(ids []string, runs [2][][]*Event) *DeliveryDiff {
	var best *DeliveryDiff
	bestLine := 1 << 31
	for n, id := range ids {
		var recvs [2][]*Event
		for k := range runs {
			for _, e := range runs[k][n] {
				if e.Ev == Recv || e.Ev == Drop {
					recvs[k] = append(recvs[k], e)
				}
			}
		}
		for i := 0; i < len(recvs[0]) || i < len(recvs[1]); i++ {
			var r [2]*Event
			for k := range recvs {
				if i < len(recvs[k]) {
					r[k] = recvs[k][i]
				}
			}
			if r[0] != nil && r[1] != nil && r[0].Ev == r[1].Ev && r[0].From == r[1].From && r[0].Seq == r[1].Seq {
				continue
			}
			line := 1 << 30
			if r[0] != nil {
				line = r[0].Line
			}
			if line < bestLine {
				best, bestLine = &DeliveryDiff{Node: id, Index: i + 1, Recv: r}, line
			}
			break
		}
	}
	return best
}

// firstEntry finds a's first cs_enter at or past its node's first
// difference, and the same node's entry of that round in b.
func firstEntry(d *Diff, runs [2][][]*Event) *EntryDiff {
	var best *EntryDiff
	for n, nd := range d.Nodes {
		if nd.Equal() {
			continue
		}
		for i := nd.Same; i < len(runs[0][n]); i++ {
			e := runs[0][n][i]
			if e.Ev != CSEnter {
				continue
			}
			if best == nil || e.Line < best.Enter[0].Line {
				ed := &EntryDiff{Node: nd.Node, Round: e.Round, Index: [2]int{i + 1, 0}, Enter: [2]*Event{e, nil}}
				for j, f := range runs[1][n] {
					if f.Ev == CSEnter && f.Round == e.Round {
						ed.Index[1], ed.Enter[1] = j+1, f
						break
					}
				}
				best = ed
			}
			break
		}
	}
	return best
}

// csEntries lists the critical-section entries in the order they were
// entered: by the shared clock, then by line.
func csEntries(t *Trace) []CSRef {
	var out []CSRef
	var ts []int64
	for _, e := range t.Events {
		if e.Ev == CSEnter {
			out = append(out, CSRef{Node: e.Node, Round: e.Round, Line: e.Line})
			ts = append(ts, e.T)
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		return cmp.Or(cmp.Compare(ts[x], ts[y]), cmp.Compare(out[x].Line, out[y].Line))
	})
	sorted := make([]CSRef, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

func messageCounts(a, b *Trace) []TypeCount {
	counts := map[string]*TypeCount{}
	for k, t := range []*Trace{a, b} {
		for _, e := range t.Events {
			if e.Ev != Send {
				continue
			}
			c := counts[e.Type]
			if c == nil {
				c = &TypeCount{Type: e.Type}
				counts[e.Type] = c
			}
			c.Count[k]++
		}
	}
	var out []TypeCount
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y TypeCount) int { return strings.Compare(x.Type, y.Type) })
	return out
}

// SameEvent compares what a node's script controls: kind, peer, type,
// clocks, numbering, round, text and payload. Times, pids and recorded
// states are the run's, not the schedule's.
func SameEvent(a, b *Event) bool {
	if a.Ev != b.Ev || a.LC != b.LC {
		return false
	}
	if a.Ev == Start {
		return true
	}
	return a.To == b.To && a.From == b.From && a.Type == b.Type && a.TS == b.TS && a.Seq == b.Seq &&
		a.Round == b.Round && a.Text == b.Text && a.On == b.On && bytes.Equal(payloadOf(a), payloadOf(b))
}

func payloadOf(e *Event) []byte {
	if len(e.Payload) == 0 {
		return []byte("{}")
	}
	return bytes.TrimSpace(e.Payload)
}

// Describe says what an event is, for people: "recv REPLY from A3 (ts 7,
// #2)", "cs_enter round 1".
func Describe(e *Event) string {
	switch e.Ev {
	case Send:
		return fmt.Sprintf("send %s to %s (ts %d, #%d)", e.Type, e.To, e.TS, e.Seq)
	case Recv, Drop:
		return fmt.Sprintf("%s %s from %s (ts %d, #%d)", e.Ev, e.Type, e.From, e.TS, e.Seq)
	case CSEnter, CSExit:
		return fmt.Sprintf("%s round %d", e.Ev, e.Round)
	case Block:
		return "block " + WaitOf(e).On()
	case Start:
		return "start"
	}
	return strings.TrimSpace(e.Ev + " " + e.Text)
}
