package check

import (
	"fmt"
	"math"
)

// Range is a closed interval of figures.
type Range struct {
	Low, High float64
}

// Contains reports whether x lies in the range, with a little slack for
// rounding.
func (r Range) Contains(x float64) bool {
	const eps = 1e-9
	return x >= r.Low-eps && x <= r.High+eps
}

// Exact reports whether the range is one figure.
func (r Range) Exact() bool { return r.Low == r.High }

// Ordering is the order property an algorithm's entries keep, which the
// order check holds them to.
type Ordering int

const (
	// NoOrder: none in (timestamp, id) order (the token and quorum
	// algorithms serve requests in the order they reach a holder or a
	// voter); the order check skips the group and says so.
	NoOrder Ordering = iota
	// PendingOrder: no process enters while a request that precedes its
	// own in (ts, id) order is pending anywhere (Lamport, Ricart–Agrawala).
	PendingOrder
	// KnownOrder: no process enters after it has received a request that
	// precedes its own in (ts, id) order and is not served yet; a request
	// it has not heard of may be overtaken (Roucairol–Carvalho, whose
	// kept permissions let a process enter without asking everybody).
	KnownOrder
)

// Textbook is what the literature says of one shipped algorithm, for a
// contest of n processes (a group's lightweights, or the heavyweights),
// and the bound its module in algorithms/ keeps. The header comment of
// algorithms/NAME.lua says the same in words.
type Textbook struct {
	Algorithm string
	// Messages is the textbook's messages per entry, as printed:
	// "3(N-1)", "0 or N".
	Messages string
	// PerEntry is the textbook's messages per entry for n processes: one
	// figure, or the range between light and heavy load (or between a
	// holder's free entry and the worst case).
	PerEntry func(n int) Range
	// Bound is the most messages one entry can cost in any run of the
	// shipped module; the messages check fails a run above it. It is
	// PerEntry's High unless the textbook's upper figure is typical rather
	// than a bound (Maekawa's).
	Bound func(n int) float64
	// SyncDelay is the synchronization delay in messages on the causal
	// chain from one exit to the next entry, when the next process already
	// waits: "1", "2", "1..D".
	SyncDelay string
	Hops      func(n int) Range
	// Order is the order property of its entries.
	Order Ordering
	// ByNumber: ties between equal timestamps go to the smaller number
	// within the group (A3 before A12, the order of node.members), not to
	// the smaller string.
	ByNumber bool
}

func exact(f func(n int) float64) func(n int) Range {
	return func(n int) Range { x := f(n); return Range{x, x} }
}

func between(lo, hi func(n int) float64) func(n int) Range {
	return func(n int) Range { return Range{lo(n), hi(n)} }
}

func constant(x float64) func(n int) float64 { return func(int) float64 { return x } }

