package check

import (
	"fmt"
	"math"
	"slices"
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
func checkMessages(h *history) Result { return messagesResult(h.meta, h.heavy, h) }

// msgCounts are the figures the messages check judges, counted over a
// whole trace (history) or on a walk (stream).
type msgCounts interface {
	// among counts the messages sent from one of nodes to another, by
	// type (HELLO left out).
	among(nodes []string) (int, map[string]int)
	// entered counts a node's entries into the critical section.
	entered(node string) int
	// pending reports whether a node's request started after its last
	// entry (requestStarts).
	pending(node string) bool
	// heavyweight is what a heavyweight sent and was sent.
	heavyweight(hw string) *hwCount
}

// messagesResult is checkMessages on counts.
func messagesResult(meta trace.Meta, heavy []string, h msgCounts) Result {
	var ev []Evidence
	var shown, notes []string
	checked := false
	for _, hw := range heavy {
		alg := meta.Algorithms[hw]
		tb, ok := TextbookOf(alg)
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: %s has no textbook count", hw, algName(alg)))
			continue
		}
		checked = true
		lws := meta.Groups[hw]
		measured, byType := h.among(lws)
		entries, pending := 0, 0
		for _, n := range lws {
			entries += h.entered(n)
			if h.pending(n) {
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
	case len(heavy) == 0:
	case meta.Token == tokenRing:
		checked = true
		measured, expected, visits := 0, 0, 0
		for _, hw := range heavy {
			m, x, v, e := h.heavyweight(hw).ring(hw, len(meta.Groups[hw]))
			measured, expected, visits = measured+m, expected+x, visits+v
			if e != nil {
				ev = append(ev, *e)
			}
		}
		shown = append(shown, fmt.Sprintf("token %d/%d for %s", measured, expected, plural(visits, "visit", "visits")))
	default:
		tb, ok := TextbookOf(meta.Token)
		if !ok {
			notes = append(notes, fmt.Sprintf("token: %s has no textbook count", algName(meta.Token)))
			break
		}
		checked = true
		measured, byType := h.among(heavy)
		visits, pending := 0, 0
		for _, hw := range heavy {
			v, p, e := h.heavyweight(hw).perVisit(hw, len(meta.Groups[hw]))
			visits, pending = visits+v, pending+p
			if e != nil {
				ev = append(ev, *e)
			}
		}
		s, e := judgeMessages(tb, "token "+tb.Algorithm, fmt.Sprintf("the heavyweights (%s, N=%d) sent", tb.Algorithm, len(heavy)),
			"among themselves", len(heavy), measured, byType, visits, pending, plural(visits, "visit", "visits"), heavy)
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
	in := make([]bool, len(h.nodes))
	for _, n := range nodes {
		if ni, ok := h.index[n]; ok {
			in[ni] = true
		}
	}
	byType := map[string]int{}
	measured := 0
	for _, i := range h.sends() {
		e := &h.ev[i]
		if ni := h.nodeOf[i]; ni >= 0 && in[ni] && e.Type != "HELLO" {
			if to, ok := h.lookup(e.To); (ok && in[to]) || (!ok && slices.Contains(nodes, e.To)) {
				byType[e.Type]++
				measured++
			}
		}
	}
	return measured, byType
}

// sends lists the send events in trace order, found once.
func (h *history) sends() []int {
	if !h.hasSent {
		h.hasSent = true
		for i := range h.ev {
			if h.ev[i].Ev == trace.Send {
				h.sent = append(h.sent, i)
			}
		}
	}
	return h.sent
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

// The history's counts (msgCounts).
func (h *history) among(nodes []string) (int, map[string]int) { return h.messagesAmong(nodes) }
func (h *history) entered(node string) int                    { return len(h.csBy[node]) }
func (h *history) pending(node string) bool {
	return h.requestPending(node)
}

func (h *history) heavyweight(hw string) *hwCount {
	c := newHWCount()
	for _, i := range h.events(hw) {
		c.observe(&h.ev[i])
	}
	for _, i := range h.sends() {
		if e := &h.ev[i]; e.Type == "DONE" && e.To == hw && h.nodeOf[i] >= 0 {
			c.done++
		}
	}
	return c
}

// hwCount folds a heavyweight's own events into what the messages check
// counts of it; done is the DONE sent to it, counted by the caller.
type hwCount struct {
	grant, done int
	// per visit of a token algorithm other than the ring: its CS_GRANT
	// broadcasts, and whether it asked for another one.
	visits int
	lastLC int64
	asked  bool
	// the ring: TOKEN sent, visits ended by a TOKEN received
	token, ringVisits int
	used              bool
}

func newHWCount() *hwCount { return &hwCount{lastLC: -1} }

// observe takes the heavyweight's next event.
func (c *hwCount) observe(e *trace.Event) {
	switch {
	case e.Ev == trace.Send && e.Type == "CS_GRANT":
		c.grant++
		if e.LC != c.lastLC {
			c.visits++
			c.lastLC = e.LC
		}
		c.asked = false
		c.used = true
	case e.Ev == trace.Send && e.Type == "REQUEST":
		c.asked = true
	case e.Ev == trace.Finish:
		c.asked = false // it forwarded someone else's request
	case e.Ev == trace.Recv && e.Type == "TOKEN":
		if c.used {
			c.ringVisits++
		}
		c.used = false
	case e.Ev == trace.Send && e.Type == "TOKEN":
		c.token++
		c.used = true
	}
}

// perVisit counts a heavyweight's visits (its CS_GRANT broadcasts)
// under a token algorithm other than the ring, and whether it asked for
// another one (a REQUEST sent after its last visit, its script not
// finished); the evidence when it sent more than one CS_GRANT per
// lightweight per visit or was sent more than one DONE per lightweight
// per visit.
func (c *hwCount) perVisit(hw string, children int) (visits, pending int, ev *Evidence) {
	visits = c.visits
	if c.asked {
		pending = 1
	}
	if c.grant > visits*children || c.done > visits*children {
		ev = &Evidence{
			Text: fmt.Sprintf("%s: %d CS_GRANT sent, %d DONE sent to it, in %s with %s; expected at most %d of each",
				hw, c.grant, c.done, plural(visits, "visit", "visits"), plural(children, "lightweight", "lightweights"), visits*children),
			Nodes: []string{hw},
		}
	}
	return visits, pending, ev
}

// ring counts a heavyweight's token messages: the TOKEN and CS_GRANT it
// sent and the DONE sent to it, against one TOKEN per visit and one
// CS_GRANT and one DONE per lightweight per visit. A visit is a holding
// of the token (from the start for the first heavyweight, else from a
// TOKEN received) in which it sent something.
func (c *hwCount) ring(hw string, children int) (measured, expected, visits int, ev *Evidence) {
	visits = c.ringVisits
	if c.used {
		visits++
	}
	measured = c.token + c.grant + c.done
	expected = visits * (1 + 2*children)
	if c.token > visits || c.grant > visits*children || c.done > visits*children {
		ev = &Evidence{
			Text: fmt.Sprintf("%s: %d TOKEN and %d CS_GRANT sent, %d DONE sent to it, in %s with %s; expected at most %d, %d, %d",
				hw, c.token, c.grant, c.done, plural(visits, "visit", "visits"), plural(children, "lightweight", "lightweights"),
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
