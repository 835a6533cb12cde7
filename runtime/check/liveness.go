package check

import (
	"fmt"
	"slices"
	"strings"

	"mutexlab/runtime/trace"
)

// ending is how the trace ends, as trace.End folds it (each node's
// events in the node's own order), from the states folded node by node
// and the messages match found still open.
func (h *history) ending() trace.Ending {
	states := grow(h.states, len(h.nodes))
	h.states = states
	if h.stateOf == nil {
		h.stateOf = map[string]*trace.NodeState{}
	}
	byNode := h.stateOf
	clear(byNode)
	for ni, s := range h.seq {
		st := &states[ni]
		*st = trace.NewNodeState()
		for _, i := range s {
			st.Apply(i, &h.ev[i])
		}
		byNode[h.nodes[ni]] = st
	}
	var inFlight map[string]int
	for id, open := range h.open {
		if !open {
			continue
		}
		to := int(h.keys[id].to)
		if to >= len(h.nodes) {
			continue // no node's: it has no state
		}
		if live := states[to].Live(); live != trace.PhaseDead && live != trace.PhaseAbsent {
			if inFlight == nil {
				inFlight = map[string]int{}
			}
			inFlight[h.nodes[to]]++
		}
	}
	return trace.Conclude(h.nodes, byNode, inFlight, func() trace.Lost {
		lost := trace.Lost{}
		for _, s := range h.seq {
			for _, i := range s {
				lost.Apply(&h.ev[i])
			}
		}
		return lost
	})
}

