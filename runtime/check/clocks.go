package check

import (
	"fmt"
	"strings"

	"mutexlab/runtime/trace"
)

// checkClock requires every receive to leave the clock past the message's
// ts (Lamport's rule: lc = max(lc, ts) + 1) and no node's clock to go back
// in the node's own order. An exit event is not a clock event and is left
// out.
func checkClock(h *history) Result {
	var ev []Evidence
	recvs, late, back := 0, 0, 0
	for _, n := range h.nodes {
		prev := -1
		for _, i := range h.events(n) {
			e := &h.ev[i]
			if e.Ev == trace.Recv {
				recvs++
				if e.LC <= e.TS {
					late++
					ev = append(ev, Evidence{
						Text: fmt.Sprintf("%s received %s from %s (ts %d) with lc %d at line %d: a receive must set the clock past the message's ts",
							n, e.Type, e.From, e.TS, e.LC, e.Line),
						Nodes:  []string{n, e.From},
						Events: h.refs(h.src[i], i),
					})
				}
			}
			if e.Ev == trace.Exit {
				continue // may be written for the node by the launcher, which does not know its clock
			}
			if e.Ev == trace.Restart {
				prev = i // a new incarnation: its clock starts again from 0
				continue
			}
			if prev >= 0 && e.LC < h.ev[prev].LC {
				back++
				ev = append(ev, Evidence{
					Text: fmt.Sprintf("%s's clock went back from %d (line %d, %s) to %d (line %d, %s)",
						n, h.ev[prev].LC, h.ev[prev].Line, h.ev[prev].Ev, e.LC, e.Line, e.Ev),
					Nodes:  []string{n},
					Events: h.refs(prev, i),
				})
			}
			prev = i
		}
	}
	var fail []string
	if late > 0 {
		fail = append(fail, fmt.Sprintf("%d of %s left the clock at or below the message's ts", late, plural(recvs, "receive", "receives")))
	}
	if back > 0 {
		fail = append(fail, fmt.Sprintf("a clock went back %s", plural(back, "time", "times")))
	}
	return result(Clock, ev,
		fmt.Sprintf("%s past their ts; no clock went back", plural(recvs, "receive", "receives")),
		strings.Join(fail, "; "))
}
