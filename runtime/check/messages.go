package check

import (
	"fmt"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// textbook is an algorithm's message count per critical section entry:
// k(N-1) for a group of N lightweights.
type textbook struct {
	k       int
	formula string
}

var perEntry = map[string]textbook{
	"lamport":         {3, "3(N-1)"}, // REQUEST, REPLY, RELEASE to each peer
	"ricart_agrawala": {2, "2(N-1)"}, // REQUEST, REPLY (deferred or not)
}

// checkMessages measures each group's messages among its lightweights
// against the textbook count per entry, and the heavyweights' messages per
// token visit (one TOKEN, one CS_GRANT and one DONE per lightweight). A
// request still pending when the trace ends may have spent its share too,
// so it counts as an entry. Measured above expected fails.
func checkMessages(h *history) Result {
	var ev []Evidence
	var shown, notes []string
	checked := false
	for _, hw := range h.heavy {
		alg := h.meta.Algorithms[hw]
		tb, ok := perEntry[alg]
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: %s has no textbook count", hw, algName(alg)))
			continue
		}
		checked = true
		lws := h.meta.Groups[hw]
		in := map[string]bool{}
		for _, n := range lws {
			in[n] = true
		}
		byType := map[string]int{}
		measured := 0
		for i, e := range h.ev {
			if e.Ev == trace.Send && in[e.Node] && in[e.To] && e.Type != "HELLO" && h.nodeOf[i] >= 0 {
				byType[e.Type]++
				measured++
			}
		}
		entries, pending := 0, 0
		for _, n := range lws {
			waiting := false
			for _, i := range h.events(n) {
				switch e := h.ev[i]; {
				case e.Ev == trace.Send && e.Type == "REQUEST":
					waiting = true
				case e.Ev == trace.CSEnter:
					entries++
					waiting = false
				}
			}
			if waiting {
				pending++
			}
		}
		n := len(lws)
		each := tb.k * (n - 1)
		expected := each * (entries + pending)
		for_ := plural(entries, "entry", "entries")
		if pending > 0 {
			for_ += fmt.Sprintf(" + %d pending", pending)
		}
		shown = append(shown, fmt.Sprintf("%s %s %d/%d for %s", hw, alg, measured, expected, for_))
		if measured > expected {
			ev = append(ev, Evidence{
				Text: fmt.Sprintf("group %s (%s, N=%d) sent %d messages among its lightweights (%s) for %s; %s = %d per entry allows %d",
					hw, alg, n, measured, countTypes(byType), for_, tb.formula, each, expected),
				Nodes: lws,
			})
		}
	}

	switch {
	case len(h.heavy) == 0:
	case h.meta.Token != tokenRing:
		notes = append(notes, fmt.Sprintf("token: %s has no textbook count", algName(h.meta.Token)))
	default:
		checked = true
		measured, expected, visits := 0, 0, 0
		for _, hw := range h.heavy {
			m, x, v, e := h.tokenMessages(hw)
			measured, expected, visits = measured+m, expected+x, visits+v
			if e != nil {
				ev = append(ev, *e)
			}
		}
		shown = append(shown, fmt.Sprintf("token %d/%d for %s", measured, expected, plural(visits, "visit", "visits")))
	}
	if !checked {
		return Result{Check: Messages, Status: Skip, Summary: strings.Join(notes, "; ")}
	}
	summary := "measured/expected: " + strings.Join(shown, ", ")
	if len(notes) > 0 {
		summary += "; " + strings.Join(notes, "; ")
	}
	return result(Messages, ev, summary, summary)
}

// tokenMessages counts a heavyweight's token messages: the TOKEN and
// CS_GRANT it sent and the DONE sent to it, against one TOKEN per visit and
// one CS_GRANT and one DONE per lightweight per visit. A visit is a holding
// of the token (from the start for the first heavyweight, else from a
// TOKEN received) in which it sent something.
func (h *history) tokenMessages(hw string) (measured, expected, visits int, ev *Evidence) {
	children := len(h.meta.Groups[hw])
	used := false
	var token, grant, done int
	for _, i := range h.events(hw) {
		e := h.ev[i]
		switch {
		case e.Ev == trace.Recv && e.Type == "TOKEN":
			if used {
				visits++
			}
			used = false
		case e.Ev == trace.Send && e.Type == "TOKEN":
			token++
			used = true
		case e.Ev == trace.Send && e.Type == "CS_GRANT":
			grant++
			used = true
		}
	}
	if used {
		visits++
	}
	for i, e := range h.ev {
		if e.Ev == trace.Send && e.Type == "DONE" && e.To == hw && h.nodeOf[i] >= 0 {
			done++
		}
	}
	measured = token + grant + done
	expected = visits * (1 + 2*children)
	if token > visits || grant > visits*children || done > visits*children {
		ev = &Evidence{
			Text: fmt.Sprintf("%s: %d TOKEN and %d CS_GRANT sent, %d DONE sent to it, in %s with %s; expected at most %d, %d, %d",
				hw, token, grant, done, plural(visits, "visit", "visits"), plural(children, "lightweight", "lightweights"),
				visits, visits*children, visits*children),
			Nodes: []string{hw},
		}
	}
	return measured, expected, visits, ev
}

// countTypes lists message counts by type: "REPLY 4, REQUEST 4".
func countTypes(byType map[string]int) string {
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s %d", t, byType[t])
	}
	return strings.Join(parts, ", ")
}