// checkLiveness requires every CS_GRANT a node received to be followed by
// an entry into the critical section (unless the run was interrupted), no
// node to fail with an error, and the run not to end stalled: every live
// node blocked or finished and no message in flight to any of them.
func checkLiveness(h *history, interrupted bool) Result {
	var ev []Evidence
	var parts []string
	end := h.ending()

	// Nodes stopped by a script error: a stall that waits on one of them,
	// and the grants they never used, follow from the error.
	var errored map[string]bool
	for _, n := range h.nodes {
		for _, i := range h.events(n) {
			if h.ev[i].Ev == trace.Error {
				if errored == nil {
					errored = map[string]bool{}
				}
				errored[n] = true
			}
		}
	}
	var stalled map[string]bool

	// Stall: one violation, the wait-for graph's cycle first.
	if st := end.Stall; st != nil {
		parts = append(parts, "stall: "+st.String())
		var refs []EventRef
		for _, n := range st.Nodes() {
			if b := end.States[n].Block; b >= 0 {
				refs = append(refs, h.refs(b)...)
			}
		}
		nodes := st.Nodes()
		for _, b := range append(append([]trace.Blocked{}, st.Cycle...), st.Waiting...) {
			for _, f := range b.Wait.From {
				if !slices.Contains(nodes, f) {
					nodes = append(nodes, f)
				}
			}
		}
		text := st.String()
		if len(st.Cycle) == 0 {
			text = "no node can move: " + text
		}
		e := Evidence{Text: text, Nodes: nodes, Events: refs, key: stallKey}
		if len(st.Cycle) == 0 {
			for _, b := range st.Waiting {
				for _, f := range b.Wait.From {
					if errored[f] && e.causeKey == "" {
						e.causeKey = errorKey(f)
					}
				}
			}
		}
		stalled = map[string]bool{}
		for _, n := range st.Nodes() {
			stalled[n] = true
		}
		ev = append(ev, e)
	}

	// Grants: a lightweight enters the critical section once per
	// CS_GRANT, never without one, and as many times as the run has
	// rounds once it has finished them.
	grants, entered, lost, extra := 0, 0, 0, 0
	for _, n := range h.nodes {
		var pending []int
		lastEntry := -1
		entries := 0
		for _, i := range h.events(n) {
			e := &h.ev[i]
			switch {
			case e.Ev == trace.Crash || e.Ev == trace.Restart:
				// The grants it had died with it; a restarted node counts
				// its rounds again.
				pending, lastEntry = nil, -1
				if e.Ev == trace.Restart {
					entries = 0
				}
			case e.Ev == trace.Recv && e.Type == "CS_GRANT":
				if !e.Dup {
					grants++ // a duplicate's copy is no grant of its own
				}
				pending = append(pending, i)
			case e.Ev == trace.CSEnter && len(pending) > 0:
				g := pending[0]
				entries++
				lastEntry = i
				pending = pending[1:]
				if !h.ev[g].Dup || !h.isLightweight(n) {
					entered++
					continue
				}
				extra++
				ev = append(ev, Evidence{
					Text: fmt.Sprintf("%s entered the critical section (line %d) on a duplicate of a CS_GRANT (line %d): its heavyweight granted it once",
						n, e.Line, h.ev[g].Line),
					Nodes: []string{n}, Events: h.refs(g, i)})
			case e.Ev == trace.CSEnter:
				entries++
				if !h.isLightweight(n) {
					continue // a heavyweight's own section: not the role scripts' protocol
				}
				extra++
				text := fmt.Sprintf("%s entered the critical section (line %d) without a CS_GRANT", n, e.Line)
				refs := h.refs(i)
				if lastEntry >= 0 {
					text = fmt.Sprintf("%s entered the critical section again (line %d) on the grant it used at line %d: one entry per grant",
						n, e.Line, h.ev[lastEntry].Line)
					refs = h.refs(lastEntry, i)
				}
				ev = append(ev, Evidence{Text: text, Nodes: []string{n}, Events: refs})
			}
		}
		// A duplicate's copy left unused is no grant missed.
		pending = slices.DeleteFunc(pending, func(i int) bool { return h.ev[i].Dup })
		if rounds := h.meta.Rounds; rounds > 0 && !interrupted && len(pending) == 0 && h.isLightweight(n) && end.States[n].Finished && entries != rounds {
			extra++
			ev = append(ev, Evidence{
				Text:  fmt.Sprintf("%s finished its rounds after %s; the run has %d", n, plural(entries, "critical section", "critical sections"), rounds),
				Nodes: []string{n},
			})
		}
		if interrupted {
			continue
		}
		for _, i := range pending {
			lost++
			text := fmt.Sprintf("%s received CS_GRANT from %s (line %d) and never entered the critical section", n, h.ev[i].From, h.ev[i].Line)
			if st := end.States[n]; st.Phase == trace.PhaseDead {
				text += fmt.Sprintf(" (it stopped: %s)", st.Why)
			}
			e := Evidence{Text: text, Nodes: []string{n}, Events: h.refs(i)}
			switch {
			case errored[n]:
				e.causeKey = errorKey(n)
			case stalled[n]:
				e.causeKey = stallKey
			}
			ev = append(ev, e)
		}
	}
	if lost > 0 {
		parts = append(parts, plural(lost, "grant", "grants")+" never followed by an entry")
	}
	if extra > 0 {
		parts = append(parts, plural(extra, "entry", "entries")+" not matched to a grant or a round")
	}

	// Nothing after an exit: a node that ended cannot act.
	late := 0
	for _, n := range h.nodes {
		exit := -1
		for _, i := range h.events(n) {
			e := &h.ev[i]
			if exit >= 0 {
				late++
				ev = append(ev, Evidence{
					Text:   fmt.Sprintf("%s recorded %s (line %d) after its exit (line %d)", n, e.Ev, e.Line, h.ev[exit].Line),
					Nodes:  []string{n},
					Events: h.refs(exit, i),
				})
				break
			}
			if e.Ev == trace.Exit {
				exit = i
			}
		}
	}
	if late > 0 {
		parts = append(parts, plural(late, "node acts", "nodes act")+" after its exit")
	}

	// Errors.
	failed := 0
	for _, n := range h.nodes {
		for _, i := range h.events(n) {
			if e := &h.ev[i]; e.Ev == trace.Error {
				failed++
				ev = append(ev, Evidence{
					Text:   fmt.Sprintf("%s stopped with an error (line %d): %s", n, e.Line, e.Text),
					Nodes:  []string{n},
					Events: h.refs(i),
					key:    errorKey(n),
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
