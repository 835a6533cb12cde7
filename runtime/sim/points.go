// Faults explore chooses (explore --faults N): crash points, lost and
// duplicated messages, drawn from the schedule's seed, so that a search
// can find the fault that breaks an algorithm and its seed repeats it.

package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"mutexlab/runtime/scenario"
)

// Kinds of chosen faults (FaultPoint.Kind).
const (
	PointCrash     = "crash"
	PointLoss      = "loss"
	PointDuplicate = "duplicate"
)

// PointKinds are the kinds explore --faults chooses from.
var PointKinds = []string{PointCrash, PointLoss, PointDuplicate}

// FaultPoint is one fault chosen for a schedule: a crash of a node right
// after its Count-th event of a kind, or the loss or the duplication of
// the Nth message sent on a link.
type FaultPoint struct {
	Kind  string `json:"kind"`
	Node  string `json:"node,omitempty"`
	After string `json:"after,omitempty"`
	Count int    `json:"count,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Nth   int64  `json:"nth,omitempty"`
}

func (p FaultPoint) String() string {
	switch p.Kind {
	case PointCrash:
		return scenario.Fault{Kind: scenario.Crash, Node: p.Node, After: p.After, Count: p.Count}.String()
	case PointLoss:
		return fmt.Sprintf("loss of the %s message %s->%s", scenario.Ordinal(p.Nth), p.From, p.To)
	}
	return fmt.Sprintf("duplicate of the %s message %s->%s", scenario.Ordinal(p.Nth), p.From, p.To)
}

// PointsText lists chosen faults for a person: "crash A2 after its 1st
// cs_enter; loss of the 3rd message A1->A2".
func PointsText(ps []FaultPoint) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// CheckPointKinds validates a list of kinds for --fault-kind.
func CheckPointKinds(kinds []string) error {
	for _, k := range kinds {
		if !slices.Contains(PointKinds, k) {
			return fmt.Errorf("fault kind %q: expected %s", k, strings.Join(PointKinds, ", "))
		}
	}
	return nil
}

// ChooseFaults draws from seed between 1 and n faults of the kinds given
// (all when none) for a schedule of s: crash points among the nodes and
// the events they may follow, lost and duplicated messages among the
// links the topology uses (a node to its parent, children, peers and
// ring successor), counts within what a run of s's rounds makes. When
// only is not empty, faults fall on those nodes and the links between
// them alone.
func ChooseFaults(s *scenario.Scenario, seed int64, n int, kinds, only []string) []FaultPoint {
	if n <= 0 {
		return nil
	}
	if len(kinds) == 0 {
		kinds = PointKinds
	}
	r := &random{src: rand.NewPCG(uint64(seed), 0x6661756c7473)} // "faults"
	ids := s.NodeIDs()
	links := topologyLinks(s)
	if len(only) > 0 {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(only, id) })
		links = slices.DeleteFunc(links, func(l [2]string) bool { return !slices.Contains(only, l[0]) || !slices.Contains(only, l[1]) })
		if len(ids) == 0 {
			return nil
		}
		if len(links) == 0 {
			kinds = []string{PointCrash}
		}
	}
	rounds := int64(max(s.Rounds, 1))
	k := 1 + int(r.below(uint64(n)))
	out := make([]FaultPoint, 0, k)
	for range k {
		p := FaultPoint{Kind: kinds[r.below(uint64(len(kinds)))]}
		switch p.Kind {
		case PointCrash:
			p.Node = ids[r.below(uint64(len(ids)))]
			p.After = scenario.AfterKinds[r.below(uint64(len(scenario.AfterKinds)))]
			span := rounds
			if p.After == "send" || p.After == "recv" {
				span = 6 * rounds
			}
			p.Count = 1 + int(r.below(uint64(span)))
		default:
			l := links[r.below(uint64(len(links)))]
			p.From, p.To = l[0], l[1]
			p.Nth = 1 + int64(r.below(uint64(3*rounds)))
		}
		out = append(out, p)
	}
	return out
}

// topologyLinks are the directed links the role scripts use, in Nodes()
// order.
func topologyLinks(s *scenario.Scenario) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	add := func(a, b string) {
		if b == "" || a == b || seen[[2]string{a, b}] {
			return
		}
		seen[[2]string{a, b}] = true
		out = append(out, [2]string{a, b})
	}
	for _, nd := range s.Nodes() {
		add(nd.ID, nd.Parent)
		for _, c := range nd.Children {
			add(nd.ID, c)
		}
		for _, p := range nd.Peers {
			add(nd.ID, p)
		}
		add(nd.ID, nd.Next)
	}
	return out
}

// usePoints makes the machine's plan and marks for a schedule: the
// scenario's faults and the points' crashes, the points' lost and
// duplicated messages. A point that names a node the scenario lacks (a
// smaller system of Shrink) is left out.
func (m *machine) usePoints(pts []FaultPoint) {
	f := &m.f
	f.points = pts
	f.plan = append(f.plan[:0], m.w.s.Faults...)
	clear(f.marks)
	n := len(m.w.ids)
	for _, p := range pts {
		switch p.Kind {
		case PointCrash:
			if _, ok := m.w.index[p.Node]; ok {
				f.plan = append(f.plan, scenario.Fault{Kind: scenario.Crash, Node: p.Node, After: p.After, Count: p.Count})
			}
		case PointLoss, PointDuplicate:
			i, ok1 := m.w.index[p.From]
			j, ok2 := m.w.index[p.To]
			if !ok1 || !ok2 {
				continue
			}
			if f.marks == nil {
				f.marks = map[[2]int64]string{}
			}
			f.marks[[2]int64{int64(i*n + j), p.Nth}] = p.Kind
		}
	}
}