// textbooks are the shipped algorithms, in the order a course meets them.
var textbooks = []Textbook{
	{
		Algorithm: "lamport", Messages: "3(N-1)",
		PerEntry: exact(func(n int) float64 { return float64(3 * (n - 1)) }),
		Bound:    func(n int) float64 { return float64(3 * (n - 1)) },
		// The entrant waits for the leaver's RELEASE.
		SyncDelay: "1", Hops: exact(constant(1)),
		Order: PendingOrder,
	},
	{
		Algorithm: "ricart_agrawala", Messages: "2(N-1)",
		PerEntry: exact(func(n int) float64 { return float64(2 * (n - 1)) }),
		Bound:    func(n int) float64 { return float64(2 * (n - 1)) },
		// The deferred REPLY.
		SyncDelay: "1", Hops: exact(constant(1)),
		Order: PendingOrder,
	},
	{
		Algorithm: "roucairol_carvalho", Messages: "0..2(N-1)",
		PerEntry:  between(constant(0), func(n int) float64 { return float64(2 * (n - 1)) }),
		Bound:     func(n int) float64 { return float64(2 * (n - 1)) },
		SyncDelay: "1", Hops: exact(constant(1)),
		Order: KnownOrder, ByNumber: true,
	},
	{
		// K: a process's quorum without itself, on the grid maekawa.lua
		// builds; the textbook's 3√N..5√N is for quorums of size √N.
		Algorithm: "maekawa", Messages: "3K..5K",
		PerEntry: between(func(n int) float64 { return 3 * meanQuorum(n) },
			func(n int) float64 { return 5 * meanQuorum(n) }),
		// Per remote voter at most REQUEST, FAILED, LOCKED, RELEASE, and an
		// INQUIRE, YIELD and LOCKED again for the holder it displaces; at
		// its own voter only those last three travel.
		Bound: func(n int) float64 { return float64(7*maxQuorum(n) + 3) },
		// RELEASE to a shared voter, LOCKED to the next; 1 when the one
		// leaving holds that vote itself.
		SyncDelay: "1..2", Hops: between(constant(1), constant(2)),
		Order: NoOrder, ByNumber: true,
	},
	{
		Algorithm: "central", Messages: "0 or 3",
		PerEntry: between(constant(0), constant(3)),
		Bound:    constant(3),
		// RELEASE to the coordinator, GRANT to the next; 1 when the
		// coordinator is one of the two.
		SyncDelay: "1..2", Hops: between(constant(1), constant(2)),
		Order: NoOrder,
	},
	{
		Algorithm: "suzuki_kasami", Messages: "0 or N",
		PerEntry:  between(constant(0), func(n int) float64 { return float64(n) }),
		Bound:     func(n int) float64 { return float64(n) },
		SyncDelay: "1", Hops: exact(constant(1)),
		Order: NoOrder,
	},
	{
		// D: the diameter of the tree raymond.lua builds.
		Algorithm: "raymond", Messages: "0..2D",
		PerEntry:  between(constant(0), func(n int) float64 { return float64(2 * treeDiameter(n)) }),
		Bound:     func(n int) float64 { return float64(2 * treeDiameter(n)) },
		SyncDelay: "1..D", Hops: between(constant(1), func(n int) float64 { return float64(max(1, treeDiameter(n))) }),
		Order: NoOrder,
	},
	{
		Algorithm: "naimi_trehel", Messages: "0..N",
		PerEntry:  between(constant(0), func(n int) float64 { return float64(n) }),
		Bound:     func(n int) float64 { return float64(n) },
		SyncDelay: "1", Hops: exact(constant(1)),
		Order: NoOrder,
	},
}

// Family returns the names of the shipped lightweight algorithms, in the
// order a course meets them.
func Family() []string {
	out := make([]string, len(textbooks))
	for i, tb := range textbooks {
		out[i] = tb.Algorithm
	}
	return out
}

// TextbookOf returns what the textbook says of alg.
func TextbookOf(alg string) (Textbook, bool) {
	for _, tb := range textbooks {
		if tb.Algorithm == alg {
			return tb, true
		}
	}
	return Textbook{}, false
}

// Formula is the messages per entry with its value for n: "3(N-1) = 6",
// "0 or N = 0..5".
func (tb Textbook) Formula(n int) string {
	return tb.Messages + " = " + tb.PerEntry(n).String()
}

// String prints "6" or "0..5", with at most two decimals.
func (r Range) String() string {
	if r.Exact() {
		return num(r.Low)
	}
	return num(r.Low) + ".." + num(r.High)
}

// num prints a figure with at most two decimals, none when whole.
func num(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	s := fmt.Sprintf("%.2f", f)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}

// quorums returns, for each of n processes on maekawa.lua's grid
// (ceil(√n) columns, the last row possibly short), the size of its quorum
// (its row and its column) without itself.
func quorums(n int) []int {
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	k := make([]int, n)
	for i := range n {
		for j := range n {
			if j != i && (j/cols == i/cols || j%cols == i%cols) {
				k[i]++
			}
		}
	}
	return k
}

func meanQuorum(n int) float64 {
	if n < 1 {
		return 0
	}
	sum := 0
	for _, k := range quorums(n) {
		sum += k
	}
	return float64(sum) / float64(n)
}

func maxQuorum(n int) int {
	m := 0
	for _, k := range quorums(n) {
		m = max(m, k)
	}
	return m
}

// treeDiameter is the longest path, in edges, of raymond.lua's tree on n
// processes: a binary heap, process i's parent i/2.
func treeDiameter(n int) int {
	dist := func(a, b int) int {
		d := 0
		for a != b {
			if a > b {
				a /= 2
			} else {
				b /= 2
			}
			d++
		}
		return d
	}
	best := 0
	for a := 1; a <= n; a++ {
		for b := 1; b < a; b++ {
			best = max(best, dist(a, b))
		}
	}
	return best
}
