package check

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// checkMessages measures each group's messages among its lightweights
// against the most its algorithm's textbook allows per entry (Textbook's
// Bound), and the heavyweights' messages: per token visit for the ring
// (one TOKEN, one CS_GRANT and one DONE per lightweight), per visit
// against the textbook for another algorithm of the family. A request
// still pending when the trace ends (a CS_GRANT, or without one a REQUEST,
// after the node's last entry) may have spent its share too, so it counts
// as an entry. Measured above the bound fails.
func checkMessages(h *history) Result {
	var ev []Evidence
	var shown, notes []string
	checked := false
	for _, hw := range h.heavy {
		alg := h.meta.Algorithms[hw]
		tb, ok := TextbookOf(alg)
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: %s has no textbook count", hw, algName(alg)))
			continue
		}
		checked = true
		lws := h.meta.Groups[hw]
		measured, byType := h.messagesAmong(lws)
		entries, pending := 0, 0
		for _, n := range lws {
			entries += len(h.csBy[n])
			if _, p := h.requestStarts(n); p {
				pending++
			}
		}
		s, e := judgeMessages(tb, hw+" "+alg, fmt.Sprintf("group %s (%s, N=%d) sent", hw, alg, len(lws)),
			"among its lightweights", len(lws), measured, byType, entries, pending, plural(entries, "entry", "entries"), lws)
		shown = append(shown, s)
		if e != nil {
			ev = append(ev, *e)
		}
	}

	switch {
	case len(h.heavy) == 0:
	case h.meta.Token == tokenRing:
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
	default:
		tb, ok := TextbookOf(h.meta.Token)
		if !ok {
			notes = append(notes, fmt.Sprintf("token: %s has no textbook count", algName(h.meta.Token)))
			break
		}
		checked = true
		measured, byType := h.messagesAmong(h.heavy)
		visits, pending := 0, 0
		for _, hw := range h.heavy {
			v, p, e := h.grantsPerVisit(hw)
			visits, pending = visits+v, pending+p
			if e != nil {
				ev = append(ev, *e)
			}
		}
		s, e := judgeMessages(tb, "token "+tb.Algorithm, fmt.Sprintf("the heavyweights (%s, N=%d) sent", tb.Algorithm, len(h.heavy)),
			"among themselves", len(h.heavy), measured, byType, visits, pending, plural(visits, "visit", "visits"), h.heavy)
		shown = append(shown, s)
		if e != nil {
			ev = append(ev, *e)
		}
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

// messagesAmong counts the messages sent from one of nodes to another, by
// type.
func (h *history) messagesAmong(nodes []string) (int, map[string]int) {
	in := map[string]bool{}
	for _, n := range nodes {
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
	return measured, byType
}

// judgeMessages compares measured messages for entries (+ pending) with
// tb's bound for n processes: the summary part ("A lamport 36/36 for 6
// entries", "A maekawa 40/≤96 for 5 entries") and the evidence when
// measured is above it.
func judgeMessages(tb Textbook, name, who, where string, n, measured int, byType map[string]int, entries, pending int, forEntries string, nodes []string) (string, *Evidence) {
	each := tb.Bound(n)
	allowed := int(math.Floor(each*float64(entries+pending) + 1e-9))
	if pending > 0 {
		forEntries += fmt.Sprintf(" + %d pending", pending)
	}
	ratio := fmt.Sprintf("%d/%d", measured, allowed)
	if !tb.PerEntry(n).Exact() {
		ratio = fmt.Sprintf("%d/≤%d", measured, allowed)
	}
	shown := fmt.Sprintf("%s %s for %s", name, ratio, forEntries)
	if measured <= allowed {
		return shown, nil
	}
	per := fmt.Sprintf("%s = %s per entry", tb.Messages, num(each))
	if !tb.PerEntry(n).Exact() {
		per = fmt.Sprintf("at most %s per entry (%s)", num(each), tb.Messages)
	}
	return shown, &Evidence{
		Text: fmt.Sprintf("%s %d messages %s (%s) for %s; %s allows %d",
			who, measured, where, countTypes(byType), forEntries, per, allowed),
		Nodes: nodes,
	}
}

// grantsPerVisit counts a heavyweight's visits (its CS_GRANT broadcasts)
// under a token algorithm other than the ring, and whether it asked for
// another one (a REQUEST sent after its last visit, its script not
// finished); the evidence when it
// sent more than one CS_GRANT per lightweight per visit or was sent more
// than one DONE per lightweight per visit.
func (h *history) grantsPerVisit(hw string) (visits, pending int, ev *Evidence) {
	children := len(h.meta.Groups[hw])
	grant, done := 0, 0
	lastLC := int64(-1)
	asked := false
	for _, i := range h.events(hw) {
		e := h.ev[i]
		switch {
		case e.Ev == trace.Send && e.Type == "CS_GRANT":
			grant++
			if e.LC != lastLC {
				visits++
				lastLC = e.LC
			}
			asked = false
		case e.Ev == trace.Send && e.Type == "REQUEST":
			asked = true
		case e.Ev == trace.Finish:
			asked = false // it forwarded someone else's request
		}
	}
	if asked {
		pending = 1
	}
	for i, e := range h.ev {
		if e.Ev == trace.Send && e.Type == "DONE" && e.To == hw && h.nodeOf[i] >= 0 {
			done++
		}
	}
	if grant > visits*children || done > visits*children {
		ev = &Evidence{
			Text: fmt.Sprintf("%s: %d CS_GRANT sent, %d DONE sent to it, in %s with %s; expected at most %d of each",
				hw, grant, done, plural(visits, "visit", "visits"), plural(children, "lightweight", "lightweights"), visits*children),
			Nodes: []string{hw},
		}
	}
	return visits, pending, ev
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
