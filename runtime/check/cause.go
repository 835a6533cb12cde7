package check

import (
	"fmt"
	"strings"
)

// Root causes first. A failure often shows in several checks at once: two
// critical sections that overlap break mutual exclusion, and so their
// lines interleave (screen) and one of them may enter out of turn (order);
// a deadlock leaves grants that are never used. Each check marks such a
// finding with the key of the one it follows from (Evidence.causeKey);
// link resolves the keys into IDs, so a report reads as a few root causes,
// each with what follows from it.

// Keys findings are linked by.
func pairKey(a, b int) string   { return fmt.Sprintf("cs %d %d", min(a, b), max(a, b)) }
func unclosedKey(id int) string { return fmt.Sprintf("unclosed %d", id) }

const stallKey = "stall"

func errorKey(node string) string { return "error " + node }

// link resolves the findings' causes to their roots, keeps at most max
// root causes per check (with what follows from them) and numbers every
// finding kept. A cause that is itself a consequence is followed to its
// root. It then says in each failing check's summary how many of its
// findings follow from another check's.
func link(results []Result, max int) {
	type at struct{ r, e int }
	owner := map[string]at{}
	for ri := range results {
		for ei, e := range results[ri].Evidence {
			if e.key != "" {
				if _, dup := owner[e.key]; !dup {
					owner[e.key] = at{ri, ei}
				}
			}
		}
	}
	// root follows causeKey links to a finding that has none (or whose
	// cause is not in the report), at most a few steps.
	root := func(p at) (at, bool) {
		start := p
		for range 8 {
			e := results[p.r].Evidence[p.e]
			q, ok := owner[e.causeKey]
			if e.causeKey == "" || !ok || q == p || q == start {
				return p, p != start
			}
			p = q
		}
		return p, p != start
	}
	roots := map[at]at{} // consequence -> its root
	for ri := range results {
		for ei := range results[ri].Evidence {
			if r, ok := root(at{ri, ei}); ok {
				roots[at{ri, ei}] = r
			}
		}
	}
	// Keep at most max roots per check, and the consequences of kept ones.
	keep := map[at]bool{}
	for ri := range results {
		n := 0
		for ei := range results[ri].Evidence {
			if _, isConsequence := roots[at{ri, ei}]; !isConsequence && n < max {
				keep[at{ri, ei}] = true
				n++
			}
		}
	}
	perRoot := map[at]int{}
	for ri := range results {
		for ei := range results[ri].Evidence {
			if r, ok := roots[at{ri, ei}]; ok && keep[r] && perRoot[r] < max {
				keep[at{ri, ei}] = true
				perRoot[r]++
			}
		}
	}
	// Number them as Print shows them: the roots in report order, each
	// followed by its consequences.
	id := map[at]int{}
	next := 1
	for ri := range results {
		for ei := range results[ri].Evidence {
			p := at{ri, ei}
			if _, isConsequence := roots[p]; isConsequence || !keep[p] {
				continue
			}
			id[p] = next
			next++
			for rj := range results {
				for ej := range results[rj].Evidence {
					if q := (at{rj, ej}); keep[q] && roots[q] == p {
						if _, isConsequence := roots[q]; isConsequence {
							id[q] = next
							next++
						}
					}
				}
			}
		}
	}
	for ri := range results {
		res := &results[ri]
		var kept []Evidence
		from := map[string]int{} // other checks this one's findings follow from
		var order []string
		follows := 0
		for ei, e := range res.Evidence {
			p := at{ri, ei}
			if !keep[p] {
				res.More++
				continue
			}
			e.ID = id[p]
			if r, ok := roots[p]; ok {
				e.Cause = id[r]
				if r.r != ri {
					follows++
					name := results[r.r].Check
					if from[name] == 0 {
						order = append(order, name)
					}
					from[name]++
				}
			}
			kept = append(kept, e)
		}
		total := len(kept) + res.More
		res.Evidence = kept
		if follows > 0 && res.Status == Fail {
			what := strings.Join(order, " and ")
			if follows == total {
				res.Summary += " (all follow from " + what + ")"
			} else {
				res.Summary += fmt.Sprintf(" (%d of them follow from %s)", follows, what)
			}
		}
	}
}

// Roots returns the root causes of the report in the order Print shows
// them, each with the findings that follow from it.
func (r *Report) Roots() []Root {
	byID := map[int]int{}
	var out []Root
	for _, res := range r.Results {
		for _, e := range res.Evidence {
			if e.Cause == 0 {
				byID[e.ID] = len(out)
				out = append(out, Root{Check: res.Check, Evidence: e})
			}
		}
	}
	for _, res := range r.Results {
		for _, e := range res.Evidence {
			if i, ok := byID[e.Cause]; ok && e.Cause != 0 {
				out[i].Follows = append(out[i].Follows, Consequence{Check: res.Check, Evidence: e})
			}
		}
	}
	for i := range out {
		f := out[i].Follows
		// In ID order: as numbered.
		for a := 1; a < len(f); a++ {
			for b := a; b > 0 && f[b].Evidence.ID < f[b-1].Evidence.ID; b-- {
				f[b], f[b-1] = f[b-1], f[b]
			}
		}
	}
	return out
}

// Root is a root cause: a finding of one check and what follows from it.
type Root struct {
	Check    string
	Evidence Evidence
	Follows  []Consequence
}

// Consequence is a finding that follows from a root cause.
type Consequence struct {
	Check    string
	Evidence Evidence
}

// Verdict is the report's last line: "FAIL  mutual exclusion, screen,
// order (2 root causes)" or "PASS  every check".
func (r *Report) Verdict() string {
	st, text := r.verdict()
	return strings.ToUpper(string(st)) + "  " + text
}

// verdict is the verdict's status and its words.
func (r *Report) verdict() (Status, string) {
	var failed []string
	skipped := 0
	for _, res := range r.Results {
		switch res.Status {
		case Fail:
			failed = append(failed, res.Check)
		case Skip:
			skipped++
		}
	}
	if len(failed) > 0 {
		roots := len(r.Roots())
		return Fail, fmt.Sprintf("%s (%s)", strings.Join(failed, ", "), plural(roots, "root cause", "root causes"))
	}
	if skipped > 0 {
		return Pass, fmt.Sprintf("every check that applies (%d skipped)", skipped)
	}
	return Pass, "every check"
}
