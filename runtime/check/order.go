package check

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"mutexlab/runtime/trace"
)

// tokenRing is the heavyweights' algorithm whose token visits the ring in
// order.
const tokenRing = "token"

// entry is a critical section with the request that led to it: the first
// send of the node's last REQUEST broadcast since its previous entry.
type entry struct {
	c   *csInterval
	req int // event index; -1 when the node sent no REQUEST (a group of one)
}

// entries pairs a node's critical sections with their requests. The
// request is the node's last REQUEST broadcast before the entry, or with
// first its first REQUEST since its previous entry (Roucairol–Carvalho
// asks some peers later, again, for the same request).
func (h *history) entries(node string, first bool) []entry {
	by := h.csBy[node] // one per cs_enter, in the same order
	out := make([]entry, 0, len(by))
	req := -1
	for _, i := range h.events(node) {
		e := &h.ev[i]
		switch {
		case e.Ev == trace.Send && e.Type == "REQUEST":
			if req < 0 || (!first && h.ev[req].LC != e.LC) {
				req = i
			}
		case e.Ev == trace.CSEnter:
			out = append(out, entry{by[len(out)], req})
			req = -1
		}
	}
	return out
}

// requestTS is the timestamp a request is ordered by: its REQUEST's ts,
// or with fromPayload the payload's "ts" when it carries one (a request
// asked again later keeps its first timestamp there).
func (h *history) requestTS(i int, fromPayload bool) int64 {
	e := &h.ev[i]
	if fromPayload {
		if ts, ok := payloadTS(e.Payload); ok {
			return ts
		}
	}
	return e.TS
}

// payloadTS returns the "ts" a payload carries, if any.
func payloadTS(payload json.RawMessage) (int64, bool) {
	if len(payload) == 0 {
		return 0, false
	}
	var p struct {
		TS *float64 `json:"ts"`
	}
	if json.Unmarshal(payload, &p) == nil && p.TS != nil {
		return int64(*p.TS), true
	}
	return 0, false
}

// precedes orders requests by (ts, id), the order Lamport's,
// Ricart–Agrawala's and Roucairol–Carvalho's algorithms grant in. Ties go
// by idBefore, the documented tie-break the shipped scripts use
// (docs/lua-api.md, "Ties"), or by the place in the group (rank) for an
// algorithm that orders by number.
func (h *history) precedes(a, b entry, tb Textbook, rank map[string]int) bool {
	fromPayload := tb.Order == KnownOrder
	ta, tb_ := h.requestTS(a.req, fromPayload), h.requestTS(b.req, fromPayload)
	if ta != tb_ {
		return ta < tb_
	}
	if tb.ByNumber {
		return rank[a.c.node] < rank[b.c.node]
	}
	return idBefore(a.c.node, b.c.node)
}

// idBefore is the tie-break between two lightweights' ids: by the group's
// letter, then by the number after it, so A3 comes before A12 (as strings
// "A12" < "A3"). Ids not of that shape compare as strings.
func idBefore(a, b string) bool {
	ga, na, okA := splitID(a)
	gb, nb, okB := splitID(b)
	if !okA || !okB || ga != gb {
		return a < b
	}
	return na < nb
}

// splitID splits "A12" into "A" and 12.
func splitID(id string) (group string, n int, ok bool) {
	i := strings.IndexFunc(id, func(r rune) bool { return r >= '0' && r <= '9' })
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i:])
	if err != nil {
		return "", 0, false
	}
	return id[:i], n, true
}

// heard reports whether x received, before entering at e1, a REQUEST
// that y sent for its request e2 (between e2's first REQUEST and its
// entry).
func (h *history) heard(x string, e1 entry, y string, e2 entry) bool {
	for _, i := range h.events(x) {
		if i == e1.c.enter {
			return false
		}
		e := &h.ev[i]
		if e.Ev != trace.Recv || e.Type != "REQUEST" || e.From != y {
			continue
		}
		s := h.src[i]
		if s >= 0 && h.pos[s] >= h.pos[e2.req] && h.pos[s] < h.pos[e2.c.enter] {
			return true
		}
	}
	return false
}

