package check

import (
	"fmt"
	"slices"
	"strings"
)

// The streaming checks (stream.go) find their evidence in time order,
// not in the order a report lists it, and cannot hold all of it: a
// broken run of millions of events has millions of findings. The
// collector keeps what link would keep of the whole list — the first
// MaxEvidence root causes of each check in the report's order, and the
// first MaxEvidence findings that follow from each — and counts the
// rest, so the report is the same as Run's.

// sortKey places a finding in its check's list: the report lists a
// check's findings by key, smallest first. Keys are unique in a check.
type sortKey [6]int64

func (a sortKey) compare(b sortKey) int {
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// rootRef names a root cause by its check and key.
type rootRef struct {
	check int // index in the report's results
	key   sortKey
}

// finding is one piece of evidence, built only if kept.
type finding struct {
	check int
	key   sortKey
	// root is the root cause it follows from, nil for a root cause.
	root  *rootRef
	build func() Evidence // text, nodes and events
}

// collector keeps the findings a report shows.
type collector struct {
	max   int
	total []int        // per check: findings, kept or not
	roots [][]*finding // per check: the first max roots, by key
	// cons holds, per root that may be kept, the first max findings that
	// follow from it, by (check, key).
	cons map[rootRef][]*finding
}

func newCollector(checks, max int) *collector {
	return &collector{max: max, total: make([]int, checks), roots: make([][]*finding, checks), cons: map[rootRef][]*finding{}}
}

// out reports whether root r cannot be kept: its check already keeps
// max roots that come before it.
func (c *collector) out(r rootRef) bool {
	l := c.roots[r.check]
	return len(l) >= c.max && l[len(l)-1].key.compare(r.key) < 0
}

// add takes a finding.
func (c *collector) add(f *finding) {
	c.total[f.check]++
	if f.root == nil {
		c.addRoot(f)
		return
	}
	r := *f.root
	if c.out(r) {
		return
	}
	l := c.cons[r]
	i, _ := slices.BinarySearchFunc(l, f, compareFindings)
	if len(l) >= c.max {
		if i >= c.max {
			return
		}
		l = l[:c.max-1]
	}
	c.cons[r] = slices.Insert(l, i, f)
}

func (c *collector) addRoot(f *finding) {
	l := c.roots[f.check]
	i, _ := slices.BinarySearchFunc(l, f, compareFindings)
	evicted := false
	if len(l) >= c.max {
		if i >= c.max {
			return
		}
		l, evicted = l[:c.max-1], true
	}
	c.roots[f.check] = slices.Insert(l, i, f)
	if evicted {
		for r := range c.cons {
			if r.check == f.check && c.out(r) {
				delete(c.cons, r)
			}
		}
	}
}

func compareFindings(a, b *finding) int {
	if a.check != b.check {
		return a.check - b.check
	}
	return a.key.compare(b.key)
}

// assemble puts the kept findings into results as link does: numbered
// in the order Print shows them, each consequence pointing at its root,
// the rest counted in More, and each failing check's summary saying how
// many of its findings follow from another check's.
func (c *collector) assemble(results []Result) {
	rootOf := map[rootRef]*finding{}
	id := map[*finding]int{}
	next := 1
	for ci := range results {
		for _, r := range c.roots[ci] {
			ref := rootRef{ci, r.key}
			rootOf[ref] = r
			id[r] = next
			next++
			for _, q := range c.cons[ref] {
				id[q] = next
				next++
			}
		}
	}
	kept := make([][]*finding, len(results))
	for ci := range results {
		kept[ci] = append(kept[ci], c.roots[ci]...)
	}
	for ref, l := range c.cons {
		if rootOf[ref] == nil {
			continue
		}
		for _, q := range l {
			kept[q.check] = append(kept[q.check], q)
		}
	}
	for ci := range results {
		res := &results[ci]
		l := kept[ci]
		slices.SortFunc(l, compareFindings)
		res.Evidence = nil
		from := map[string]int{}
		var order []string
		follows := 0
		for _, f := range l {
			e := f.build()
			e.ID = id[f]
			if f.root != nil {
				e.Cause = id[rootOf[*f.root]]
				if f.root.check != ci {
					follows++
					name := results[f.root.check].Check
					if from[name] == 0 {
						order = append(order, name)
					}
					from[name]++
				}
			}
			res.Evidence = append(res.Evidence, e)
		}
		res.More = c.total[ci] - len(l)
		if follows > 0 && res.Status == Fail {
			what := strings.Join(order, " and ")
			if follows == c.total[ci] {
				res.Summary += " (all follow from " + what + ")"
			} else {
				res.Summary += fmt.Sprintf(" (%d of them follow from %s)", follows, what)
			}
		}
	}
}
