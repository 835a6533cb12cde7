package trace

import (
	"sort"
	"strings"
)

// Wait kinds: what a blocked main script waits for (docs/trace.md).
const (
	// WaitReceive is node.receive: the oldest message of Type (any type
	// when empty) from one of From (anyone when empty).
	WaitReceive = "receive"
	// WaitMessages is node.wait_until with a structured reason: messages
	// of Type from each of From (a reply set).
	WaitMessages = "messages"
	// WaitPredicate is node.wait_until with no peers named: a condition
	// only the script understands; Label says what it is.
	WaitPredicate = "predicate"
)

// Wait is what a blocked node waits for, as data: the liveness check, the
// stall detector, the REPL's status and the diagrams read this, never the
// text. Label is the script's own words, shown but never interpreted.
type Wait struct {
	Kind  string   `json:"kind"`
	Type  string   `json:"type,omitempty"`
	From  []string `json:"from,omitempty"`
	Label string   `json:"label,omitempty"`
}

// Equal reports whether two waits are the same.
func (w *Wait) Equal(o *Wait) bool {
	if w == nil || o == nil {
		return w == o
	}
	if w.Kind != o.Kind || w.Type != o.Type || w.Label != o.Label || len(w.From) != len(o.From) {
		return false
	}
	for i := range w.From {
		if w.From[i] != o.From[i] {
			return false
		}
	}
	return true
}

// What says what is awaited, for a person: "REPLY from A2,A3", "CS_GRANT
// from A", "any message", or the script's label for a bare condition.
// This is the one formatter of waits.
func (w *Wait) What() string {
	if w == nil {
		return "nothing"
	}
	var s string
	switch {
	case w.Type != "":
		s = w.Type
	case w.Kind == WaitReceive:
		s = "any message"
	case len(w.From) > 0:
		s = "messages"
	}
	if len(w.From) > 0 {
		s += " from " + strings.Join(w.From, ",")
	}
	switch {
	case s == "" && w.Label != "":
		return w.Label
	case s == "":
		return "a condition"
	case w.Label != "" && w.Label != s:
		return s + " (" + w.Label + ")"
	}
	return s
}

// On is the text of a block event's "on" field: "receive CS_GRANT from
// A", "wait_until REPLY from A2,A3". It is written for people and older
// readers; nothing reads it back.
func (w *Wait) On() string {
	if w.Kind == WaitReceive {
		return "receive " + w.What()
	}
	return "wait_until " + w.What()
}

// WaitOf returns the structured wait of a block event. A trace written
// before waits were data has only the text: it becomes a predicate whose
// label is that text, so it is shown but names no peer.
func WaitOf(e *Event) *Wait {
	if e.Wait != nil {
		return e.Wait
	}
	return &Wait{Kind: WaitPredicate, Label: e.On}
}

// Blocked is one node of a stall and what it waits for.
type Blocked struct {
	Node string `json:"node"`
	Wait *Wait  `json:"wait"`
	// Gone is set when a node it waits for has ended: "A1 (killed)".
	Gone []string `json:"gone,omitempty"`
	// Lost says which messages between it and a node it waits for were
	// lost on their link, none of their type arriving since: "its REQUEST
	// to A1 was lost (the link lost it)", "A2's DONE to it was lost (the link was cut)".
	Lost []string `json:"lost,omitempty"`
}

// String is "A1 waits for REPLY from A2,A3".
func (b Blocked) String() string {
	s := b.Node + " waits for " + b.Wait.What()
	if len(b.Gone) > 0 {
		s += ", but " + strings.Join(b.Gone, ", ")
		if len(b.Gone) == 1 {
			s += " has ended"
		} else {
			s += " have ended"
		}
	}
	if len(b.Lost) > 0 {
		s += "; " + strings.Join(b.Lost, "; ")
	}
	return s
}

// Stall is the wait-for graph of a system in which no node can move.
type Stall struct {
	// Cycle is a deadlock: the nodes that wait for each other (a strongly
	// connected part of the wait-for graph), Path's first and in its
	// order. Empty when the nodes wait on something outside a cycle.
	Cycle []Blocked `json:"cycle,omitempty"`
	// Path is one cycle through them: each waits for the next, the last
	// for the first.
	Path []string `json:"path,omitempty"`
	// Waiting are the blocked nodes not on the cycle.
	Waiting []Blocked `json:"waiting,omitempty"`
}