// checkOrder requires, within each group whose algorithm keeps an order
// (Textbook.Order), that no node enters while another node's request that
// precedes its own in (ts, id) order is pending (sent and not yet served;
// for KnownOrder: and received by the node that enters); and that the
// token goes round the ring in order, from the first heavyweight on.
//
// A node has at most one request pending, so when X enters, the only
// request of Y that can be pending is the one for Y's next entry after X's:
// one candidate per node.
func checkOrder(h *history) Result {
	var ev []Evidence
	var pass, notes []string
	checked := false
	outOfOrder := 0
	for _, hw := range h.heavy {
		alg := h.meta.Algorithms[hw]
		tb, known := TextbookOf(alg)
		switch {
		case !known:
			notes = append(notes, fmt.Sprintf("%s: %s not checked (no known order)", hw, algName(alg)))
			continue
		case tb.Order == NoOrder:
			notes = append(notes, fmt.Sprintf("%s: %s keeps no (ts, id) order, not checked", hw, algName(alg)))
			continue
		}
		checked = true
		lws := h.meta.Groups[hw]
		rank := map[string]int{}
		per := map[string][]entry{}
		total := 0
		for i, n := range lws {
			rank[n] = i
			per[n] = h.entries(n, tb.Order == KnownOrder)
			total += len(per[n])
		}
		bad := 0
		for _, x := range lws {
			for _, e1 := range per[x] {
				if e1.req < 0 {
					continue
				}
				for _, y := range lws {
					if y == x {
						continue
					}
					ys := per[y]
					j := sort.Search(len(ys), func(j int) bool { return h.earlier(e1.c.enter, ys[j].c.enter) })
					if j == len(ys) {
						continue
					}
					e2 := ys[j]
					if e2.req < 0 || !h.earlier(e2.req, e1.c.enter) || !h.precedes(e2, e1, tb, rank) {
						continue
					}
					how := "was pending"
					if tb.Order == KnownOrder {
						if !h.heard(x, e1, y, e2) {
							continue
						}
						how = fmt.Sprintf("had reached %s", x)
					}
					bad++
					ts1, ts2 := h.requestTS(e1.req, tb.Order == KnownOrder), h.requestTS(e2.req, tb.Order == KnownOrder)
					e := Evidence{
						Text: fmt.Sprintf("%s entered (line %d) before %s (line %d), but %s's request (ts %d, line %d) precedes %s's (ts %d, line %d) in (ts, id) order and %s",
							x, h.ev[e1.c.enter].Line, y, h.ev[e2.c.enter].Line, y, ts2, h.ev[e2.req].Line, x, ts1, h.ev[e1.req].Line, how),
						Nodes:  []string{x, y},
						Events: h.refs(e2.req, e1.req, e1.c.enter, e2.c.enter),
					}
					if h.concurrentPair(e1.c, e2.c) {
						e.causeKey = pairKey(e1.c.id, e2.c.id) // both were inside at once
					}
					ev = append(ev, e)
				}
			}
		}
		outOfOrder += bad
		what := "in (ts, id) order"
		if tb.Order == KnownOrder {
			what = "in (ts, id) order among the requests heard"
		}
		pass = append(pass, fmt.Sprintf("%s %s: %s %s", hw, alg, plural(total, "entry", "entries"), what))
	}

	var fail []string
	if outOfOrder > 0 {
		fail = append(fail, plural(outOfOrder, "entry", "entries")+" out of (ts, id) order")
	}
	switch {
	case len(h.heavy) == 0:
	case h.meta.Token != tokenRing:
		if _, known := TextbookOf(h.meta.Token); known {
			notes = append(notes, fmt.Sprintf("token: %s keeps no ring order, not checked", algName(h.meta.Token)))
		} else {
			notes = append(notes, fmt.Sprintf("token: %s not checked (no known order)", algName(h.meta.Token)))
		}
	default:
		checked = true
		passes, bad := h.tokenOrder(&ev)
		if bad > 0 {
			fail = append(fail, fmt.Sprintf("%d of %s out of ring order", bad, plural(passes, "token pass", "token passes")))
		} else {
			pass = append(pass, fmt.Sprintf("token: %s in ring order", plural(passes, "pass", "passes")))
		}
	}
	if !checked {
		return Result{Check: Order, Status: Skip, Summary: strings.Join(notes, "; ")}
	}
	slices.SortStableFunc(ev, byFirstLine)
	return result(Order, ev, strings.Join(append(pass, notes...), "; "), strings.Join(append(fail, notes...), "; "))
}

// tokenOrder follows the heavyweights' TOKEN sends in wall-time order: each must come
// from the current holder (the first heavyweight at the start) and go to
// the holder's next in the ring.
func (h *history) tokenOrder(ev *[]Evidence) (passes, bad int) {
	heavy := map[string]bool{}
	for _, hw := range h.heavy {
		heavy[hw] = true
	}
	var sends []int
	for i := range h.ev {
		e := &h.ev[i]
		// A lightweight algorithm may have a TOKEN of its own.
		if e.Ev == trace.Send && e.Type == "TOKEN" && h.nodeOf[i] >= 0 && heavy[e.Node] && heavy[e.To] {
			sends = append(sends, i)
		}
	}
	slices.SortStableFunc(sends, h.order)
	holder := h.heavy[0]
	for _, i := range sends {
		e := &h.ev[i]
		var text string
		switch {
		case e.Node != holder:
			text = fmt.Sprintf("%s passed the token to %s (line %d) while %s held it", e.Node, e.To, e.Line, holder)
		case e.To != h.next(e.Node):
			text = fmt.Sprintf("%s passed the token to %s (line %d), but the next in the ring is %s", e.Node, e.To, e.Line, h.next(e.Node))
		}
		if text != "" {
			bad++
			*ev = append(*ev, Evidence{Text: text, Nodes: []string{e.Node, e.To}, Events: h.refs(i)})
		}
		holder = e.To
	}
	return len(sends), bad
}

// algName names an algorithm in a note.
func algName(alg string) string {
	if alg == "" {
		return "algorithm (none named)"
	}
	return fmt.Sprintf("%q", alg)
}
