package check

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The collector, given findings in any order, keeps and numbers what
// link keeps and numbers of the whole list.
func TestCollectorKeepsWhatLinkKeeps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	names := []string{MutualExclusion, Screen, Liveness, Order, Clock, Messages}
	for round := range 2000 {
		type gen struct {
			check int
			key   sortKey
			link  string
			cause *gen
		}
		var all []*gen
		var linked []*gen // findings others may follow from
		used := map[[2]int64]bool{}
		n := rng.IntN(60)
		for i := range n {
			g := &gen{check: rng.IntN(len(names))}
			for {
				k := int64(rng.IntN(1000))
				if !used[[2]int64{int64(g.check), k}] {
					used[[2]int64{int64(g.check), k}] = true
					g.key = sortKey{k}
					break
				}
			}
			// A cause among the earlier linked findings, at most two deep.
			if len(linked) > 0 && rng.IntN(3) > 0 {
				c := linked[rng.IntN(len(linked))]
				if c.cause == nil || c.cause.cause == nil {
					g.cause = c
				}
			}
			if rng.IntN(3) == 0 {
				g.link = fmt.Sprintf("k%d", i)
				linked = append(linked, g)
			}
			all = append(all, g)
		}
		max := 1 + rng.IntN(5)
		if round%10 == 0 {
			max = 1 << 30
		}

		// link over the whole list.
		want := make([]Result, len(names))
		for ci, name := range names {
			want[ci] = Result{Check: name, Status: Pass, Summary: "s"}
		}
		for ci := range names {
			var list []*gen
			for _, g := range all {
				if g.check == ci {
					list = append(list, g)
				}
			}
			for a := 1; a < len(list); a++ {
				for b := a; b > 0 && list[b].key.compare(list[b-1].key) < 0; b-- {
					list[b], list[b-1] = list[b-1], list[b]
				}
			}
			for _, g := range list {
				e := Evidence{Text: fmt.Sprintf("%d/%d", g.check, g.key[0]), key: g.link}
				if g.cause != nil {
					e.causeKey = g.cause.link
				}
				want[ci].Evidence = append(want[ci].Evidence, e)
				want[ci].Status = Fail
			}
		}
		link(want, max)

		// The collector, fed in a random order.
		got := make([]Result, len(names))
		for ci, name := range names {
			got[ci] = Result{Check: name, Status: Pass, Summary: "s"}
		}
		c := newCollector(len(names), max)
		for _, i := range rng.Perm(len(all)) {
			g := all[i]
			got[g.check].Status = Fail
			f := &finding{check: g.check, key: g.key, build: func() Evidence {
				return Evidence{Text: fmt.Sprintf("%d/%d", g.check, g.key[0])}
			}}
			if g.cause != nil {
				r := g.cause
				for r.cause != nil {
					r = r.cause
				}
				f.root = &rootRef{r.check, r.key}
			}
			c.add(f)
		}
		c.assemble(got)

		for ci := range names {
			w, g := want[ci], got[ci]
			if w.Summary != g.Summary || w.More != g.More || len(w.Evidence) != len(g.Evidence) {
				t.Fatalf("round %d (max %d) %s: got %q more %d, %d kept; want %q more %d, %d kept",
					round, max, names[ci], g.Summary, g.More, len(g.Evidence), w.Summary, w.More, len(w.Evidence))
			}
			for i := range w.Evidence {
				we, ge := w.Evidence[i], g.Evidence[i]
				if we.ID != ge.ID || we.Cause != ge.Cause || we.Text != ge.Text {
					t.Fatalf("round %d (max %d) %s #%d: got %d<-%d %s, want %d<-%d %s", round, max, names[ci], i,
						ge.ID, ge.Cause, ge.Text, we.ID, we.Cause, we.Text)
				}
			}
		}
	}
}
