package check

import (
	"fmt"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// Node states at the end of a trace.
const (
	stAbsent   = "absent"   // no event at all
	stRunning  = "running"  // its main script runs (or sleeps, or is in the critical section)
	stBlocked  = "blocked"  // its main script waits for a message or a condition
	stFinished = "finished" // its main script returned; it still answers messages
	stDead     = "dead"     // stopped by an error or killed
)

// endState is what a node was doing when the trace ended.
type endState struct {
	state string
	block int    // the last block event while blocked
	why   string // the exit text or error of a dead node
}

// final replays a node's events for its state at the end. An exit that
// merely ends the run ("stopped", "interrupted") keeps the state the node
// was in; a block on sleep or inside the critical section is not a wait
// for anyone.
func (h *history) final(node string) endState {
	s := endState{state: stAbsent, block: -1}
	inCS := false
	for _, i := range h.events(node) {
		e := h.ev[i]
		if s.state == stAbsent {
			s.state = stRunning
		}
		switch e.Ev {
		case trace.Block:
			if strings.HasPrefix(e.On, "sleep") {
				s.state = stRunning
			} else {
				s.state, s.block = stBlocked, i
			}
		case trace.Unblock:
			s.state = stRunning
		case trace.Finish:
			s.state = stFinished
		case trace.CSEnter:
			inCS = true
		case trace.CSExit:
			inCS = false
		case trace.Error:
			s.state, s.why = stDead, e.Text
		case trace.Exit:
			// A node killed while the others went on is dead; one killed
			// as the run ended stays what it was, like "stopped".
			if e.Text == exitError || (e.Text == exitKilled && h.activeAfter(node, e.T)) {
				s.state = stDead
				if s.why == "" {
					s.why = e.Text
				}
			}
		}
	}
	if inCS && s.state == stBlocked {
		s.state = stRunning
	}
	return s
}

// activeAfter reports whether a node other than node recorded an event
// other than its exit after t.
func (h *history) activeAfter(node string, t int64) bool {
	for _, e := range h.ev {
		if e.Node != node && e.Ev != trace.Exit && e.T > t {
			return true
		}
	}
	return false
}

// checkLiveness requires every CS_GRANT a node received to be followed by
// an entry into the critical section (unless the run was interrupted), no
// node to fail with an error, and the run not to end stalled: every live
// node blocked or finished and no message in flight to any of them.
func checkLiveness(h *history, interrupted bool) Result {
	var ev []Evidence
	var parts []string
	states := map[string]endState{}
	for _, n := range h.nodes {
		states[n] = h.final(n)
	}

	// Stall.
	var blocked []string
	running := false
	for _, n := range h.nodes {
		switch states[n].state {
		case stBlocked:
			blocked = append(blocked, n)
		case stRunning:
			running = true
		}
	}
	inflight := 0
	for k := range h.sends {
		if _, ok := h.recvs[k]; ok {
			continue
		}
		if _, ok := h.drops[k]; ok {
			continue
		}
		switch states[k.to].state {
		case stBlocked, stFinished, stRunning:
			inflight++
		}
	}
	if len(blocked) > 0 && !running && inflight == 0 {
		relation, onCycle := h.waitFor(blocked, states)
		parts = append(parts, "stall: "+relation)
		// The nodes waiting on each other first: they are the story.
		sort.SliceStable(blocked, func(a, b int) bool { return onCycle[blocked[a]] && !onCycle[blocked[b]] })
		for _, n := range blocked {
			b := states[n].block
			ev = append(ev, Evidence{
				Text:   fmt.Sprintf("%s since line %d", waits(n, h.ev[b].On), h.ev[b].Line),
				Nodes:  append([]string{n}, h.named(h.ev[b].On)...),
				Events: h.refs(b),
			})
		}
	}

	// Grants.
	grants, entered, lost := 0, 0, 0
	for _, n := range h.nodes {
		var pending []int
		for _, i := range h.events(n) {
			e := h.ev[i]
			switch {
			case e.Ev == trace.Recv && e.Type == "CS_GRANT":
				grants++
				pending = append(pending, i)
			case e.Ev == trace.CSEnter && len(pending) > 0:
				entered++
				pending = pending[1:]
			}
		}
		if interrupted {
			continue
		}
		for _, i := range pending {
			lost++
			text := fmt.Sprintf("%s received CS_GRANT from %s (line %d) and never entered the critical section", n, h.ev[i].From, h.ev[i].Line)
			if st := states[n]; st.state == stDead {
				text += fmt.Sprintf(" (it stopped: %s)", st.why)
			}
			ev = append(ev, Evidence{Text: text, Nodes: []string{n}, Events: h.refs(i)})
		}
	}
	if lost > 0 {
		parts = append(parts, plural(lost, "grant", "grants")+" never followed by an entry")
	}

	// Errors.
	failed := 0
	for _, n := range h.nodes {
		for _, i := range h.events(n) {
			if e := h.ev[i]; e.Ev == trace.Error {
				failed++
				ev = append(ev, Evidence{
					Text:   fmt.Sprintf("%s stopped with an error (line %d): %s", n, e.Line, e.Text),
					Nodes:  []string{n},
					Events: h.refs(i),
				})
			}
		}
	}
	if failed > 0 {
		parts = append(parts, plural(failed, "script error", "script errors"))
	}

	pass := fmt.Sprintf("%s, each followed by an entry; no stall", plural(grants, "grant", "grants"))
	switch {
	case interrupted:
		pass = fmt.Sprintf("interrupted run judged on what completed: %d of %s entered; no stall", entered, plural(grants, "grant", "grants"))
	case grants == 0:
		pass = "no CS_GRANT received; no stall"
	}
	fail := ""
	if len(parts) > 0 {
		fail = parts[0]
		if len(parts) > 1 {
			fail += " (also " + strings.Join(parts[1:], ", ") + ")"
		}
	}
	return result(Liveness, ev, pass, fail)
}

// waits says what a blocked node waits for: "A1 waits for REPLY from A2".
func waits(node, on string) string {
	what := on
	for _, p := range []string{"receive", "wait_until"} {
		if what == p {
			what = ""
		} else if strings.HasPrefix(what, p+" ") {
			what = strings.TrimSpace(what[len(p)+1:])
		}
	}
	if what == "" {
		return fmt.Sprintf("%s waits (%s)", node, on)
	}
	return fmt.Sprintf("%s waits for %s", node, what)
}

// named returns the nodes a block names after "from": "REPLY from A2,A3".
func (h *history) named(on string) []string {
	i := strings.Index(on, "from ")
	if i < 0 {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(on[i+len("from "):], func(r rune) bool {
		return r == ',' || r == ' ' || r == ';' || r == '(' || r == ')'
	}) {
		if _, ok := h.index[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// waitFor builds the wait-for relation of a stall. When blocked nodes wait
// for each other in a cycle, the cycle is the story and only its nodes are
// named; otherwise every blocked node is.
func (h *history) waitFor(blocked []string, states map[string]endState) (relation string, onCycle map[string]bool) {
	isBlocked := map[string]bool{}
	for _, n := range blocked {
		isBlocked[n] = true
	}
	edges := map[string][]string{}
	for _, n := range blocked {
		for _, m := range h.named(h.ev[states[n].block].On) {
			if isBlocked[m] {
				edges[n] = append(edges[n], m)
			}
		}
	}
	onCycle = cycles(blocked, edges)
	var out []string
	for _, n := range blocked {
		if len(onCycle) == 0 || onCycle[n] {
			out = append(out, waits(n, h.ev[states[n].block].On))
		}
	}
	return strings.Join(out, "; "), onCycle
}

// cycles returns the nodes that lie on a cycle of the graph (Tarjan's
// strongly connected components of more than one node, or a self-loop).
func cycles(nodes []string, edges map[string][]string) map[string]bool {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	out := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		index[n] = len(index)
		low[n] = index[n]
		stack = append(stack, n)
		onStack[n] = true
		for _, m := range edges[n] {
			if _, seen := index[m]; !seen {
				visit(m)
				low[n] = min(low[n], low[m])
			} else if onStack[m] {
				low[n] = min(low[n], index[m])
			}
		}
		if low[n] != index[n] {
			return
		}
		var scc []string
		for {
			m := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[m] = false
			scc = append(scc, m)
			if m == n {
				break
			}
		}
		selfLoop := false
		for _, m := range edges[n] {
			selfLoop = selfLoop || m == n
		}
		if len(scc) > 1 || selfLoop {
			for _, m := range scc {
				out[m] = true
			}
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return out
}