// Nodes returns the stalled nodes, the cycle's first.
func (s Stall) Nodes() []string {
	var out []string
	for _, b := range s.Cycle {
		out = append(out, b.Node)
	}
	for _, b := range s.Waiting {
		out = append(out, b.Node)
	}
	return out
}

// String says it in one line: "deadlock A1 → A2 → A1: A1 waits for REPLY
// from A2; A2 waits for REPLY from A1", or the waits one after another.
func (s Stall) String() string {
	var parts []string
	for _, b := range s.Cycle {
		parts = append(parts, b.String())
	}
	head := ""
	if len(s.Cycle) > 0 {
		head = "deadlock " + strings.Join(append(append([]string{}, s.Path...), s.Path[0]), " → ") + ": "
		if len(s.Waiting) > 0 {
			// The others wait too, but they are not the story.
			var names []string
			for _, b := range s.Waiting {
				names = append(names, b.Node)
			}
			verb := " waits behind it"
			if len(names) > 1 {
				verb = " wait behind it"
			}
			parts = append(parts, strings.Join(names, ", ")+verb)
		}
		return head + strings.Join(parts, "; ")
	}
	for _, b := range s.Waiting {
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

// Analyze builds the wait-for graph of blocked nodes (in the order given)
// and finds a cycle in it. gone maps a node that has ended to why
// ("killed", "error"); a wait on such a node is marked, since it can
// never be answered.
func Analyze(blocked []Blocked, gone map[string]string) Stall {
	idx := map[string]int{}
	for i, b := range blocked {
		idx[b.Node] = i
	}
	for i := range blocked {
		blocked[i].Gone = nil
		for _, f := range blocked[i].Wait.From {
			if why, ok := gone[f]; ok {
				blocked[i].Gone = append(blocked[i].Gone, f+" ("+why+")")
			}
		}
	}
	// Edges: a node waits for the blocked nodes it names. A wait that
	// names nobody (receive from anyone) has no edge: it is not part of
	// a cycle we can show.
	edges := make([][]int, len(blocked))
	for i, b := range blocked {
		for _, f := range b.Wait.From {
			if j, ok := idx[f]; ok {
				edges[i] = append(edges[i], j)
			}
		}
	}
	cycle := findCycle(edges)
	var s Stall
	on := map[int]bool{}
	for _, i := range cycle {
		on[i] = true
		s.Path = append(s.Path, blocked[i].Node)
		s.Cycle = append(s.Cycle, blocked[i])
	}
	if len(cycle) > 0 {
		// The rest of the cycle's strongly connected part: every node that
		// both waits for the cycle and is waited for by it.
		from := reach(edges, cycle, false)
		to := reach(edges, cycle, true)
		for i := range blocked {
			if !on[i] && from[i] && to[i] {
				on[i] = true
				s.Cycle = append(s.Cycle, blocked[i])
			}
		}
	}
	for i, b := range blocked {
		if !on[i] {
			s.Waiting = append(s.Waiting, b)
		}
	}
	return s
}

// reach marks the vertices reachable from start along the edges (or
// against them, when back is set).
func reach(edges [][]int, start []int, back bool) []bool {
	seen := make([]bool, len(edges))
	var redges [][]int
	if back {
		redges = make([][]int, len(edges))
		for v, ws := range edges {
			for _, w := range ws {
				redges[w] = append(redges[w], v)
			}
		}
	}
	stack := append([]int(nil), start...)
	for _, v := range start {
		seen[v] = true
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		next := edges[v]
		if back {
			next = redges[v]
		}
		for _, w := range next {
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return seen
}

// findCycle returns one cycle of the graph as a path of vertices, starting
// from the smallest vertex that lies on a cycle, or nil.
func findCycle(edges [][]int) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(edges))
	var stack []int
	var found []int
	var visit func(v int) bool
	visit = func(v int) bool {
		color[v] = grey
		stack = append(stack, v)
		next := append([]int(nil), edges[v]...)
		sort.Ints(next)
		for _, w := range next {
			switch color[w] {
			case grey:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == w {
						found = append([]int(nil), stack[k:]...)
						return true
					}
				}
			case white:
				if visit(w) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[v] = black
		return false
	}
	for v := range edges {
		if color[v] == white && visit(v) {
			break
		}
	}
	return found
}
