package check

import (
	"slices"
	"testing"
)

func TestTextbookShapes(t *testing.T) {
	// raymond.lua's binary heap: 1; 2 3; 4 5 6 7; 8 ...
	for n, d := range []int{0, 0, 1, 2, 3, 3, 4, 4, 5} {
		if n > 0 && treeDiameter(n) != d {
			t.Errorf("treeDiameter(%d) = %d, want %d", n, treeDiameter(n), d)
		}
	}
	// maekawa.lua's grid: rows of ceil(√n), a quorum its row and column.
	for n, want := range map[int][]int{
		1: {0}, 2: {1, 1}, 3: {2, 1, 1}, 4: {2, 2, 2, 2}, 5: {3, 3, 2, 2, 2}, 9: {4, 4, 4, 4, 4, 4, 4, 4, 4},
	} {
		if got := quorums(n); !slices.Equal(got, want) {
			t.Errorf("quorums(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestTextbooks(t *testing.T) {
	family := Family()
	if len(family) != 8 || family[0] != "lamport" || family[1] != "ricart_agrawala" {
		t.Fatalf("Family() = %v", family)
	}
	for _, alg := range family {
		tb, ok := TextbookOf(alg)
		if !ok {
			t.Fatalf("%s: no textbook", alg)
		}
		for _, n := range []int{1, 2, 3, 5, 12, 64} {
			r := tb.PerEntry(n)
			if r.Low < 0 || r.Low > r.High || tb.Bound(n) < r.High {
				t.Errorf("%s N=%d: range %s, bound %v", alg, n, r, tb.Bound(n))
			}
			if h := tb.Hops(n); h.Low < 1 || h.Low > h.High {
				t.Errorf("%s N=%d: hops %s", alg, n, h)
			}
		}
	}
	if _, ok := TextbookOf("token"); ok {
		t.Error("the heavyweights' ring is not a lightweight algorithm of the family")
	}
	lamport, _ := TextbookOf("lamport")
	if got := lamport.Formula(3); got != "3(N-1) = 6" {
		t.Errorf("lamport's formula for 3: %q", got)
	}
	maekawa, _ := TextbookOf("maekawa")
	if got := maekawa.Formula(5); got != "3K..5K = 7.2..12" {
		t.Errorf("maekawa's formula for 5: %q", got)
	}
}
