package check

import (
	"fmt"
	"slices"
	"strings"

	"mutexlab/runtime/trace"
)

// ending folds the trace into how it ends (trace.End), each node's
// events in the node's own order.
func (h *history) ending() trace.Ending {
	var order []int
	for _, s := range h.seq {
		order = append(order, s...)
	}
	return trace.End(h.nodes, h.ev, order)
}

// checkLiveness requires every CS_GRANT a node received to be followed by
// an entry into the critical section (unless the run was interrupted), no
// node to fail with an error, and the run not to end stalled: every live
// node blocked or finished and no message in flight to any of them.
func checkLiveness(h *history, interrupted bool) Result {
	var ev []Evidence
	var parts []string
	end := h.ending()

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
		ev = append(ev, Evidence{Text: text, Nodes: nodes, Events: refs})
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
			if st := end.States[n]; st.Phase == trace.PhaseDead {
				text += fmt.Sprintf(" (it stopped: %s)", st.Why)
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
